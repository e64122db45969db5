// XEP-0077: In-Band Registration, with XEP-0445 pre-authenticated (invite) registration and the
// organisation's `registration` rule: off, invite (only with a token), open (register.enabled).
import {
  Accounts,
  errorReply,
  HatoError,
  HatoErrors,
  type HatoModule,
  INVITE_REFUSALS,
  Invites,
  StanzaError,
  type StanzaEvent,
  StreamError,
} from "@hato/core";
import { prepLocal } from "@hato/jid";
import { type Element, xml } from "@hato/xml";
import { unsupportedIq } from "../unknown-account.js";
import { checkPassword, checkUsername, hourlyLimit } from "./checks.js";

export const NS_REGISTER = "jabber:iq:register";
export const NS_REGISTER_FEATURE = "http://jabber.org/features/iq-register";
/** XEP-0445: the pre-auth IQ and the stream feature that says the server takes one. */
export const NS_PARS = "urn:xmpp:pars:0";
export const NS_IBR_TOKEN = "urn:xmpp:ibr-token:0";
/** A token is 43 characters; anything much longer is not worth hashing. */
const TOKEN_MAX = 256;
const OFF =
  "in-band registration is turned off on this server; ask its administrator for an account";
const POLICY_OFF = "your organisation does not allow creating accounts here; ask an admin";
const POLICY_INVITE =
  "your organisation creates accounts by invitation only; ask an admin for an invite";

export const register: HatoModule = {
  name: "register",
  load(api) {
    const { enabled, perAddressPerHour, passwordMinLength, passwordMaxLength } =
      api.config.register;
    // Accounts fires user-created and user-deleted through the API.
    const accounts = new Accounts(api.storage, api.domain, api.config.scram.iterations, api);
    const invites = new Invites(api.storage, api.config, api);
    const registrations = hourlyLimit(perAddressPerHour, "registrations");
    const tokenFailures = hourlyLimit(perAddressPerHour, "invalid invite tokens");
    /** The invite a stream's XEP-0445 pre-auth IQ was accepted for, until it registers. */
    const checked = new WeakMap<object, { key: string; id: string }>();

    /** How the policy (server-wide: its base rule) and register.enabled combine now. */
    const mode = (): "off" | "invite" | "open" | "closed" => {
      const byPolicy = api.policy.current.base.registration;
      if (byPolicy === "off" || byPolicy === "invite") return byPolicy;
      return enabled ? "open" : "closed";
    };
    const offeredWhenOpen = (el: Element) => () =>
      mode() === "open" || mode() === "invite" ? el : undefined;

    // Before authentication: the auth phase is reached only on TLS (after STARTTLS, or on the
    // direct-TLS port), so usernames and passwords never cross the network in the clear.
    api.handlePreauthIq(NS_REGISTER, async (iq, peer) => {
      try {
        return reply(iq, await preauth(iq, peer));
      } catch (err) {
        if (!(err instanceof StanzaError)) api.log.error("registration failed", { err });
        return failure(iq, err);
      }
    });
    api.handlePreauthIq(NS_PARS, async (iq, peer) => {
      try {
        return reply(iq, await token(iq, peer));
      } catch (err) {
        if (!(err instanceof StanzaError)) api.log.error("invite token check failed", { err });
        return failure(iq, err);
      }
    });
    // Offered while registration is possible at all; a policy reload changes it for new streams.
    api.addStreamFeature("auth", offeredWhenOpen(xml("register", { xmlns: NS_IBR_TOKEN })));
    api.addStreamFeature("auth", offeredWhenOpen(xml("register", { xmlns: NS_REGISTER_FEATURE })));
    if (enabled) api.addFeature(NS_REGISTER);
    handleAfterLogin(enabled);

    /** Refuses what the policy or the settings forbid before any field is looked at. */
    function refuseClosed(username?: string): void {
      const m = mode();
      if (m === "closed") throw new StanzaError("service-unavailable", OFF);
      if (m === "off") {
        if (username !== undefined)
          void api.fire("policy-denied", {
            user: username,
            rule: "registration",
            text: POLICY_OFF,
          });
        throw new StanzaError("not-allowed", POLICY_OFF, "cancel");
      }
    }

    /** XEP-0445 §4: checks a token (expiry counts only here) and remembers it for the stream. */
    async function token(
      iq: Element,
      peer: { address: string; stream: object },
    ): Promise<undefined> {
      const pre = iq.getChild("preauth", NS_PARS);
      if (iq.attr("type") !== "set" || pre === undefined) {
        throw new StanzaError("bad-request", "send <preauth token='...'/> in an iq of type set");
      }
      if (mode() === "off") {
        void api.fire("registration-refused", { address: peer.address, reason: POLICY_OFF });
      }
      refuseClosed();
      const value = pre.attr("token");
      if (value === undefined || value === "") {
        throw new StanzaError("bad-request", "the token attribute is missing");
      }
      const r =
        value.length > TOKEN_MAX
          ? { ok: false as const, reason: "malformed" as const }
          : await invites.check(value);
      if (!r.ok) {
        const reason = INVITE_REFUSALS[r.reason];
        void api.fire("registration-refused", { address: peer.address, reason });
        tokenFailures(peer.address);
        throw new StanzaError("item-not-found", reason, "cancel");
      }
      checked.set(peer.stream, { key: r.key, id: r.id });
      return undefined;
    }

    async function preauth(
      iq: Element,
      peer: { address: string; stream: object },
    ): Promise<Element | undefined> {
      const query = iq.getChild("query", NS_REGISTER);
      const type = iq.attr("type");
      if (type === "get") {
        refuseClosed();
        return xml(
          "query",
          { xmlns: NS_REGISTER },
          xml(
            "instructions",
            null,
            mode() === "invite"
              ? "Choose a username and a password for your new account (with your invite)."
              : "Choose a username and a password for your new account.",
          ),
          xml("username"),
          xml("password"),
        );
      }
      if (type !== "set" || !query) throw new StanzaError("bad-request", "expected a get or a set");
      if (query.getChild("remove")) {
        throw new StanzaError("not-authorized", "log in to delete your account");
      }
      const username = checkUsername(query.getChildText("username"));
      refuseClosed(username);
      const invite = checked.get(peer.stream);
      if (invite === undefined && mode() === "invite") {
        void api.fire("policy-denied", {
          user: username,
          rule: "registration",
          text: POLICY_INVITE,
        });
        throw new StanzaError("not-allowed", POLICY_INVITE, "cancel");
      }
      const password = checkPassword(
        query.getChildText("password"),
        passwordMinLength,
        passwordMaxLength,
      );
      registrations(peer.address);
      const create = async () => {
        try {
          await accounts.add(username, password);
        } catch (err) {
          if (err instanceof HatoError && err.code === HatoErrors.USER_EXISTS) {
            throw new StanzaError("conflict", "that username is taken; choose another one");
          }
          throw err;
        }
      };
      if (invite === undefined) {
        await create();
        void api.fire("user-registered", { username, address: peer.address });
      } else {
        const r = await invites.redeem(invite.key, username, peer.address, create);
        if (!r.ok) {
          checked.delete(peer.stream);
          const reason = INVITE_REFUSALS[r.reason];
          void api.fire("registration-refused", {
            address: peer.address,
            reason,
            username,
            invite: invite.id,
          });
          throw new StanzaError("not-allowed", reason, "cancel");
        }
        checked.delete(peer.stream);
      }
      api.log.info("account registered in-band", { user: username, address: peer.address });
      return undefined;
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
      await accounts.passwd(user, checkPassword(password, passwordMinLength, passwordMaxLength));
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
