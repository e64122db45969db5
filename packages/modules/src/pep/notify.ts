// XEP-0163 §4.3 notifications: who gets them (+notify caps, access model) and last-item delivery.
import { randomBytes } from "node:crypto";
import type { ModuleApi } from "@hato/core";
import { type Jid, parseJid } from "@hato/jid";
import type { PubsubItem, PubsubNode } from "@hato/storage";
import { type Element, NS_DELAY, parseElement, xml } from "@hato/xml";
import { accessError, rosterLookup } from "./access.js";
import type { CapsTracker } from "./caps.js";
import { NS_PUBSUB_EVENT } from "./ns.js";

/** The `<item/>` of an event or a result, with its payload parsed back from storage. */
export function itemElement(item: PubsubItem): Element {
  return xml("item", { id: item.id }, parseElement(item.payload));
}

/**
 * Tracks which sessions sent available presence to which accounts (contacts' sessions that
 * may get an account's notifications) and sends those notifications. An account's own
 * available sessions are always candidates; each candidate still needs verified caps with
 * `<node>+notify` and access to the node.
 */
export class Notifier {
  private readonly byOwner = new Map<string, Map<string, Jid>>();
  private readonly byWatcher = new Map<string, Set<string>>();

  constructor(
    private readonly api: ModuleApi,
    private readonly caps: CapsTracker,
  ) {}

  /** `watcher` sent available presence to `owner`; true when it was not watching before. */
  watch(owner: string, watcher: Jid): boolean {
    const full = watcher.toString();
    let m = this.byOwner.get(owner);
    if (m === undefined) {
      m = new Map();
      this.byOwner.set(owner, m);
    }
    const fresh = !m.has(full);
    m.set(full, watcher);
    let owners = this.byWatcher.get(full);
    if (owners === undefined) {
      owners = new Set();
      this.byWatcher.set(full, owners);
    }
    owners.delete(owner);
    owners.add(owner);
    // Directed presence to many addresses must not grow these maps without end.
    if (owners.size > this.api.config.pep.watchedPerSession) {
      const oldest = owners.values().next().value!;
      this.unwatch(oldest, full);
    }
    return fresh;
  }

  /** `watcher` sent unavailable presence to `owner`. */
  unwatch(owner: string, watcher: string): void {
    const m = this.byOwner.get(owner);
    m?.delete(watcher);
    if (m?.size === 0) this.byOwner.delete(owner);
    const owners = this.byWatcher.get(watcher);
    owners?.delete(owner);
    if (owners?.size === 0) this.byWatcher.delete(watcher);
  }

  /** A session ended: it watches nothing any more. */
  forget(watcher: string): void {
    for (const owner of this.byWatcher.get(watcher) ?? []) {
      const m = this.byOwner.get(owner);
      m?.delete(watcher);
      if (m?.size === 0) this.byOwner.delete(owner);
    }
    this.byWatcher.delete(watcher);
  }

  /** Accounts whose notifications `watcher` may get: those it sent presence to, and its own. */
  ownersOf(watcher: Jid): string[] {
    const out = new Set(this.byWatcher.get(watcher.toString()) ?? []);
    if (watcher.domain === this.api.domain && watcher.local !== "") out.add(watcher.local);
    return [...out];
  }

  /** Whether a full JID is an available session here (federation comes later). */
  private live(jid: Jid): boolean {
    if (jid.domain !== this.api.domain) return false;
    return this.api.sessions.get(jid.local, jid.resource)?.available === true;
  }

  private candidates(owner: string): Jid[] {
    const out = new Map<string, Jid>();
    for (const s of this.api.sessions.ofUser(owner))
      if (s.available) out.set(s.jid.toString(), s.jid);
    for (const [full, jid] of this.byOwner.get(owner) ?? []) if (this.live(jid)) out.set(full, jid);
    return [...out.values()];
  }

  private wants(jid: Jid, node: string): boolean {
    return this.caps.features(jid.toString())?.has(`${node}+notify`) === true;
  }

  private send(owner: Jid, to: Jid, event: Element, delay?: Date): void {
    const msg = xml(
      "message",
      {
        type: "headline",
        from: owner.toString(),
        to: to.toString(),
        id: randomBytes(9).toString("base64url"),
      },
      xml("event", { xmlns: NS_PUBSUB_EVENT }, event),
      delay &&
        xml("delay", { xmlns: NS_DELAY, from: owner.toString(), stamp: delay.toISOString() }),
    );
    this.api.route(msg, owner, to);
  }

  /**
   * Sends `event` (an `<items/>`, `<purge/>` or `<delete/>` of `node`) to every candidate
   * that +notifies the node and may access it. `node` is the configuration that decides
   * access (for a deleted node, the one it had).
   */
  async broadcast(owner: string, node: PubsubNode, event: Element): Promise<void> {
    const ownerJid = this.ownerJid(owner);
    const roster = rosterLookup(this.api.storage, owner);
    for (const jid of this.candidates(owner)) {
      if (!this.wants(jid, node.name)) continue;
      if (await accessError(ownerJid, node.config, jid.bare, roster)) continue;
      this.send(ownerJid, jid, event.clone());
    }
  }

  /**
   * XEP-0163 §4.3.2: a session whose features just became known (or that just sent presence)
   * gets the last item of each node of `owner` it +notifies and may access.
   */
  async sendLast(owner: string, watcher: Jid): Promise<void> {
    if (!this.live(watcher) || this.caps.features(watcher.toString()) === undefined) return;
    const ownerJid = this.ownerJid(owner);
    const roster = rosterLookup(this.api.storage, owner);
    for (const node of await this.api.storage.pubsub.nodes(owner)) {
      if (node.config.send_last_published_item === "never") continue;
      if (!this.wants(watcher, node.name)) continue;
      if (await accessError(ownerJid, node.config, watcher.bare, roster)) continue;
      const [last] = await this.api.storage.pubsub.items(owner, node.name, { max: 1 });
      if (last === undefined) continue;
      const items = xml("items", { node: node.name }, itemElement(last));
      this.send(ownerJid, watcher, items, last.stamp);
    }
  }

  private ownerJid(owner: string): Jid {
    const r = parseJid(`${owner}@${this.api.domain}`);
    if (!r.ok) throw new Error(`not a JID: ${owner}@${this.api.domain}`);
    return r.jid;
  }
}
