// Helpers for PEP scenario tests: IQ round trips, XEP-0115 caps answered like a real client.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Element } from "@hato/xml";
import { RawClient, type TestServer } from "./inproc.js";

export const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
export const NS_PUBSUB_OWNER = "http://jabber.org/protocol/pubsub#owner";
export const NS_PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";
export const NS_PUBSUB_ERRORS = "http://jabber.org/protocol/pubsub#errors";
export const NS_CAPS = "http://jabber.org/protocol/caps";
export const NS_ERR = "urn:ietf:params:xml:ns:xmpp-stanzas";

let seq = 0;

/** Sends an IQ (the text may leave out id: one is added) and returns its answer. */
export async function iq(client: RawClient, text: string): Promise<Element> {
  const id = `t${++seq}`;
  client.send(text.replace(/^<iq\b/, `<iq id='${id}'`));
  return client.expect((e) => e.name === "iq" && e.attr("id") === id, `answer to ${id}`);
}

/** Asserts an IQ error with this condition and, when given, this pubsub#errors condition. */
export function assertError(res: Element, condition: string, app?: string): string {
  assert.equal(res.attr("type"), "error", `expected an error, got ${res.attr("type")}`);
  const err = res.getChild("error")!;
  assert.ok(err.getChild(condition, NS_ERR), `expected ${condition}`);
  if (app !== undefined) assert.ok(err.getChild(app, NS_PUBSUB_ERRORS), `expected ${app}`);
  return err.getChildText("text", NS_ERR) ?? "";
}

/** XEP-0115 §5.1 verification string (independent of the server's code). */
export function capsVer(features: string[], identity = "client/pc//Hato test"): string {
  const sorted = [...features].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const s = `${identity}<${sorted.map((f) => `${f}<`).join("")}`;
  return createHash("sha1").update(s, "utf8").digest("base64");
}

/** Answers the server's disco#info query for our caps node with these features. */
export async function answerCaps(client: RawClient, ver: string, features: string[]) {
  const q = await client.expect(
    (e) =>
      e.name === "iq" &&
      e.attr("type") === "get" &&
      e.getChild("query")?.attr("node") !== undefined,
    "caps disco#info query",
  );
  assert.equal(q.getChild("query")!.attr("node"), `https://hato.example/test#${ver}`);
  client.send(
    `<iq type='result' id='${q.attr("id")}' to='${q.attr("from")}'><query xmlns='http://jabber.org/protocol/disco#info' node='https://hato.example/test#${ver}'><identity category='client' type='pc' name='Hato test'/>${features.map((f) => `<feature var='${f}'/>`).join("")}</query></iq>`,
  );
}

export const capsElement = (ver: string) =>
  `<c xmlns='${NS_CAPS}' hash='sha-1' node='https://hato.example/test' ver='${ver}'/>`;

/**
 * Logs in and sends initial presence with caps for `features` (plus a feature unique to the
 * session, so its ver is new and the server must ask), then answers the server's query.
 */
export async function capsLogin(
  t: TestServer,
  user: string,
  resource: string,
  features: string[],
): Promise<{ client: RawClient; jid: string; ver: string; features: string[] }> {
  const { client, jid } = await RawClient.login(t, user, `pw-${user}`, resource, false);
  const all = [
    ...features,
    "http://jabber.org/protocol/disco#info",
    `urn:hato:test:${user}:${resource}`,
  ];
  const ver = capsVer(all);
  client.send(`<presence>${capsElement(ver)}</presence>`);
  await answerCaps(client, ver, all);
  return { client, jid, ver, features: all };
}

/** Makes two accounts mutual contacts (subscription both), as the roster module would. */
export async function befriend(t: TestServer, a: string, b: string): Promise<void> {
  await t.storage.roster.set(a, `${b}@localhost`, {
    jid: `${b}@localhost`,
    subscription: "both",
    groups: ["Friends"],
  });
  await t.storage.roster.set(b, `${a}@localhost`, {
    jid: `${a}@localhost`,
    subscription: "both",
    groups: ["Friends"],
  });
}

/** The pubsub#event of a headline notification from `from` about `node`, if it is one. */
export function isEvent(from: string, node: string) {
  return (e: Element) =>
    e.name === "message" &&
    e.attr("from") === from &&
    e.getChild("event", NS_PUBSUB_EVENT)?.elements()[0]?.attr("node") === node;
}

/** Waits a moment and asserts that nothing matching arrived. */
export async function assertNothing(
  client: RawClient,
  pred: (e: Element) => boolean,
  what: string,
) {
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!client.received.some(pred), `${what} should not have arrived`);
}

/** A publish-options form with these pubsub# fields. */
export function publishOptions(fields: Record<string, string>): string {
  return `<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>${Object.entries(
    fields,
  )
    .map(([k, v]) => `<field var='pubsub#${k}'><value>${v}</value></field>`)
    .join("")}</x></publish-options>`;
}

/** A node configuration form submission. */
export function configSubmit(node: string, fields: Record<string, string>): string {
  return `<iq type='set'><pubsub xmlns='${NS_PUBSUB_OWNER}'><configure node='${node}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>${Object.entries(
    fields,
  )
    .map(([k, v]) => `<field var='pubsub#${k}'><value>${v}</value></field>`)
    .join("")}</x></configure></pubsub></iq>`;
}
