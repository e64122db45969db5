// Small readers for scenario transcripts: ask and wait for the answer, pick an error apart.

import { type Element, NS_STANZAS_ERR, serialize } from "@hato/xml";
import type { RawClient } from "./inproc.js";

/** Sends a stanza and waits for the one that answers its id. */
export async function ask(client: RawClient, id: string, xmlText: string): Promise<Element> {
  client.send(xmlText);
  return client.expect((e) => e.attr("id") === id, `reply ${id}`);
}

/** The defined condition of a stanza error (RFC 6120 §8.3.3), e.g. "item-not-found". */
export const condition = (el: Element): string | undefined =>
  el
    .getChild("error")
    ?.elements()
    .find((c) => c.xmlns === NS_STANZAS_ERR && c.name !== "text")?.name;

/** The human-readable text of a stanza error, or "" when there is none. */
export const errorText = (el: Element): string =>
  el.getChild("error")?.getChildText("text", NS_STANZAS_ERR) ?? "";

/** The stanza without what necessarily differs between two answers: its id and addresses. */
export const normalised = (el: Element): string => {
  const c = el.clone();
  delete c.attrs.id;
  delete c.attrs.from;
  delete c.attrs.to;
  return serialize(c);
};

/** Waits a moment: only to show that something did NOT arrive, never as a timing check. */
export const pause = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms));
