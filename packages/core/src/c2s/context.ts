// What every client stream shares: configuration, registries, TLS material and limits.

import type { SecureContext } from "node:tls";
import type { Jid } from "@hato/jid";
import type { Storage } from "@hato/storage";
import type { ParserLimits } from "@hato/xml";
import type { Config } from "../config.js";
import type { EventBus } from "../events.js";
import type { AuthThrottle, Gauge, Sweeper } from "../limits.js";
import type { Logger } from "../logger.js";
import type { Router } from "../router.js";
import type { SessionRegistry } from "../session.js";

export interface C2sContext {
  domain: string;
  serverJid: Jid;
  config: Config;
  log: Logger;
  storage: Storage;
  sessions: SessionRegistry;
  router: Router;
  bus: EventBus;
  tls: { context: SecureContext; certDer: Buffer };
  sweeper: Sweeper;
  throttle: AuthThrottle;
  /** Unauthenticated connections per address. */
  unauthenticated: Gauge;
  fakeSalt: (username: string, hash: "sha1" | "sha256") => Buffer;
  parserLimits: Partial<ParserLimits>;
}
