// Presence shown as words (and a dot whose shape differs), never by colour alone.
import type { Show } from "@hato/sdk";

/** The word for a presence. */
export const SHOW_TEXT: Record<Show, string> = {
  chat: "Free to chat",
  available: "Online",
  away: "Away",
  xa: "Away for long",
  dnd: "Busy",
  offline: "Offline",
};
