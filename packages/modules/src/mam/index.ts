// XEP-0313: Message Archive Management (urn:xmpp:mam:2) with XEP-0359 stanza ids stamped by the server.
import { type HatoModule, Priority, type Session, StanzaError, type StanzaEvent } from "@hato/core";
import {
  type Element,
  NS_CLIENT,
  NS_DELAY,
  NS_STANZA_ID,
  parseElement,
  serialize,
  xml,
} from "@hato/xml";
import { NS_FORWARD } from "../carbons/index.js";
import { archivable, newArchiveId, Serial, stripClaimedIds } from "./archiving.js";
import { PrefsStore, parsePrefs, prefsElement } from "./prefs.js";
import { NS_MAM, NS_RSM, parseQuery, queryForm } from "./query.js";
import type { ArchivedMessage } from "./types.js";

export { NS_MAM };

/** Results a query sends before waiting for them to reach the socket (keeps queues short). */
const RESULTS_PER_FLUSH = 25;

export const mam: HatoModule = {
  name: "mam",
  load(api) {
    const { sessions } = api;
    const { maxPage, prefsMaxJids } = api.config.mam;
    const prefs = new PrefsStore(api.storage, api.config.mam.default);
    /** Archive writes, per user, in arrival order. */
    const writes = new Serial();
    /** Messages to a user whose archiving decision waits for storage, in arrival order. */
    const arrivals = new Serial();
    const querying = new WeakSet<Session>();

    api.addFeature(NS_MAM, "account");
    api.addFeature(`${NS_MAM}#extended`, "account");
    api.addFeature(NS_STANZA_ID, "account");

    /** Appends in order; `decide`, when given, runs in that order too and may veto. */
    const store = (
      user: string,
      msg: ArchivedMessage,
      decide?: () => boolean | Promise<boolean>,
    ) => {
      void writes.run(user, async () => {
        try {
          if (decide && !(await decide())) return;
          // "duplicate-id" would take 128 random bits colliding; "no-such-user" is a message
          // to an account that does not exist (bounced by delivery).
          const result = await api.storage.archive.append(user, msg);
          if (result !== "stored") api.log.debug("not archived", { user, result });
        } catch (err) {
          api.log.error("archiving failed", { user, err });
        }
      });
    };

    /**
     * §3.4 and XEP-0359: decides both archives' copies of one message; the recipient's id is
     * stamped on the live stanza before delivery, so live and archived copies carry the same.
     */
    const observe = (ev: StanzaEvent): boolean | Promise<boolean> => {
      const { stanza } = ev;
      const user = ev.to.local;
      const own = ev.to.bare.toString();
      // Routed again after a session ended unacknowledged (XEP-0198): it was archived (or
      // not) when it first came, and its <stanza-id/> is the one this server stamped then.
      // The flag is set by the core only, so a client cannot use it to keep a forged id.
      if (!ev.rerouted) stripClaimedIds(stanza, own, api.domain);
      if (ev.rerouted || !archivable(stanza)) {
        // Keep the order of whatever follows a message still waiting for its decision.
        return arrivals.busy(user) ? arrivals.run(user, () => false) : false;
      }
      const stamp = new Date();
      const peer = ev.from.bare.toString();
      // Serialised only when some archive takes it, and always before the stanza-id goes on.
      let original: string | undefined;
      const snapshot = () => {
        original ??= serialize(stanza);
        return original;
      };
      const localSender = ev.from.domain === api.domain && ev.from.local !== "";
      if (localSender && peer !== own) {
        const sender = ev.from.local;
        const early = prefs.decide(sender, peer, own);
        if (early instanceof Promise) early.catch(() => {}); // awaited (and logged) in turn
        if (early !== false) {
          store(
            sender,
            { id: newArchiveId(), stamp, with: own, stanza: snapshot() },
            early === true ? undefined : () => early,
          );
        }
      }
      const apply = (ok: boolean) => {
        if (!ok) return false;
        const id = newArchiveId();
        const text = snapshot();
        stanza.append(xml("stanza-id", { xmlns: NS_STANZA_ID, by: own, id }));
        store(user, { id, stamp, with: peer, stanza: text });
        return false;
      };
      const decision = arrivals.busy(user) ? undefined : prefs.decide(user, own, peer);
      if (typeof decision === "boolean") return apply(decision);
      decision?.catch(() => {}); // awaited (and its failure logged) in turn below
      return arrivals.run(user, async () => {
        try {
          return apply(await (decision ?? prefs.decide(user, own, peer)));
        } catch (err) {
          api.log.error("archiving decision failed", { user, err });
          return false;
        }
      });
    };
    // Before carbons (OBSERVE) copy the message and delivery (DELIVERY) hands it over.
    api.hook(
      "message/full",
      (ev) => {
        // With the session gone, delivery passes the message to message/bare: archive it there.
        if (!sessions.get(ev.to.local, ev.to.resource)) return false;
        return observe(ev);
      },
      Priority.OBSERVE + 5,
    );
    api.hook("message/bare", observe, Priority.OBSERVE + 5);

    /** Only the account's own sessions reach its archive; the same answer whoever asks. */
    const owner = (ev: StanzaEvent): Session => {
      if (ev.origin === undefined || !ev.from.bare.equals(ev.to)) {
        throw new StanzaError("forbidden", "only the account itself can use its message archive");
      }
      return ev.origin;
    };

    api.handleIq("get", "bare", NS_MAM, "query", (ev) => {
      owner(ev);
      return queryForm();
    });

    api.handleIq("set", "bare", NS_MAM, "query", async (ev) => {
      const session = owner(ev);
      const { query, queryId, flip } = parseQuery(ev.stanza.getChild("query", NS_MAM)!, maxPage);
      if (querying.has(session)) {
        throw new StanzaError(
          "resource-constraint",
          "an archive query of this session is still running; send the next when it has finished",
          "wait",
        );
      }
      querying.add(session);
      try {
        const user = session.username;
        await writes.idle(user);
        if (query.ids) {
          const found = await api.storage.archive.query(user, { ids: query.ids, limit: maxPage });
          if (found && found.count < query.ids.length) {
            const have = new Set(found.messages.map((m) => m.id));
            const missing = query.ids.find((id) => !have.has(id));
            throw new StanzaError(
              "item-not-found",
              `no message with id ${missing} in your archive`,
            );
          }
        }
        const page = await api.storage.archive.query(user, query);
        if (page === undefined) {
          throw new StanzaError(
            "item-not-found",
            "the id given in after or before is not in your archive",
          );
        }
        const bare = session.jid.bare.toString();
        const list = flip ? [...page.messages].reverse() : page.messages;
        for (let i = 0; i < list.length; i++) {
          const m = list[i]!;
          const result = resultMessage(m, bare, session, queryId);
          if (result === undefined) continue;
          if ((i + 1) % RESULTS_PER_FLUSH === 0) {
            const written = await new Promise<boolean>((resolve) => session.send(result, resolve));
            if (!written) return undefined; // the session is gone; nobody awaits the rest
          } else session.send(result);
        }
        const first = page.messages[0];
        const last = page.messages.at(-1);
        return xml(
          "fin",
          { xmlns: NS_MAM, complete: page.complete ? "true" : "false" },
          xml(
            "set",
            { xmlns: NS_RSM },
            first && xml("first", {}, first.id),
            last && xml("last", {}, last.id),
            xml("count", {}, String(page.count)),
          ),
        );
      } finally {
        querying.delete(session);
      }
    });

    const resultMessage = (
      m: ArchivedMessage,
      bare: string,
      session: Session,
      queryId: string | undefined,
    ): Element | undefined => {
      let original: Element;
      try {
        original = parseElement(m.stanza);
      } catch (err) {
        api.log.error("archived message unreadable; skipped", { id: m.id, err });
        return undefined;
      }
      return xml(
        "message",
        { xmlns: NS_CLIENT, from: bare, to: session.jid.toString(), id: newArchiveId() },
        xml(
          "result",
          { xmlns: NS_MAM, queryid: queryId, id: m.id },
          xml(
            "forwarded",
            { xmlns: NS_FORWARD },
            xml("delay", { xmlns: NS_DELAY, stamp: m.stamp.toISOString() }),
            original,
          ),
        ),
      );
    };

    // §5 (extended): the first and last message of the archive.
    api.handleIq("get", "bare", NS_MAM, "metadata", async (ev) => {
      const user = owner(ev).username;
      await writes.idle(user);
      const oldest = await api.storage.archive.query(user, { limit: 1 });
      const newest = await api.storage.archive.query(user, { limit: 1, before: true });
      const edge = (name: string, m: ArchivedMessage | undefined) =>
        m && xml(name, { id: m.id, timestamp: m.stamp.toISOString() });
      return xml(
        "metadata",
        { xmlns: NS_MAM },
        edge("start", oldest?.messages[0]),
        edge("end", newest?.messages[0]),
      );
    });

    api.handleIq("get", "bare", NS_MAM, "prefs", async (ev) => {
      const user = owner(ev).username;
      return prefsElement(NS_MAM, await prefs.get(user));
    });
    api.handleIq("set", "bare", NS_MAM, "prefs", async (ev) => {
      const user = owner(ev).username;
      const p = parsePrefs(ev.stanza.getChild("prefs", NS_MAM)!, prefsMaxJids);
      if (!(await prefs.set(user, p))) {
        throw new StanzaError("item-not-found", "this account no longer exists");
      }
      return prefsElement(NS_MAM, p);
    });

    api.hook("user-deleted", ({ username }) => prefs.forget(username));
  },
};
