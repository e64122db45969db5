// XEP-0160: Best Practices for Handling Offline Messages — store, then deliver at next login.
import { type HatoModule, Priority, type Session, StanzaError } from "@hato/core";
import { type Element, NS_DELAY, NS_OFFLINE, parseElement, serialize, xml } from "@hato/xml";

const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";
const NS_HINTS = "urn:xmpp:hints";
const BATCH = 100;

export const offline: HatoModule = {
  name: "offline",
  load(api) {
    const { maxMessages, maxBytes } = api.config.offline;
    api.addFeature(NS_OFFLINE);
    const flushing = new Set<string>();

    api.hook(
      "message/bare",
      async (ev) => {
        const type = ev.stanza.attr("type") ?? "normal";
        if (type !== "normal" && type !== "chat") return false;
        const username = ev.to.local;
        if (maxMessages === 0 || (await api.storage.accounts.get(username)) === undefined) {
          api.bounce(ev, new StanzaError("service-unavailable", "the recipient is not available"));
          return true;
        }
        const children = ev.stanza.elements();
        // Nothing worth keeping: typing notifications, or the sender asked not to store it.
        if (
          ev.stanza.getChild("no-store", NS_HINTS) ||
          children.every((c) => c.xmlns === NS_CHATSTATES)
        )
          return true;
        const stamp = new Date();
        const copy = ev.stanza.clone();
        // A message routed again after a session ended unacknowledged (XEP-0198) already
        // carries the server's delay with the time it first arrived: that one stays alone.
        const stamped =
          ev.rerouted === true &&
          copy.getChildren("delay", NS_DELAY).some((d) => d.attr("from") === api.domain);
        if (!stamped)
          copy.append(
            xml(
              "delay",
              { xmlns: NS_DELAY, from: api.domain, stamp: stamp.toISOString() },
              "Offline storage",
            ),
          );
        const result = await api.storage.offline.push(
          username,
          { stanza: serialize(copy), stamp, from: ev.from.toString() },
          { maxPerUser: maxMessages, maxBytesPerUser: maxBytes },
        );
        if (result === "quota-exceeded") {
          api.bounce(
            ev,
            new StanzaError(
              "service-unavailable",
              "the recipient's offline storage is full",
              "wait",
            ),
          );
        } else if (result === "no-such-user") {
          api.bounce(ev, new StanzaError("service-unavailable", "the recipient is not available"));
        }
        return true;
      },
      Priority.DELIVERY - 1,
    );

    // Messages leave storage only once written to the new session's socket; a session that
    // dies first leaves them stored for the next one.
    api.hook("session-available", ({ session }) => {
      if (session.priority < 0 || flushing.has(session.username)) return;
      flushing.add(session.username);
      flush(session).finally(() => flushing.delete(session.username));
    });

    async function flush(session: Session): Promise<void> {
      for (;;) {
        const batch = await api.storage.offline.peek(session.username, BATCH);
        if (batch.length === 0) return;
        const written = await new Promise<boolean>((resolve) => {
          batch.forEach((m, i) => {
            let el: Element;
            try {
              el = parseElement(m.stanza);
            } catch (err) {
              api.log.error("stored offline message unreadable; dropped", {
                user: session.username,
                err,
              });
              if (i === batch.length - 1) resolve(true);
              return;
            }
            session.send(el, i === batch.length - 1 ? resolve : undefined);
          });
        });
        if (!written) return;
        await api.storage.offline.remove(
          session.username,
          batch.map((m) => m.id),
        );
        if (batch.length < BATCH) return;
      }
    }
  },
};
