// Helpers for roster and presence transcripts: IQ round trips, silence checks, error reading.

import assert from "node:assert/strict";
import { type Element, NS_ROSTER, NS_STANZAS_ERR, serialize } from "@hato/xml";
import type { RawClient } from "./inproc.js";

let seq = 0;

/** Sends an IQ (its `id` is filled in) and waits for the answer with that id. */
export async function iq(client: RawClient, body: string, attrs = "type='get'"): Promise<Element> {
  const id = `q${++seq}`;
  client.send(`<iq ${attrs} id='${id}'>${body}</iq>`);
  return client.expect((e) => e.name === "iq" && e.attr("id") === id, `answer to ${id}`);
}

/** Roster set of one item, as a client writes it. */
export function rosterSet(client: RawClient, item: string): Promise<Element> {
  return iq(client, `<query xmlns='${NS_ROSTER}'>${item}</query>`, "type='set'");
}

/** The error condition and text of an error stanza. */
export function errorOf(el: Element): { type?: string; condition?: string; text?: string } {
  const err = el.getChild("error");
  return {
    type: err?.attr("type"),
    condition: err?.elements().find((c) => c.name !== "text" && c.xmlns === NS_STANZAS_ERR)?.name,
    text: err?.getChildText("text", NS_STANZAS_ERR),
  };
}

/** Waits a little and asserts that nothing matching `pred` arrived (only proves absence). */
export async function nothing(
  client: RawClient,
  pred: (el: Element) => boolean = () => true,
  ms = 150,
): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  const got = client.received.filter(pred);
  assert.deepEqual(
    got.map((e) => serialize(e)),
    [],
    "expected nothing to arrive",
  );
}

/** The next roster push (an IQ set with a roster query) and its one item. */
export async function push(client: RawClient): Promise<{ iq: Element; item: Element }> {
  const el = await client.expect(
    (e) => e.name === "iq" && e.attr("type") === "set" && !!e.getChild("query", NS_ROSTER),
    "roster push",
  );
  return { iq: el, item: el.getChild("query", NS_ROSTER)!.getChild("item")! };
}

/** The next presence matching `type` (undefined = available) from `from` (prefix match). */
export function presenceFrom(client: RawClient, from: string, type?: string): Promise<Element> {
  return client.expect(
    (e) =>
      e.name === "presence" &&
      e.attr("type") === type &&
      (e.attr("from") === from || (e.attr("from") ?? "").startsWith(`${from}/`)),
    `presence ${type ?? "available"} from ${from}`,
  );
}
