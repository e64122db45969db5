// Stanza router (RFC 6120 §8, §10): classify each stanza into a typed event and fire it.

import type { Jid } from "@hato/jid";
import type { Element } from "@hato/xml";
import { errorReply, StanzaError } from "./errors.js";
import type { EventBus, StanzaEvent, StanzaEventName, Target } from "./events.js";
import type { Logger } from "./logger.js";
import type { Session } from "./session.js";

const IQ_TYPES = new Set(["get", "set", "result", "error"]);
const MESSAGE_TYPES = new Set(["chat", "error", "groupchat", "headline", "normal"]);
const PRESENCE_TYPES = new Set([
  "error",
  "probe",
  "subscribe",
  "subscribed",
  "unavailable",
  "unsubscribe",
  "unsubscribed",
]);

/** Domains served here by something other than this router's events (XEP-0114 components). */
export interface ExternalDomains {
  /**
   * Hands the stanza over when `ev.to.domain` is one of these domains: true when delivered,
   * a StanzaError when the domain is known but unreachable, undefined when it is not known.
   */
  deliver(ev: StanzaEvent): true | StanzaError | undefined;
}

/** Routes stanzas whose addresses are already checked, stamped and prepared. */
export class Router {
  /** Consulted for domains other than the server's own, before they count as remote. */
  external: ExternalDomains | undefined;

  constructor(
    private readonly domain: string,
    private readonly bus: EventBus,
    private readonly serverJid: Jid,
    private readonly log: Logger,
  ) {}

  /**
   * Fires the stanza's event; answers what nobody took (RFC 6120 §8.4: service-unavailable
   * for requests, silence for errors and results). Never throws.
   */
  route(stanza: Element, from: Jid, to: Jid, origin: Session | undefined, rerouted = false): void {
    const ev: StanzaEvent = rerouted
      ? { stanza, from, to, origin, rerouted }
      : { stanza, from, to, origin };
    const invalid = this.validate(stanza);
    if (invalid) {
      this.bounce(ev, invalid);
      return;
    }
    const policy = this.bus.fire("pre-route", ev);
    if (policy === false) this.dispatch(ev, to);
    else if (policy === true) return;
    else
      this.after(policy, (taken) => {
        if (!taken) this.dispatch(ev, to);
      });
  }

  private dispatch(ev: StanzaEvent, to: Jid): void {
    const { stanza } = ev;
    if (to.domain !== this.domain) {
      const handed = this.external?.deliver(ev);
      if (handed === true) return;
      // Federation is a later issue; until then a remote address is an unreachable server.
      this.bounce(
        ev,
        handed ??
          new StanzaError(
            "remote-server-not-found",
            `server-to-server connections are not enabled; ${to.domain} is not hosted here`,
          ),
      );
      return;
    }
    const target: Target = to.local === "" ? "host" : to.resource === "" ? "bare" : "full";
    if (stanza.name === "iq") {
      this.routeIq(ev, target);
      return;
    }
    const name = `${stanza.name as "message" | "presence"}/${target}` as const;
    this.after(this.bus.fire(name, ev), (taken) => {
      if (!taken && stanza.name === "message") {
        this.bounce(
          ev,
          new StanzaError("service-unavailable", "no service here handles this message"),
        );
      }
    });
  }

  private routeIq(ev: StanzaEvent, target: Target): void {
    const type = ev.stanza.attr("type")!;
    if (type === "get" || type === "set") {
      const payload = ev.stanza.elements()[0]!;
      const specific =
        `iq-${type}/${target}/${payload.xmlns ?? ""}:${payload.name}` as StanzaEventName;
      this.after(this.bus.fire(specific, ev), (taken) => {
        if (taken) return;
        this.after(this.bus.fire(`iq/${target}`, ev), (generic) => {
          if (!generic) {
            this.bounce(
              ev,
              new StanzaError(
                "service-unavailable",
                `${payload.xmlns ?? ""} ${payload.name} is not supported here`,
              ),
            );
          }
        });
      });
      return;
    }
    // Results and errors go to whoever handles the address (usually delivery); unanswered.
    this.after(this.bus.fire(`iq/${target}`, ev), () => {});
  }

  /** Sends the error reply for a stanza back to its sender through the router. */
  bounce(ev: StanzaEvent, err: StanzaError): void {
    const reply = errorReply(ev.stanza, err);
    if (reply === undefined) return;
    reply.attrs.from = ev.to.toString();
    reply.attrs.to = ev.from.toString();
    if (ev.origin !== undefined) {
      ev.origin.send(reply);
      return;
    }
    // A bounce to a sender that is not a local session (the server, a module): route it,
    // unless it would come back to the server itself.
    if (ev.from.equals(this.serverJid)) return;
    this.route(reply, ev.to, ev.from, undefined);
  }

  private after(result: boolean | Promise<boolean>, then: (taken: boolean) => void): void {
    if (typeof result === "boolean") then(result);
    else result.then(then, (err: unknown) => this.log.error("routing failed", { err }));
  }

  /** RFC 6120 §8.1-8.2 checks the parser cannot make: types, ids, IQ payload count. */
  private validate(stanza: Element): StanzaError | undefined {
    const type = stanza.attr("type");
    switch (stanza.name) {
      case "iq": {
        if (type === undefined || !IQ_TYPES.has(type)) {
          return new StanzaError("bad-request", "an iq needs a type of get, set, result or error");
        }
        if (stanza.attr("id") === undefined)
          return new StanzaError("bad-request", "an iq needs an id");
        if ((type === "get" || type === "set") && stanza.elements().length !== 1) {
          return new StanzaError(
            "bad-request",
            `an iq of type ${type} needs exactly one child element`,
          );
        }
        return undefined;
      }
      case "message":
        if (type !== undefined && !MESSAGE_TYPES.has(type)) {
          return new StanzaError("bad-request", `unknown message type "${type}"`);
        }
        return undefined;
      case "presence":
        if (type !== undefined && !PRESENCE_TYPES.has(type)) {
          return new StanzaError("bad-request", `unknown presence type "${type}"`);
        }
        return undefined;
      default:
        return new StanzaError("bad-request", `unknown stanza "${stanza.name}"`);
    }
  }
}
