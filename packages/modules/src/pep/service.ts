// XEP-0163 PEP service logic: nodes and items of one account with the limits Hato enforces.
import { randomUUID } from "node:crypto";
import { type ModuleApi, StanzaError } from "@hato/core";
import type { PubsubItem, PubsubNode } from "@hato/storage";
import { type Element, serialize, xml } from "@hato/xml";
import {
  applyForm,
  checkPreconditions,
  defaultConfig,
  type FormLimits,
  flag,
  maxItemsOf,
  type NodeConfig,
} from "./config-form.js";
import { PubsubError } from "./errors.js";
import { itemElement, type Notifier } from "./notify.js";

/** Who caused a change: a client's request, or the server keeping two formats in sync. */
export type Origin = "client" | "sync";

export interface Published {
  owner: string;
  node: string;
  id: string;
  payload: Element;
  origin: Origin;
}
export interface Retracted {
  owner: string;
  node: string;
  id: string;
  origin: Origin;
}

/** Nodes and items of accounts, the limits on them, and the notifications they cause. */
export class PepService {
  /** Run after each publication (bookmark sync, avatar conversion). */
  readonly onPublished: ((p: Published) => Promise<void>)[] = [];
  readonly onRetracted: ((r: Retracted) => Promise<void>)[] = [];
  /** Configurations that nodes with these names get when auto-created (private data). */
  readonly nodeDefaults = new Map<string, NodeConfig>();
  readonly limits: FormLimits & { maxItemBytes: number; maxNodes: number; perMinute: number };
  private readonly rate = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly api: ModuleApi,
    readonly notifier: Notifier,
  ) {
    const p = api.config.pep;
    this.limits = {
      maxItems: p.maxItems,
      maxIdLength: p.maxIdLength,
      maxAffiliations: p.maxAffiliations,
      maxItemBytes: p.maxItemBytes,
      maxNodes: p.maxNodes,
      perMinute: p.publishesPerMinute,
    };
  }

  /** Counts one change against the account's per-minute budget. */
  charge(owner: string): void {
    const now = Date.now();
    let r = this.rate.get(owner);
    if (r === undefined || now - r.start >= 60_000) {
      if (this.rate.size > 10_000) {
        for (const [k, v] of this.rate) if (now - v.start >= 60_000) this.rate.delete(k);
      }
      r = { start: now, count: 0 };
      this.rate.set(owner, r);
    }
    if (++r.count > this.limits.perMinute) {
      throw new StanzaError(
        "resource-constraint",
        `too many PEP changes: at most ${this.limits.perMinute} per minute; try again later`,
      );
    }
  }

  /** Refuses node names and item ids that are empty or longer than the limit. */
  checkId(what: "node" | "item id", id: string | undefined): string {
    if (id === undefined || id === "") {
      throw what === "node"
        ? new PubsubError("bad-request", "nodeid-required", "a node name is required")
        : new PubsubError("bad-request", "item-required", "an item id is required");
    }
    if (id.length > this.limits.maxIdLength) {
      throw new StanzaError(
        "not-acceptable",
        `the ${what} is longer than ${this.limits.maxIdLength} characters`,
      );
    }
    return id;
  }

  node(owner: string, name: string): Promise<PubsubNode | undefined> {
    return this.api.storage.pubsub.node(owner, name);
  }

  /** Creates a node, within the per-account node limit. */
  async create(owner: string, name: string, config: NodeConfig): Promise<PubsubNode> {
    const count = (await this.api.storage.pubsub.nodes(owner)).length;
    if (count >= this.limits.maxNodes) {
      throw new StanzaError(
        "policy-violation",
        `an account may have at most ${this.limits.maxNodes} PEP nodes; delete one first`,
      );
    }
    const node = { name, config };
    if (!(await this.api.storage.pubsub.putNode(owner, node))) {
      throw new StanzaError("item-not-found", "no such account");
    }
    return node;
  }

  /**
   * Publishes one item (XEP-0060 §7.1), auto-creating the node with the default
   * configuration plus `options`; with an existing node, `options` are preconditions.
   */
  async publish(
    owner: string,
    name: string,
    id: string | undefined,
    payload: Element,
    opts: { origin: Origin; options?: Map<string, string[]>; createWith?: NodeConfig },
  ): Promise<string> {
    const itemId = id === undefined ? randomUUID() : this.checkId("item id", id);
    const text = serialize(payload);
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > this.limits.maxItemBytes) {
      throw new PubsubError(
        "not-acceptable",
        "payload-too-big",
        `the item payload is ${bytes} bytes; at most ${this.limits.maxItemBytes} are allowed`,
      );
    }
    let node = await this.node(owner, name);
    const options = opts.options ?? new Map<string, string[]>();
    if (node !== undefined) checkPreconditions(node.config, options, this.limits);
    else {
      let config: NodeConfig;
      try {
        const base = opts.createWith ?? this.nodeDefaults.get(name) ?? defaultConfig();
        config = applyForm(base, options, this.limits);
      } catch (err) {
        throw new PubsubError("conflict", "precondition-not-met", (err as Error).message);
      }
      node = await this.create(owner, name, config);
    }
    const item: PubsubItem = {
      id: itemId,
      payload: text,
      publisher: `${owner}@${this.api.domain}`,
      stamp: new Date(),
    };
    const max = maxItemsOf(node.config, this.limits.maxItems);
    await this.api.storage.pubsub.publish(
      owner,
      name,
      item,
      flag(node.config, "persist_items") ? max : 1,
    );
    await this.notifier.broadcast(owner, node, xml("items", { node: name }, itemElement(item)));
    // Awaited, so that what observers record (the key log) is done when the publisher hears back.
    await this.api.fire("pep-published", { owner, node: name, id: itemId, payload });
    for (const f of this.onPublished) {
      await f({ owner, node: name, id: itemId, payload, origin: opts.origin }).catch((err) =>
        this.api.log.error("after-publish step failed", { node: name, err }),
      );
    }
    return itemId;
  }

  /** Retracts one item (§7.2); notifies when asked to or when the node says so. */
  async retract(
    owner: string,
    name: string,
    id: string,
    notify: boolean | undefined,
    origin: Origin,
  ): Promise<void> {
    const node = await this.node(owner, name);
    if (node === undefined) throw new StanzaError("item-not-found", `no node "${name}"`);
    if (!(await this.api.storage.pubsub.retract(owner, name, id))) {
      throw new StanzaError("item-not-found", `no item "${id}" in node "${name}"`);
    }
    if (notify ?? flag(node.config, "notify_retract")) {
      const ev = xml("items", { node: name }, xml("retract", { id }));
      await this.notifier.broadcast(owner, node, ev);
    }
    for (const f of this.onRetracted) {
      await f({ owner, node: name, id, origin }).catch((err) =>
        this.api.log.error("after-retract step failed", { node: name, err }),
      );
    }
  }

  /** Items of a node, oldest first among the newest `max` (§6.5). */
  async items(owner: string, name: string, opts: { ids?: string[]; max?: number }) {
    const list = await this.api.storage.pubsub.items(owner, name, {
      ids: opts.ids,
      max: opts.max ?? this.limits.maxItems,
    });
    return list.reverse();
  }
}
