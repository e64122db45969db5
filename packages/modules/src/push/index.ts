// XEP-0357: Push Notifications (the user's server side): enable, disable, and notify the
// push services of an account that has no session awake when a message arrives.
import { randomUUID } from "node:crypto";
import {
  type HatoModule,
  Priority,
  StanzaError,
  type StanzaEvent,
  WindowCounter,
} from "@hato/core";
import { parseJid } from "@hato/jid";
import { type Element, xml } from "@hato/xml";
import { NS_DATA, NS_PUSH, type Registration, Registrations, storedForm } from "./registrations.js";

const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
/** End-to-end encrypted payloads (OMEMO 0.3 and 2, OpenPGP for XMPP, legacy OpenPGP). */
const ENCRYPTED: readonly [string, string][] = [
  ["encrypted", "eu.siacs.conversations.axolotl"],
  ["encrypted", "urn:xmpp:omemo:2"],
  ["openpgp", "urn:xmpp:openpgp:0"],
  ["x", "jabber:x:encrypted"],
];
/** How long the server waits for a push service to answer a notification. */
const ANSWER_MS = 120_000;

/** A message a person would want to be woken for: not typing notifications, not receipts. */
function worthWaking(stanza: Element): boolean {
  const type = stanza.attr("type") ?? "normal";
  if (type !== "chat" && type !== "normal") return false;
  if (stanza.getChild("body") !== undefined) return true;
  return ENCRYPTED.some(([name, ns]) => stanza.getChild(name, ns) !== undefined);
}

const field = (name: string, value: string) =>
  xml("field", { var: name }, xml("value", null, value));

export const push: HatoModule = {
  name: "push",
  load(api) {
    const { maxRegistrations, notificationsPerMinute, includeBody } = api.config.push;
    const registrations = new Registrations(api.storage.kv, maxRegistrations, api.domain);
    const rate = new WindowCounter(60_000);
    /** Messages per account since it was last awake: the summary's message-count. */
    const unread = new Map<string, number>();
    /** Notifications awaiting the push service's answer, by IQ id. */
    const waiting = new Map<
      string,
      { username: string; reg: Registration; timer: NodeJS.Timeout }
    >();
    api.addFeature(NS_PUSH, "account");

    const own = (ev: StanzaEvent) => {
      if (ev.from.local !== ev.to.local || ev.from.domain !== ev.to.domain)
        throw new StanzaError("forbidden", "only the account itself can manage its push services");
    };
    api.handleIq("set", "bare", NS_PUSH, "enable", async (ev) => {
      own(ev);
      await registrations.enable(ev.to.local, ev.stanza.getChild("enable", NS_PUSH)!);
      return undefined;
    });
    api.handleIq("set", "bare", NS_PUSH, "disable", async (ev) => {
      own(ev);
      await registrations.disable(ev.to.local, ev.stanza.getChild("disable", NS_PUSH)!);
      return undefined;
    });

    /** Awake: a session that is available and has a live connection (not XEP-0198 hibernated). */
    const awake = (username: string) => {
      for (const s of api.sessions.ofUser(username)) if (s.available && !s.hibernated) return true;
      return false;
    };

    // Before delivery and offline storage, never taking the stanza; the decision uses the
    // sessions as they are when the message arrives, and the rest runs off the hot path.
    const observe = (ev: StanzaEvent, full: boolean) => {
      const username = ev.to.local;
      // A full JID whose session is gone falls back to message/bare, which counts it then.
      if (full && api.sessions.get(username, ev.to.resource) === undefined) return;
      if (!worthWaking(ev.stanza) || awake(username)) return;
      notify(username, ev).catch((err: unknown) =>
        api.log.error("push notification failed", { user: username, err }),
      );
    };
    api.hook("message/bare", (ev) => void observe(ev, false), Priority.DELIVERY + 1);
    api.hook("message/full", (ev) => void observe(ev, true), Priority.DELIVERY + 1);

    async function notify(username: string, ev: StanzaEvent): Promise<void> {
      const regs = await registrations.list(username);
      if (regs.length === 0) return;
      const count = (unread.get(username) ?? 0) + 1;
      unread.set(username, count);
      // A flood of messages must not become a flood of pushes: the count keeps growing and
      // the next notification that goes out carries it.
      if (rate.add(username) > notificationsPerMinute) return;
      const summary = xml(
        "x",
        { xmlns: NS_DATA, type: "form" },
        field("FORM_TYPE", "urn:xmpp:push:summary"),
        field("message-count", String(count)),
        field("last-message-sender", ev.from.bare.toString()),
      );
      // The push service is a third party (the app vendor's server, then Apple or Google):
      // what a message says stays on this server unless the administrator decides otherwise.
      const body = ev.stanza.getChildText("body");
      if (includeBody && body !== undefined) summary.append(field("last-message-body", body));
      for (const reg of regs) send(username, reg, summary);
    }

    function send(username: string, reg: Registration, summary: Element): void {
      const to = parseJid(reg.jid);
      if (!to.ok) return;
      const id = randomUUID();
      const form = storedForm(reg);
      const iq = xml(
        "iq",
        { type: "set", id, from: api.domain, to: reg.jid },
        xml(
          "pubsub",
          { xmlns: NS_PUBSUB },
          xml(
            "publish",
            { node: reg.node },
            xml("item", null, xml("notification", { xmlns: NS_PUSH }, summary.clone())),
          ),
          form && xml("publish-options", null, form),
        ),
      );
      const timer = setTimeout(() => waiting.delete(id), ANSWER_MS);
      timer.unref();
      waiting.set(id, { username, reg, timer });
      api.route(iq, api.serverJid, to.jid);
    }

    // XEP-0357 §7: an error from the push service disables that jid and node. A temporary
    // one (type wait: the service is unreachable for now, say) keeps it.
    api.hook(
      "iq/host",
      (ev) => {
        const type = ev.stanza.attr("type");
        if (type !== "result" && type !== "error") return false;
        const id = ev.stanza.attr("id") ?? "";
        const w = waiting.get(id);
        if (w === undefined || ev.from.toString() !== w.reg.jid) return false;
        waiting.delete(id);
        clearTimeout(w.timer);
        if (type === "error" && ev.stanza.getChild("error")?.attr("type") !== "wait") {
          api.log.info("push service refused a notification; disabled", {
            user: w.username,
            service: w.reg.jid,
          });
          registrations
            .remove(w.username, w.reg)
            .catch((err: unknown) =>
              api.log.error("disabling a push service failed", { user: w.username, err }),
            );
        }
        return true;
      },
      Priority.DEFAULT,
    );

    // Awake again (a new session, or a hibernated one resumed): the count starts over.
    api.hook("session-available", ({ session }) => void unread.delete(session.username));
    api.hook("session-resumed", ({ session }) => void unread.delete(session.username));
    api.hook("user-deleted", ({ username }) => void unread.delete(username));
    api.onUnload(() => {
      for (const w of waiting.values()) clearTimeout(w.timer);
      waiting.clear();
    });
  },
};
