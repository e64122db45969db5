// XEP-0191: Blocking Command — a blocklist per account, enforced for every stanza in pre-route.
import {
  errorReply,
  type HatoModule,
  type ModuleApi,
  Priority,
  type Session,
  StanzaError,
  type StanzaEvent,
} from "@hato/core";
import { type Jid, parseJid } from "@hato/jid";
import { type Element, xml } from "@hato/xml";
import { noSuchAccount, unsupportedIq } from "../unknown-account.js";
import { Blocklists, blocks } from "./list.js";

export const NS_BLOCKING = "urn:xmpp:blocking";
export const NS_BLOCKING_ERRORS = "urn:xmpp:blocking:errors";
const EMPTY: ReadonlySet<string> = new Set();

export const blocking: HatoModule = {
  name: "blocking",
  load(api) {
    const { maxItems, itemsPerRequest } = api.config.blocking;
    const lists = new Blocklists(api.storage.kv, (user, err) =>
      api.log.error("stored blocklist unreadable; treated as empty", { user, err }),
    );
    /** Sessions that asked for the blocklist, and so get pushes. */
    const listeners = new WeakSet<Session>();
    api.addFeature(NS_BLOCKING);

    // The one place blocking is enforced: every stanza the router accepts passes here.
    api.hook(
      "pre-route",
      (ev) => {
        const { from, to } = ev;
        if (from.local === to.local && from.domain === to.domain) return false; // own account
        const sender = from.local !== "" && from.domain === api.domain ? from.local : undefined;
        // What the server itself sends (errors, pings) is never blocked.
        const recipient =
          to.local !== "" && to.domain === api.domain && !from.equals(api.serverJid)
            ? to.local
            : undefined;
        if (sender === undefined && recipient === undefined) return false;
        const mine = sender === undefined ? EMPTY : lists.cached(sender);
        const theirs = recipient === undefined ? EMPTY : lists.cached(recipient);
        if (mine !== undefined && theirs !== undefined) return enforce(ev, mine, theirs);
        return Promise.all([mine ?? lists.load(sender!), theirs ?? lists.load(recipient!)]).then(
          ([m, t]) => enforce(ev, m, t),
          (err: unknown) => {
            api.log.error("blocklist unavailable; stanza dropped", { err });
            return true;
          },
        );
      },
      Priority.POLICY,
    );

    function enforce(
      ev: StanzaEvent,
      mine: ReadonlySet<string>,
      theirs: ReadonlySet<string>,
    ): boolean {
      if (!ev.to.equals(api.serverJid) && blocks(mine, ev.to)) {
        // The user's own client is told (not-acceptable with <blocked/>); what the server sends on the user's behalf
        // (presence broadcasts, probes answered) is dropped.
        if (ev.origin) refuseOutbound(ev, ev.origin);
        return true;
      }
      if (blocks(theirs, ev.from)) {
        // A blocked sender gets exactly what an account that does not exist answers, so it
        // cannot tell; presence and IQ results and errors vanish.
        const err = noSuchAccount(ev);
        if (err) api.bounce(ev, err);
        return true;
      }
      return false;
    }

    function refuseOutbound(ev: StanzaEvent, origin: Session): void {
      const reply = errorReply(
        ev.stanza,
        new StanzaError(
          "not-acceptable",
          "you have blocked this address; unblock it to communicate with it",
        ),
      );
      if (reply === undefined) return;
      reply.attrs.from = ev.to.toString();
      reply.attrs.to = ev.from.toString();
      reply.getChild("error")!.append(xml("blocked", { xmlns: NS_BLOCKING_ERRORS }));
      origin.send(reply);
    }

    /** The account's own IQs only; for any other account, the answer a missing one gives. */
    function owner(ev: StanzaEvent): string {
      if (ev.from.local !== ev.to.local || ev.from.domain !== ev.to.domain) {
        throw unsupportedIq(ev.stanza.elements()[0]!);
      }
      return ev.to.local;
    }

    api.handleIq("get", "bare", NS_BLOCKING, "blocklist", async (ev) => {
      const user = owner(ev);
      const list = await lists.load(user);
      if (ev.origin) listeners.add(ev.origin);
      return xml(
        "blocklist",
        { xmlns: NS_BLOCKING },
        ...[...list].sort().map((jid) => xml("item", { jid })),
      );
    });

    api.handleIq("set", "bare", NS_BLOCKING, "block", async (ev) => {
      const user = owner(ev);
      const jids = readItems(ev.stanza.elements()[0]!, itemsPerRequest);
      if (jids.length === 0) {
        throw new StanzaError("bad-request", "a block request needs at least one item");
      }
      await lists.change(user, async (current) => {
        const added = jids.filter((j) => !current.has(j.toString()));
        if (current.size + added.length > maxItems) {
          throw new StanzaError(
            "policy-violation",
            `a blocklist holds at most ${maxItems} addresses; unblock some first`,
            "cancel",
          );
        }
        // The contacts see the user go offline, before the block would drop that presence.
        for (const contact of await subscribers(api, user, added)) {
          for (const s of api.sessions.ofUser(user)) {
            if (!s.available) continue;
            api.route(
              xml("presence", {
                type: "unavailable",
                from: s.jid.toString(),
                to: contact.toString(),
              }),
              s.jid,
              contact,
            );
          }
        }
        const next = new Set(current);
        for (const j of added) next.add(j.toString());
        return { next: added.length > 0 ? next : undefined, out: undefined };
      });
      push(user, xml("block", { xmlns: NS_BLOCKING }, ...items(jids)));
      return undefined;
    });

    api.handleIq("set", "bare", NS_BLOCKING, "unblock", async (ev) => {
      const user = owner(ev);
      const jids = readItems(ev.stanza.elements()[0]!, itemsPerRequest);
      const removed = await lists.change(user, async (current) => {
        // No items unblocks everything; unblocking what is not blocked is fine.
        if (jids.length === 0) {
          const all = [...current].map((j) => parseJid(j)).flatMap((r) => (r.ok ? [r.jid] : []));
          return { next: current.size > 0 ? new Set<string>() : undefined, out: all };
        }
        const gone = jids.filter((j) => current.has(j.toString()));
        if (gone.length === 0) return { out: gone };
        const next = new Set(current);
        for (const j of gone) next.delete(j.toString());
        return { next, out: gone };
      });
      // Now that nothing drops it, contacts who may see the user's presence get it again.
      for (const contact of await subscribers(api, user, removed)) {
        for (const s of api.sessions.ofUser(user)) {
          if (!s.available || s.presence === undefined) continue;
          const p = s.presence.clone();
          p.attrs.from = s.jid.toString();
          p.attrs.to = contact.toString();
          api.route(p, s.jid, contact);
        }
      }
      push(user, xml("unblock", { xmlns: NS_BLOCKING }, ...items(jids)));
      return undefined;
    });

    /** Every session that asked for the blocklist learns about the change. */
    function push(user: string, payload: Element): void {
      for (const s of api.sessions.ofUser(user)) {
        if (!listeners.has(s)) continue;
        s.send(
          xml(
            "iq",
            {
              type: "set",
              id: `block-push-${Math.random().toString(36).slice(2, 10)}`,
              from: s.jid.bare.toString(),
              to: s.jid.toString(),
            },
            payload.clone(),
          ),
        );
      }
    }

    api.hook("session-bound", ({ session }) => {
      // Read the list while the client is still setting up, so its first stanza is checked synchronously.
      lists.load(session.username).catch(() => {});
    });
    api.hook("user-deleted", ({ username }) => lists.forget(username));
  },
};

function items(jids: Jid[]): Element[] {
  return jids.map((j) => xml("item", { jid: j.toString() }));
}

/** The request's items as prepared JIDs, without duplicates. */
function readItems(payload: Element, max: number): Jid[] {
  const all = payload.getChildren("item", NS_BLOCKING);
  if (all.length > max) {
    throw new StanzaError(
      "policy-violation",
      `at most ${max} items per request; send the rest in another one`,
    );
  }
  const out = new Map<string, Jid>();
  for (const item of all) {
    const text = item.attr("jid");
    if (text === undefined) throw new StanzaError("jid-malformed", "an item needs a jid attribute");
    const r = parseJid(text);
    if (!r.ok) throw new StanzaError("jid-malformed", `"${text}" is not a valid JID: ${r.reason}`);
    out.set(r.jid.toString(), r.jid);
  }
  return [...out.values()];
}

/**
 * The JIDs, among `jids` or covered by them, that may receive the user's presence: roster
 * contacts with a subscription of from or both (RFC 6121 §4.4).
 */
async function subscribers(api: ModuleApi, user: string, jids: Jid[]): Promise<Jid[]> {
  if (jids.length === 0) return [];
  const out: Jid[] = [];
  const domains = new Set<string>();
  for (const j of jids) {
    if (j.local === "") {
      if (j.resource === "") domains.add(j.domain);
      continue;
    }
    const item = await api.storage.roster.item(user, j.bare.toString());
    if (item?.subscription === "from" || item?.subscription === "both") out.push(j);
  }
  if (domains.size > 0) {
    for (const item of (await api.storage.roster.get(user)).items) {
      if (item.subscription !== "from" && item.subscription !== "both") continue;
      const r = parseJid(item.jid);
      if (r.ok && domains.has(r.jid.domain) && !out.some((j) => j.bare.equals(r.jid)))
        out.push(r.jid);
    }
  }
  return out;
}
