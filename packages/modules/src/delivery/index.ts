// RFC 6121 §8.5: delivery of messages and IQs to local accounts and sessions.
import { type HatoModule, Priority, StanzaError } from "@hato/core";

export const delivery: HatoModule = {
  name: "delivery",
  load(api) {
    const { sessions } = api;

    // §8.5.3: a full JID reaches exactly that session; if it is gone, chat and normal
    // messages fall back to the bare JID (and so to other sessions or offline storage).
    api.hook(
      "message/full",
      (ev) => {
        const session = sessions.get(ev.to.local, ev.to.resource);
        if (session) {
          session.send(ev.stanza);
          return true;
        }
        const type = ev.stanza.attr("type") ?? "normal";
        if (type === "error") return true; // §8.5.3.2.1: silently ignored
        if (type === "groupchat") {
          api.bounce(ev, new StanzaError("service-unavailable", "that session is not online"));
          return true;
        }
        return api.fire("message/bare", ev);
      },
      Priority.DELIVERY,
    );

    // §8.5.2.1: the available session(s) with the highest non-negative priority; headlines
    // go to every non-negative one. With none, normal and chat fall through to offline storage.
    api.hook(
      "message/bare",
      (ev) => {
        const type = ev.stanza.attr("type") ?? "normal";
        if (type === "error") return true;
        if (type === "groupchat") {
          api.bounce(
            ev,
            new StanzaError("service-unavailable", "this address is not a group chat"),
          );
          return true;
        }
        const targets =
          type === "headline"
            ? sessions.nonNegative(ev.to.local)
            : sessions.highestPriority(ev.to.local);
        for (const s of targets) s.send(ev.stanza);
        if (targets.length > 0 || type === "headline") return true; // §8.5.2.2.2: headlines are not stored
        return false;
      },
      Priority.DELIVERY,
    );

    // §8.5.3.1 / §8.5.3.2.2: IQs to a full JID go to that session or get service-unavailable.
    api.hook(
      "iq/full",
      (ev) => {
        const session = sessions.get(ev.to.local, ev.to.resource);
        if (session) session.send(ev.stanza);
        else api.bounce(ev, new StanzaError("service-unavailable", "that session is not online"));
        return true;
      },
      Priority.DELIVERY,
    );
  },
};
