// XEP-0077: In-Band Registration — off unless register.enabled; accounts made as the CLI makes them.
import {
  Accounts,
  errorReply,
  HatoError,
  HatoErrors,
  type HatoModule,
  StanzaError,
  type StanzaEvent,
  StreamError,
} from "@hato/core";
import { prepLocal } from "@hato/jid";
import { type Element, xml } from "@hato/xml";
import { unsupportedIq } from "../unknown-account.js";

export const NS_REGISTER = "jabber:iq:register";
export const NS_REGISTER_FEATURE = "http://jabber.org/features/iq-register";
const HOUR = 3_600_000;
const OFF =
  "in-band registration is turned off on this server; ask its administrator for an account";

export const register: HatoModule = {
  name: "register",
  load(api) {
    const { enabled, perAddressPerHour, passwordMinLength, passwordMaxLength } =
      api.config.register;
    // Accounts fires user-created and user-deleted through the API.
    const accounts = new Accounts(
      api.storage,
      api.domain,
      api.config.scram.iterations,
      api,
      api.config.data,
    );
    const attempts = new Map<string, { count: number; until: number }>();

    // Before authentication: the auth phase is reached only on TLS (after STARTTLS, or on the
    // direct-TLS port), so usernames and passwords never cross the network in the clear.
    api.handlePreauthIq(NS_REGISTER, async (iq, peer) => {
      try {
        return reply(iq, await preauth(iq, peer.address));
      } catch (err) {
        if (!(err instanceof StanzaError)) api.log.error("registration failed", { err });
        return failure(iq, err);
      }
    });
    if (enabled) {
      api.addStreamFeature("auth", xml("register", { xmlns: NS_REGISTER_FEATURE }));
      api.addFeature(NS_REGISTER);
    }
    handleAfterLogin(enabled);

    async function preauth(iq: Element, address: string): Promise<Element | undefined> {
      if (!enabled) throw new StanzaError("service-unavailable", OFF);
      const query = iq.getChild("query", NS_REGISTER);
      const type = iq.attr("type");
      if (type === "get") {
        return xml(
          "query",
          { xmlns: NS_REGISTER },
          xml("instructions", null, "Choose a username and a password for your new account."),
          xml("username"),
          xml("password"),
        );
      }
      if (type !== "set" || !query) throw new StanzaError("bad-request", "expected a get or a set");
      if (query.getChild("remove")) {
        throw new StanzaError("not-authorized", "log in to delete your account");
      }
      const username = checkUsername(query.getChildText("username"));
      // The organisation's policy (server-wide): off, or invite-only (invites come later),
      // refuses what register.enabled would allow.
      const byPolicy = api.policy.current.base.registration;
      if (byPolicy === "off" || byPolicy === "invite") {
        const text =
          byPolicy === "off"
            ? "your organisation does not allow creating accounts here; ask an admin"
            : "your organisation creates accounts by invitation only; ask an admin for an invite";
        void api.fire("policy-denied", { user: username, rule: "registration", text });
        throw new StanzaError("not-allowed", text, "cancel");
      }
      const password = checkPassword(query.getChildText("password"));
      limit(address);
      try {
        await accounts.add(username, password);
      } catch (err) {
        if (err instanceof HatoError && err.code === HatoErrors.USER_EXISTS) {
          throw new StanzaError("conflict", "that username is taken; choose another one");
        }
        if (err instanceof HatoError && err.code === HatoErrors.USER_RESERVED) {
          throw new StanzaError(
            "conflict",
            "that username belonged to an account that was deleted and stays reserved; choose another one",
          );
        }
        throw err;
      }
      api.log.info("account registered in-band", { user: username, address });
      return undefined;
    }

    /** Counts a well-formed attempt from an address; refuses past the hourly limit. */
    function limit(address: string): void {
      const now = Date.now();
      if (attempts.size > 10_000) {
        for (const [a, w] of attempts) if (w.until <= now) attempts.delete(a);
      }
      let w = attempts.get(address);
      if (w === undefined || w.until <= now) {
        w = { count: 0, until: now + HOUR };
        attempts.set(address, w);
      }
      if (w.count >= perAddressPerHour) {
        throw new StanzaError(
          "policy-violation",
          `too many registrations from your address; at most ${perAddressPerHour} an hour`,
          "wait",
        );
      }
      w.count++;
    }

    function checkUsername(text: string | undefined): string {
      const username = text === undefined || text === "" ? null : prepLocal(text);
      if (username === null) {
        throw new StanzaError(
          "not-acceptable",
          text ? `"${text}" cannot be a username` : "a username is required",
        );
      }
      return username;
    }

    function checkPassword(text: string | undefined): string {
      const length = text === undefined ? 0 : [...text].length;
      if (text === undefined || length < passwordMinLength) {
        throw new StanzaError(
          "not-acceptable",
          `a password of at least ${passwordMinLength} characters is required`,
        );
      }
      if (length > passwordMaxLength) {
        throw new StanzaError(
          "not-acceptable",
          `a password may have at most ${passwordMaxLength} characters`,
        );
      }
      return text;
    }

    /** After login: password change and account removal (§3.2, §3.3), to the server or oneself. */
    function handleAfterLogin(on: boolean): void {
      for (const type of ["get", "set"] as const) {
        for (const target of ["host", "bare"] as const) {
          api.handleIq(type, target, NS_REGISTER, "query", (ev) => {
            const payload = ev.stanza.elements()[0]!;
            if (
              target === "bare" &&
              (ev.from.local !== ev.to.local || ev.from.domain !== ev.to.domain)
            ) {
              throw unsupportedIq(payload);
            }
            if (ev.from.local === "" || ev.from.domain !== api.domain) {
              throw new StanzaError("forbidden", "only local accounts can manage their account");
            }
            if (!on) throw new StanzaError("service-unavailable", OFF);
            return type === "get" ? registered(ev) : change(ev, payload);
          });
        }
      }
    }

    function registered(ev: StanzaEvent): Element {
      return xml(
        "query",
        { xmlns: NS_REGISTER },
        xml("registered"),
        xml("username", null, ev.from.local),
        xml("password"),
      );
    }

    async function change(ev: StanzaEvent, query: Element): Promise<undefined> {
      const user = ev.from.local;
      if (query.getChild("remove")) {
        await accounts.del(user).catch((err: unknown) => {
          if (!(err instanceof HatoError && err.code === HatoErrors.USER_NOT_FOUND)) throw err;
        });
        api.log.info("account deleted in-band", { user });
        // After the result has been queued for the asking session (§3.2).
        setImmediate(() => {
          for (const s of [...api.sessions.ofUser(user)]) {
            s.close(new StreamError("not-authorized", "this account was deleted"));
          }
        });
        return undefined;
      }
      const name = query.getChildText("username");
      const password = query.getChildText("password");
      if (name === undefined || password === undefined) {
        throw new StanzaError(
          "bad-request",
          "send <username/> and <password/> to change the password, or <remove/>",
        );
      }
      if (prepLocal(name) !== user) {
        throw new StanzaError("not-allowed", "you can change only your own account's password");
      }
      await accounts.passwd(user, checkPassword(password));
      api.log.info("password changed in-band", { user });
      return undefined;
    }
  },
};

function reply(iq: Element, payload: Element | undefined): Element {
  const out = xml("iq", { type: "result", id: iq.attr("id") });
  if (payload) out.append(payload);
  return out;
}

function failure(iq: Element, err: unknown): Element {
  const e =
    err instanceof StanzaError
      ? err
      : new StanzaError("internal-server-error", "the server failed to process this request");
  // A result or error sent before login is answered too: this reply is the only one possible.
  const stanza = iq.attr("type") === "get" || iq.attr("type") === "set" ? iq : iq.clone();
  if (stanza !== iq) stanza.attrs.type = "get";
  const out = errorReply(stanza, e)!;
  delete out.attrs.from;
  delete out.attrs.to;
  return out;
}
