// urn:hato:keylog:0 (docs/key-transparency.md): the latest signed head, an address's leaves with
// inclusion proofs, consistency proofs; and the check that refuses unloggable OMEMO bundles.

import { type ModuleApi, Priority, StanzaError, type StanzaEvent } from "@hato/core";
import { parseJid } from "@hato/jid";
import { type Element, xml } from "@hato/xml";
import { bundleKey } from "./leaf.js";
import type { Appended, KeyLogService } from "./service.js";

export const NS_KEYLOG = "urn:hato:keylog:0";
const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
/** A bare JID is at most 3071 bytes (RFC 7622 §3.1); the attribute is refused beyond. */
const MAX_JID = 3071;

const bad = (text: string) => new StanzaError("bad-request", text);

/** A non-negative integer attribute, or undefined when absent. */
function sizeAttr(el: Element, name: string): number | undefined {
  const v = el.attr(name);
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(v)) throw bad(`'${name}' must be a whole number`);
  return Number(v);
}

function nodes(hashes: Buffer[]): Element[] {
  return hashes.map((h) => xml("node", {}, h.toString("hex")));
}

/** Registers the IQ handlers and the bundle check. */
export function registerKeyLogHandlers(api: ModuleApi, log: KeyLogService): void {
  api.addFeature(NS_KEYLOG);

  api.handleIq("get", "host", NS_KEYLOG, "head", async () => {
    const h = await log.latest();
    return xml("head", {
      xmlns: NS_KEYLOG,
      size: String(h.size),
      root: h.root,
      timestamp: String(h.timestamp),
      signature: h.signature,
      key: h.key,
    });
  });

  api.handleIq("get", "host", NS_KEYLOG, "leaves", async (ev) => {
    const req = ev.stanza.getChild("leaves", NS_KEYLOG)!;
    const raw = req.attr("jid") ?? "";
    if (raw === "" || raw.length > MAX_JID) throw bad("'jid' must be a bare JID");
    const parsed = parseJid(raw);
    if (!parsed.ok || !parsed.jid.isBare() || parsed.jid.local === "") {
      throw bad("'jid' must be a bare JID (user@domain)");
    }
    const size = sizeAttr(req, "size") ?? log.size;
    if (size < 1 || size > log.size) {
      throw bad(`'size' must be between 1 and the log's size (${log.size})`);
    }
    const jid = parsed.jid.toString();
    const out = xml("leaves", { xmlns: NS_KEYLOG, jid, size: String(size) });
    for (const { leaf, proof } of await log.leavesOf(jid, size)) {
      out.append(
        xml(
          "leaf",
          {
            index: String(leaf.index),
            ns: leaf.ns,
            device: String(leaf.device),
            ik: leaf.ik,
            at: leaf.at,
          },
          ...nodes(proof),
        ),
      );
    }
    return out;
  });

  api.handleIq("get", "host", NS_KEYLOG, "consistency", async (ev) => {
    const req = ev.stanza.getChild("consistency", NS_KEYLOG)!;
    const from = sizeAttr(req, "from");
    const to = sizeAttr(req, "to") ?? log.size;
    if (from === undefined) throw bad("'from' (the size of the head you saw) is required");
    if (!(from >= 1 && from <= to && to <= log.size)) {
      throw bad(`need 1 <= 'from' <= 'to' <= the log's size (${log.size})`);
    }
    return xml(
      "consistency",
      { xmlns: NS_KEYLOG, from: String(from), to: String(to) },
      ...nodes(log.consistency(from, to)),
    );
  });

  // Before PEP stores a bundle: its key is logged here, or the publish is refused (a bundle the
  // log cannot read, a key beyond the day's allowance, a log that cannot write). Logging
  // first, in one step with the allowance check, means no device key is ever published
  // without being logged, even when publishes race; a publish that PEP then refuses leaves a
  // leaf for a key that was announced but never served, which only over-states.
  api.hook(
    `iq-set/bare/${NS_PUBSUB}:pubsub`,
    async (ev: StanzaEvent) => {
      const publish = ev.stanza.getChild("pubsub", NS_PUBSUB)?.getChild("publish", NS_PUBSUB);
      const item = publish?.getChild("item", NS_PUBSUB);
      const payload = item?.elements()[0];
      if (publish === undefined || payload === undefined) return false;
      const key = bundleKey(publish.attr("node") ?? "", item?.attr("id") ?? "", payload);
      if (key === undefined || ev.origin === undefined) return false;
      if (!key.ok) {
        api.bounce(ev, bad(key.text));
        return true;
      }
      const jid = ev.from.bare.toString();
      let done: Appended;
      try {
        done = await log.admit(jid, key);
      } catch (err) {
        api.log.error("key log: a device key could not be logged; its publish is refused", {
          jid,
          err,
        });
        const text = "the key log could not record this device key, so it was not published";
        api.bounce(ev, new StanzaError("internal-server-error", text));
        return true;
      }
      if (done !== "over-limit") return false;
      const text = `at most ${log.limits.leavesPerUserPerDay} new device keys a day may be published; try again tomorrow`;
      api.bounce(ev, new StanzaError("policy-violation", text));
      void api.fire("policy-denied", { user: ev.from.local, rule: "keylog", text });
      return true;
    },
    Priority.POLICY,
  );
}
