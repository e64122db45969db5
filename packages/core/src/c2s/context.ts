// What every client stream shares: configuration, registries, TLS material and limits.

import type { SecureContext } from "node:tls";
import type { Jid } from "@hato/jid";
import type { Storage } from "@hato/storage";
import type { Element, ParserLimits } from "@hato/xml";
import type { Config } from "../config.js";
import type { EventBus } from "../events.js";
import type { AuthThrottle, Gauge, Sweeper } from "../limits.js";
import type { Logger } from "../logger.js";
import type { PolicyStore } from "../policy/store.js";
import type { DenialCoalescer, LoginLimiter, UserRates } from "../rates.js";
import type { Router } from "../router.js";
import type { SessionRegistry } from "../session.js";
import type { ClientSession } from "./client-session.js";
import type { Resumptions } from "./sm.js";

/**
 * Answers an IQ that arrives before authentication (XEP-0077 registration): the whole reply.
 * `stream` is the same object for every IQ of one stream (a WeakMap key for per-stream state,
 * such as a XEP-0445 token checked earlier in that stream).
 */
export type PreauthIqHandler = (
  iq: Element,
  peer: { address: string; stream: object },
) => Promise<Element>;

/** A stream feature, or a function that says at each <stream:features/> whether to offer one. */
export type StreamFeature = Element | (() => Element | undefined);

/** What modules add to client streams: stream features per phase, pre-auth IQ handlers. */
export interface StreamExtensions {
  /** Extra <stream:features> children offered before authentication and after it (bind phase). */
  features: { auth: StreamFeature[]; bind: StreamFeature[] };
  /** By the namespace of the IQ's payload. */
  preauthIq: Map<string, PreauthIqHandler>;
}

export interface C2sContext {
  domain: string;
  serverJid: Jid;
  config: Config;
  log: Logger;
  storage: Storage;
  sessions: SessionRegistry;
  /** The organisation's policy (max sessions at bind). */
  policy: PolicyStore;
  router: Router;
  bus: EventBus;
  tls: { context: SecureContext; certDer: Buffer };
  sweeper: Sweeper;
  throttle: AuthThrottle;
  /** Unauthenticated connections per address. */
  unauthenticated: Gauge;
  fakeSalt: (username: string, hash: "sha1" | "sha256") => Buffer;
  parserLimits: Partial<ParserLimits>;
  extensions: StreamExtensions;
  /** The policy's stanza and byte rates per user (all of a user's sessions share them). */
  rates: UserRates;
  /** The policy's logins per minute per address (the first `<auth/>` of each stream). */
  logins: LoginLimiter;
  /** Rate-limit denials, coalesced before they reach `policy-denied` (the audit log). */
  denials: DenialCoalescer;
  /** Sessions that may be resumed, by XEP-0198 SM-ID. */
  resumptions: Resumptions<ClientSession>;
}
