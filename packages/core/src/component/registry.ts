// XEP-0114 components known to this server: their secrets, and the connected ones by domain.

import type { Element } from "@hato/xml";
import type { ComponentConfig } from "../config.js";
import { StanzaError, type StreamError } from "../errors.js";
import type { StanzaEvent } from "../events.js";
import type { ExternalDomains } from "../router.js";

/** An authenticated component connection, as the router sees it. */
export interface ComponentLink {
  readonly domain: string;
  send(stanza: Element): void;
  close(error?: StreamError): void;
}

/** The configured components and the live connection of each (at most one per domain). */
export class ComponentRegistry implements ExternalDomains {
  private readonly secrets = new Map<string, string>();
  private readonly live = new Map<string, ComponentLink>();

  constructor(components: readonly ComponentConfig[]) {
    for (const c of components) this.secrets.set(c.domain, c.secret);
  }

  /** The shared secret of a configured component domain. */
  secretOf(domain: string): string | undefined {
    return this.secrets.get(domain);
  }

  /** Makes `link` the connection of its domain; returns the connection it replaced, if any. */
  attach(link: ComponentLink): ComponentLink | undefined {
    const old = this.live.get(link.domain);
    this.live.set(link.domain, link);
    return old;
  }

  /** Forgets `link` if it is still the connection of its domain. */
  detach(link: ComponentLink): boolean {
    if (this.live.get(link.domain) !== link) return false;
    this.live.delete(link.domain);
    return true;
  }

  /** Domains of the components connected now, sorted. */
  connected(): string[] {
    return [...this.live.keys()].sort();
  }

  /** Every live connection, for shutdown. */
  links(): ComponentLink[] {
    return [...this.live.values()];
  }

  deliver(ev: StanzaEvent): true | StanzaError | undefined {
    const domain = ev.to.domain;
    const link = this.live.get(domain);
    if (link !== undefined) {
      link.send(ev.stanza);
      return true;
    }
    if (!this.secrets.has(domain)) return undefined;
    // Temporary (type wait), as the component may come back; Prosody answers the same.
    return new StanzaError(
      "remote-server-timeout",
      `the component ${domain} is not connected at the moment`,
      "wait",
    );
  }
}
