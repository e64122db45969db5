// The one object a feature module sees: hooks, IQ handlers, disco features, storage, options.

import type { Jid } from "@hato/jid";
import type { Storage } from "@hato/storage";
import { type Element, xml } from "@hato/xml";
import type { PreauthIqHandler, StreamExtensions, StreamFeature } from "./c2s/context.js";
import type { ComponentRegistry } from "./component/registry.js";
import type { Config } from "./config.js";
import { StanzaError } from "./errors.js";
import {
  type EventBus,
  type EventName,
  type EventPayload,
  type Handler,
  type IqRequestType,
  Priority,
  type StanzaEvent,
  type Target,
} from "./events.js";
import type { HttpHandler, HttpRouteOptions, HttpRouter } from "./http/router.js";
import type { Logger } from "./logger.js";
import type { PolicyStore } from "./policy/store.js";
import type { Router } from "./router.js";
import type { SessionRegistry } from "./session.js";

/** A feature module: a name and a load function that registers everything through the API. */
export interface HatoModule {
  readonly name: string;
  load(api: ModuleApi): void | Promise<void>;
}

/** An IQ request handler: returns the result's payload (or nothing), throws StanzaError to refuse. */
export type IqHandler = (ev: StanzaEvent) => Element | undefined | Promise<Element | undefined>;

/** An identity in disco#info (XEP-0030 §3.1). */
export interface Identity {
  category: string;
  type: string;
  name?: string;
}

/** What a module can touch. Everything it registers is removed when it unloads. */
export interface ModuleApi {
  readonly name: string;
  readonly domain: string;
  /** The server's own address, for `from` on stanzas it originates. */
  readonly serverJid: Jid;
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly storage: Storage;
  readonly sessions: SessionRegistry;
  /** The organisation's policy; read `policy.current` each time (it is swapped on reload). */
  readonly policy: PolicyStore;
  /** Hooks an event at a priority (default Priority.DEFAULT). */
  hook<E extends EventName>(event: E, handler: Handler<E>, priority?: number): void;
  /** Answers IQ get/set requests for one payload (namespace + element) at one target. */
  handleIq(
    type: IqRequestType,
    target: Target,
    ns: string,
    name: string,
    handler: IqHandler,
    priority?: number,
  ): void;
  /** Fires an event, e.g. one the module defines for others. */
  fire<E extends EventName>(event: E, payload: EventPayload<E>): boolean | Promise<boolean>;
  /** Routes a stanza as if `from` sent it to `to`. */
  route(stanza: Element, from: Jid, to: Jid): void;
  /** Answers a stanza with a stanza error (no-op for errors and results). */
  bounce(ev: StanzaEvent, err: StanzaError): void;
  /**
   * Adds a disco#info feature of the server, or (`"account"`) one the server offers on every
   * account's bare JID (XEP-0030 §3.1 answered on the account's behalf: MAM, stanza ids).
   */
  addFeature(ns: string, on?: "server" | "account"): void;
  addIdentity(identity: Identity): void;
  /** Adds an extended information form (XEP-0128) to the server's disco#info. */
  addInfoForm(form: Element): void;
  /** What every module registered for the server's disco#info. */
  discoInfo(): {
    features: ReadonlySet<string>;
    identities: readonly Identity[];
    accountFeatures: ReadonlySet<string>;
    forms: readonly Element[];
  };
  /** Domains of the external components (XEP-0114) connected now, sorted. */
  connectedComponents(): string[];
  /** Offers a stream feature to clients before authentication or after it (bind phase). */
  addStreamFeature(phase: "auth" | "bind", feature: StreamFeature): void;
  /** Answers IQs with this payload namespace that arrive before authentication. */
  handlePreauthIq(ns: string, handler: PreauthIqHandler): void;
  /**
   * Serves HTTPS requests on the one port under `prefix`: an exact path (`/health`) or a
   * folder ending in `/` (`/upload/`). The security headers, Host and path checks, rate and
   * size limits apply before the handler runs; answer errors with `sendError`.
   */
  handleHttp(prefix: string, handler: HttpHandler, opts?: HttpRouteOptions): void;
  /** Runs when the module unloads (server stop). */
  onUnload(fn: () => void | Promise<void>): void;
}

/** Server-wide registries that module APIs write into. */
export interface ModuleHost {
  domain: string;
  serverJid: Jid;
  config: Config;
  log: Logger;
  storage: Storage;
  sessions: SessionRegistry;
  policy: PolicyStore;
  bus: EventBus;
  router: Router;
  features: Set<string>;
  accountFeatures: Set<string>;
  identities: Identity[];
  /** XEP-0128 forms of the server's disco#info. */
  infoForms: Element[];
  streams: StreamExtensions;
  components: ComponentRegistry;
  http: HttpRouter;
}

/** A module's API plus the means to unload everything it registered. */
export function createModuleApi(
  host: ModuleHost,
  name: string,
): { api: ModuleApi; unload: () => Promise<void> } {
  const log = host.log.child(name);
  const undo: (() => void | Promise<void>)[] = [];

  const hook = <E extends EventName>(
    event: E,
    handler: Handler<E>,
    priority: number = Priority.DEFAULT,
  ) => {
    undo.push(host.bus.on(event, handler, priority, name));
  };

  const api: ModuleApi = {
    name,
    domain: host.domain,
    serverJid: host.serverJid,
    config: host.config,
    log,
    storage: host.storage,
    sessions: host.sessions,
    policy: host.policy,
    hook,
    handleIq(type, target, ns, el, handler, priority) {
      hook(
        `iq-${type}/${target}/${ns}:${el}`,
        (ev) => {
          const answer = (payload: Element | undefined) => {
            const reply = xml("iq", {
              type: "result",
              id: ev.stanza.attr("id"),
              from: ev.to.toString(),
              to: ev.from.toString(),
            });
            if (payload) reply.append(payload);
            // Straight back to the asking session when there is one; otherwise through the router.
            if (ev.origin) ev.origin.send(reply);
            else host.router.route(reply, ev.to, ev.from, undefined);
          };
          const fail = (err: unknown) => {
            if (!(err instanceof StanzaError)) {
              log.error("IQ handler failed", { ns, el, err });
              err = new StanzaError(
                "internal-server-error",
                "the server failed to process this request",
              );
            }
            host.router.bounce(ev, err as StanzaError);
          };
          try {
            const out = handler(ev);
            if (out instanceof Promise) out.then(answer, fail);
            else answer(out);
          } catch (err) {
            fail(err);
          }
          return true;
        },
        priority,
      );
    },
    fire: (event, payload) => host.bus.fire(event, payload),
    route: (stanza, from, to) => host.router.route(stanza, from, to, undefined),
    bounce: (ev, err) => host.router.bounce(ev, err),
    addFeature(ns, on = "server") {
      const set = on === "account" ? host.accountFeatures : host.features;
      set.add(ns);
      undo.push(() => void set.delete(ns));
    },
    addIdentity(identity) {
      host.identities.push(identity);
      undo.push(() => {
        const i = host.identities.indexOf(identity);
        if (i >= 0) host.identities.splice(i, 1);
      });
    },
    addInfoForm(form) {
      host.infoForms.push(form);
      undo.push(() => {
        const i = host.infoForms.indexOf(form);
        if (i >= 0) host.infoForms.splice(i, 1);
      });
    },
    discoInfo: () => ({
      features: host.features,
      identities: host.identities,
      accountFeatures: host.accountFeatures,
      forms: host.infoForms,
    }),
    connectedComponents: () => host.components.connected(),
    addStreamFeature(phase, feature) {
      const list = host.streams.features[phase];
      list.push(feature);
      undo.push(() => {
        const i = list.indexOf(feature);
        if (i >= 0) list.splice(i, 1);
      });
    },
    handlePreauthIq(ns, handler) {
      if (host.streams.preauthIq.has(ns)) {
        throw new Error(`a pre-authentication handler for ${ns} exists already`);
      }
      host.streams.preauthIq.set(ns, handler);
      undo.push(() => void host.streams.preauthIq.delete(ns));
    },
    handleHttp(prefix, handler, opts) {
      undo.push(host.http.add(name, prefix, handler, opts));
    },
    onUnload(fn) {
      undo.push(fn);
    },
  };

  const unload = async () => {
    for (const fn of undo.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.error("unload failed", { err });
      }
    }
    undo.length = 0;
  };
  return { api, unload };
}
