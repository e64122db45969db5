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

/**
 * What the list may say about a contact's presence: while our own connection is down we do
 * not know it, and showing the last value as current would be a lie.
 */
export function presenceOf(show: Show, weAreOnline: boolean): { word: string; dot: string } {
  if (!weAreOnline) return { word: "Unknown while offline", dot: "unknown" };
  return { word: SHOW_TEXT[show], dot: show };
}
