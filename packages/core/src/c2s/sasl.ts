// SASL negotiation on a client stream (RFC 6120 §6), with login throttling and XEP-0440.

import { prepLocal } from "@hato/jid";
import {
  type ChannelBindingSource,
  createSaslServer,
  makePlainVerifier,
  type SaslServer,
  type SaslStep,
  supportedMechanisms,
} from "@hato/sasl";
import { type Element, NS_SASL, NS_SASL_CB, xml } from "@hato/xml";
import type { C2sContext } from "./context.js";

/** How a SASL element was answered. */
export type SaslOutcome =
  | { kind: "continue"; reply: Element }
  | { kind: "success"; reply: Element; username: string; mechanism: string }
  | { kind: "failure"; reply: Element; final: boolean };

// RFC 6120 §6.4.5: allow a few retries on one stream (at most 5), then close it. Five lets a
// client that tries every mechanism in turn (-PLUS, plain SCRAM, PLAIN) still get in.
const MAX_FAILURES_PER_STREAM = 5;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes SASL element text: "=" is an empty response, no text is no response (RFC 6120 §6.4.2). */
function decode(text: string): Buffer | null | undefined {
  const t = text.trim();
  if (t === "") return null;
  if (t === "=") return Buffer.alloc(0);
  if (t.length % 4 !== 0 || !BASE64.test(t)) return undefined;
  return Buffer.from(t, "base64");
}

function failure(condition: string, text: string): Element {
  return xml(
    "failure",
    { xmlns: NS_SASL },
    xml(condition),
    xml("text", { "xml:lang": "en" }, text),
  );
}

/** One stream's SASL state: offered mechanisms, the exchange in progress, failures so far. */
export class SaslNegotiation {
  private server: SaslServer | undefined;
  private failures = 0;
  private mechanism = "";
  /** Whether this stream's login took from the logins-per-minute budget already. */
  private counted = false;
  readonly offered: string[];

  constructor(
    private readonly ctx: C2sContext,
    private readonly address: string,
    private readonly channelBinding: ChannelBindingSource,
  ) {
    this.offered = supportedMechanisms({ tls: true, channelBinding: channelBinding.types });
  }

  /** The `<mechanisms/>` feature, and XEP-0440's channel-binding types when there are any. */
  features(): Element[] {
    const out = [
      xml("mechanisms", { xmlns: NS_SASL }, ...this.offered.map((m) => xml("mechanism", null, m))),
    ];
    if (this.channelBinding.types.length > 0) {
      out.push(
        xml(
          "sasl-channel-binding",
          { xmlns: NS_SASL_CB },
          ...this.channelBinding.types.map((type) => xml("channel-binding", { type })),
        ),
      );
    }
    return out;
  }

  /** Handles `<auth/>`, `<response/>` or `<abort/>`. */
  async handle(el: Element): Promise<SaslOutcome> {
    if (el.name === "abort") {
      this.server = undefined;
      return this.fail("aborted", "authentication aborted by the client");
    }
    if (el.name === "auth") {
      if (this.server !== undefined)
        return this.fail("malformed-request", "an authentication exchange is already in progress");
      const mechanism = el.attr("mechanism") ?? "";
      if (this.ctx.throttle.addressBlocked(this.address)) {
        this.failed(undefined, mechanism, "temporary-auth-failure");
        return this.fail(
          "temporary-auth-failure",
          "too many failed logins from your address; try again later",
          true,
        );
      }
      // The policy's logins per minute per address count streams that log in, not each
      // <auth/>: a client working down its list of mechanisms is one login (and retries on
      // one stream are capped at MAX_FAILURES_PER_STREAM anyway).
      if (!this.counted) {
        this.counted = true;
        const login = this.ctx.logins.take(this.address);
        if (!login.ok) {
          const text = `too many logins from your address; try again in ${login.retryAfterSeconds} seconds`;
          this.ctx.denials.deny(`\0login\0${this.address}`, {
            user: "",
            rule: "rate-limits",
            text,
            address: this.address,
          });
          return this.fail("temporary-auth-failure", text, true);
        }
      }
      const server = this.offered.includes(mechanism)
        ? createSaslServer(mechanism, this.saslContext())
        : undefined;
      if (server === undefined)
        return this.fail("invalid-mechanism", `mechanism "${mechanism}" is not offered here`);
      this.server = server;
      this.mechanism = mechanism;
    } else if (this.server === undefined) {
      return this.fail("malformed-request", "no authentication exchange is in progress");
    }
    const data = decode(el.text());
    if (data === undefined) {
      this.server = undefined;
      return this.fail("incorrect-encoding", "the data is not valid base64");
    }
    const step = await this.server.step(data);
    return this.outcome(step);
  }

  private async disabled(username: string): Promise<boolean> {
    return (await this.ctx.storage.accounts.get(username))?.disabled === true;
  }

  private async outcome(step: SaslStep): Promise<SaslOutcome> {
    switch (step.kind) {
      case "challenge":
        return {
          kind: "continue",
          reply: xml("challenge", { xmlns: NS_SASL }, step.data.toString("base64")),
        };
      case "success": {
        this.server = undefined;
        // Only someone who knows the password learns that the account is locked.
        if (await this.disabled(step.username)) {
          this.failed(step.username, this.mechanism, "account-disabled");
          return this.fail(
            "account-disabled",
            "this account is locked by an administrator; ask them to unlock it",
          );
        }
        // During a lockout even the right password fails, so a guesser learns nothing.
        if (this.ctx.throttle.accountBlocked(step.username)) {
          this.failed(step.username, this.mechanism, "temporary-auth-failure");
          return this.fail(
            "temporary-auth-failure",
            "too many failed logins for this account; try again later",
          );
        }
        this.ctx.bus.fire("auth-succeeded", {
          username: step.username,
          address: this.address,
          mechanism: this.mechanism,
        });
        const data = step.data && step.data.length > 0 ? step.data.toString("base64") : undefined;
        return {
          kind: "success",
          reply: xml("success", { xmlns: NS_SASL }, data),
          username: step.username,
          mechanism: this.mechanism,
        };
      }
      case "failure":
        this.server = undefined;
        // Only a failed credential check counts toward throttling. Refusals before one (a
        // channel-binding type the server lacks, a downgrade) are what a client meets while
        // it works down its list of mechanisms, as Debian's slixmpp does on TLS 1.3.
        if (step.condition === "not-authorized" && step.username !== undefined) {
          this.ctx.throttle.failed(this.address, step.username);
          if (this.ctx.throttle.accountBlocked(step.username)) {
            this.failed(step.username, this.mechanism, "temporary-auth-failure");
            return this.fail(
              "temporary-auth-failure",
              "too many failed logins for this account; try again later",
            );
          }
        }
        if (step.condition === "not-authorized")
          this.failed(step.username, this.mechanism, step.condition);
        return this.fail(step.condition, step.text);
    }
  }

  /** Tells observers (the audit log) of a refused login; never with the password. */
  private failed(username: string | undefined, mechanism: string, condition: string): void {
    const payload: { username?: string; address: string; mechanism: string; condition: string } = {
      address: this.address,
      mechanism,
      condition,
    };
    if (username !== undefined) payload.username = username;
    this.ctx.bus.fire("auth-failed", payload);
  }

  private fail(condition: string, text: string, final = false): SaslOutcome {
    this.failures++;
    return {
      kind: "failure",
      reply: failure(condition, text),
      final: final || this.failures >= MAX_FAILURES_PER_STREAM,
    };
  }

  private saslContext() {
    const { storage, fakeSalt, config, domain } = this.ctx;
    const lookup = async (username: string, hash: "sha1" | "sha256") => {
      const account = await storage.accounts.get(username);
      // A locked account's credentials are still checked: the right password then gets
      // <account-disabled/>, a wrong one the same <not-authorized/> as ever.
      if (account === undefined) return undefined;
      return hash === "sha1" ? account.scram.sha1 : account.scram.sha256;
    };
    const iterations = config.scram.iterations;
    return {
      mechanismsOffered: this.offered,
      channelBinding: this.channelBinding,
      prepUsername: (s: string) => prepLocal(s),
      lookup,
      // PLAIN costs an unknown name the same key derivation as a known one.
      verifyPlain: makePlainVerifier({ lookup, fakeSalt, iterations }),
      // Some clients name themselves by bare JID as authorization identity: that is the same user.
      authorize: (username: string, authzid: string) =>
        authzid === username || authzid === `${username}@${domain}`,
      fakeSalt,
      iterations,
    };
  }
}
