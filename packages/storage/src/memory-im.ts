// In-memory rosters, archives and pubsub nodes: the IM data of the memory adapter.

import type {
  ArchivedMessage,
  ArchivePage,
  ArchiveStore,
  PubsubItem,
  PubsubNode,
  PubsubStore,
  RosterItem,
  RosterStore,
} from "./ports.js";
import {
  checkArchived,
  checkArchiveQuery,
  checkCount,
  checkDate,
  checkItem,
  checkItemsOptions,
  checkName,
  checkNode,
  checkRosterItem,
  checkUsername,
  compareCodePoints,
} from "./validate.js";

/** The IM data one account owns. */
export interface ImData {
  rosterVersion: number;
  roster: Map<string, RosterItem>;
  archive: ArchivedMessage[];
  archiveIds: Set<string>;
  nodes: Map<string, { node: PubsubNode; items: PubsubItem[] }>;
}

export function emptyImData(): ImData {
  return {
    rosterVersion: 0,
    roster: new Map(),
    archive: [],
    archiveIds: new Set(),
    nodes: new Map(),
  };
}

const copyItem = (i: RosterItem): RosterItem => {
  const out: RosterItem = { jid: i.jid, subscription: i.subscription, groups: [...i.groups] };
  if (i.name !== undefined) out.name = i.name;
  if (i.ask) out.ask = true;
  if (i.approved) out.approved = true;
  return out;
};
const copyMessage = (m: ArchivedMessage): ArchivedMessage => ({
  ...m,
  stamp: new Date(m.stamp.getTime()),
});
const copyNode = (n: PubsubNode): PubsubNode => ({
  name: n.name,
  config: Object.fromEntries(
    Object.entries(n.config).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
  ),
});
const copyPubsubItem = (i: PubsubItem): PubsubItem => ({
  ...i,
  stamp: new Date(i.stamp.getTime()),
});

type Lookup = (username: string) => ImData | undefined;

/** Every user's IM data, for lookups across accounts (roster holders of a JID). */
type AllUsers = () => (readonly [string, ImData])[];

export function memoryRoster(data: Lookup, live: () => void, all: AllUsers): RosterStore {
  return {
    async get(username) {
      live();
      checkUsername(username);
      const d = data(username);
      if (!d) return { version: 0, items: [] };
      const items = [...d.roster.values()].map(copyItem);
      items.sort((a, b) => compareCodePoints(a.jid, b.jid));
      return { version: d.rosterVersion, items };
    },
    async item(username, jid) {
      live();
      checkUsername(username);
      checkName("jid", jid);
      const i = data(username)?.roster.get(jid);
      return i && copyItem(i);
    },
    async set(username, jid, item) {
      live();
      checkUsername(username);
      checkName("jid", jid);
      if (item !== undefined) checkRosterItem(jid, item);
      const d = data(username);
      if (!d) return undefined;
      if (item === undefined) {
        if (!d.roster.delete(jid)) return undefined;
      } else d.roster.set(jid, copyItem(item));
      return ++d.rosterVersion;
    },
    async count(username) {
      live();
      checkUsername(username);
      return data(username)?.roster.size ?? 0;
    },
    async holders(jid) {
      live();
      checkName("jid", jid);
      return all()
        .filter(([, d]) => d.roster.has(jid))
        .map(([name]) => name)
        .sort(compareCodePoints);
    },
  };
}

export function memoryArchive(data: Lookup, live: () => void): ArchiveStore {
  return {
    async append(username, msg) {
      live();
      checkUsername(username);
      checkArchived(msg);
      const d = data(username);
      if (!d) return "no-such-user";
      if (d.archiveIds.has(msg.id)) return "duplicate-id";
      d.archiveIds.add(msg.id);
      d.archive.push(copyMessage(msg));
      return "stored";
    },
    async query(username, q): Promise<ArchivePage | undefined> {
      live();
      checkUsername(username);
      checkArchiveQuery(q);
      const all = data(username)?.archive ?? [];
      const indexOf = (id: string) => all.findIndex((m) => m.id === id);
      let from = 0;
      let to = all.length; // exclusive
      if (q.after !== undefined) {
        const i = indexOf(q.after);
        if (i < 0) return undefined;
        from = i + 1;
      }
      if (typeof q.before === "string") {
        const i = indexOf(q.before);
        if (i < 0) return undefined;
        to = i;
      }
      const ids = q.ids && new Set(q.ids);
      const matches = (m: ArchivedMessage) =>
        (q.with === undefined || m.with === q.with) &&
        (q.start === undefined || m.stamp >= q.start) &&
        (q.end === undefined || m.stamp <= q.end) &&
        (ids === undefined || ids.has(m.id));
      const count = all.filter(matches).length;
      const window = all.slice(from, to).filter(matches);
      const fromEnd = q.before !== undefined;
      const page = fromEnd
        ? window.slice(Math.max(0, window.length - q.limit))
        : window.slice(0, q.limit);
      return {
        messages: page.map(copyMessage),
        complete: page.length === window.length,
        count,
      };
    },
    async purge(username, before) {
      live();
      checkUsername(username);
      if (before !== undefined) checkDate("before", before);
      const d = data(username);
      if (!d) return 0;
      const keep = d.archive.filter((m) => before !== undefined && m.stamp >= before);
      const removed = d.archive.length - keep.length;
      d.archive = keep;
      d.archiveIds = new Set(keep.map((m) => m.id));
      return removed;
    },
  };
}

export function memoryPubsub(data: Lookup, live: () => void): PubsubStore {
  const nodeOf = (owner: string, name: string) => {
    checkUsername(owner);
    checkName("node", name);
    return data(owner)?.nodes.get(name);
  };
  return {
    async nodes(owner) {
      live();
      checkUsername(owner);
      const list = [...(data(owner)?.nodes.values() ?? [])].map((n) => copyNode(n.node));
      return list.sort((a, b) => compareCodePoints(a.name, b.name));
    },
    async node(owner, name) {
      live();
      const n = nodeOf(owner, name);
      return n && copyNode(n.node);
    },
    async putNode(owner, node) {
      live();
      checkUsername(owner);
      checkNode(node);
      const d = data(owner);
      if (!d) return false;
      const existing = d.nodes.get(node.name);
      if (existing) existing.node = copyNode(node);
      else d.nodes.set(node.name, { node: copyNode(node), items: [] });
      return true;
    },
    async deleteNode(owner, name) {
      live();
      checkUsername(owner);
      checkName("node", name);
      return data(owner)?.nodes.delete(name) ?? false;
    },
    async publish(owner, name, item, maxItems) {
      live();
      checkItem(item);
      checkCount("maxItems", maxItems);
      const n = nodeOf(owner, name);
      if (!n) return false;
      // Newest last; a republished id moves to the end.
      n.items = n.items.filter((i) => i.id !== item.id);
      n.items.push(copyPubsubItem(item));
      if (n.items.length > maxItems) n.items.splice(0, n.items.length - maxItems);
      return true;
    },
    async items(owner, name, opts = {}) {
      live();
      checkItemsOptions(opts);
      const n = nodeOf(owner, name);
      if (!n) return [];
      const ids = opts.ids && new Set(opts.ids);
      const out = [...n.items].reverse().filter((i) => ids === undefined || ids.has(i.id));
      return out.slice(0, opts.max ?? out.length).map(copyPubsubItem);
    },
    async retract(owner, name, id) {
      live();
      checkName("id", id);
      const n = nodeOf(owner, name);
      if (!n) return false;
      const before = n.items.length;
      n.items = n.items.filter((i) => i.id !== id);
      return n.items.length < before;
    },
    async purge(owner, name) {
      live();
      const n = nodeOf(owner, name);
      if (!n) return false;
      n.items = [];
      return true;
    },
  };
}
