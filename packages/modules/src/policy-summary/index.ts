// urn:hato:policy:0, a Hato extension (docs/policy.md): a user asks their own server which of
// the organisation's rules apply to them, and hears again when the policy is reloaded.
import { type HatoModule, type Session, StanzaError, type StanzaEvent, summary } from "@hato/core";
import { type Element, xml } from "@hato/xml";

export const NS_POLICY = "urn:hato:policy:0";

export const policySummary: HatoModule = {
  name: "policy-summary",
  load(api) {
    // Sessions that asked once get the new summary pushed after a reload (as roster pushes go
    // only to sessions that requested the roster, RFC 6121 §2.1.6).
    const interested = new WeakSet<Session>();
    let pushes = 0;

    const query = (username: string): Element =>
      xml(
        "query",
        { xmlns: NS_POLICY },
        ...summary(api.policy.current, username).map((l) =>
          xml("item", l.rule === "" ? {} : { rule: l.rule }, l.text),
        ),
      );

    const answer = (ev: StanzaEvent): Element => {
      // Only for the asking user: to their own server or their own bare JID.
      if (ev.from.domain !== api.domain || ev.from.local === "") {
        throw new StanzaError("forbidden", "the policy summary is only for this server's users");
      }
      if (ev.to.local !== "" && ev.to.local !== ev.from.local) {
        throw new StanzaError("forbidden", "you can ask only for your own policy summary");
      }
      if (ev.origin !== undefined) interested.add(ev.origin);
      return query(ev.from.local);
    };
    api.handleIq("get", "host", NS_POLICY, "query", answer);
    api.handleIq("get", "bare", NS_POLICY, "query", answer);
    api.addFeature(NS_POLICY);

    api.hook("policy-reloaded", ({ ok }) => {
      if (!ok) return;
      for (const s of api.sessions.all()) {
        if (!interested.has(s)) continue;
        s.send(
          xml(
            "iq",
            { type: "set", id: `policy-${++pushes}`, from: api.domain, to: s.jid.toString() },
            query(s.username),
          ),
        );
      }
    });
  },
};
