// SQLite PubsubStore: nodes per owner, items ordered by seq, replace-and-trim in one transaction.

import type { Database } from "better-sqlite3";
import type { PubsubItem, PubsubNode, PubsubStore } from "../ports.js";
import {
  checkCount,
  checkItem,
  checkItemsOptions,
  checkName,
  checkNode,
  checkUsername,
} from "../validate.js";

interface NodeRow {
  name: string;
  config: string;
}

interface ItemRow {
  id: string;
  publisher: string;
  stamp: number;
  payload: string;
}

const toNode = (r: NodeRow): PubsubNode => ({
  name: r.name,
  config: JSON.parse(r.config) as PubsubNode["config"],
});

const toItem = (r: ItemRow): PubsubItem => ({
  id: r.id,
  payload: r.payload,
  publisher: r.publisher,
  stamp: new Date(r.stamp),
});

/** Builds the pubsub port over an open, migrated database; `live` throws once closed. */
export function sqlitePubsub(db: Database, live: () => void): PubsubStore {
  const exists = db.prepare<[string], { n: number }>(
    "SELECT 1 AS n FROM accounts WHERE username = ?",
  );
  const allNodes = db.prepare<[string], NodeRow>(
    "SELECT name, config FROM pubsub_nodes WHERE owner = ? ORDER BY name",
  );
  const oneNode = db.prepare<[string, string], NodeRow>(
    "SELECT name, config FROM pubsub_nodes WHERE owner = ? AND name = ?",
  );
  const putNode = db.prepare(
    `INSERT INTO pubsub_nodes (owner, name, config) VALUES (?, ?, ?)
     ON CONFLICT (owner, name) DO UPDATE SET config = excluded.config`,
  );
  // Its items go with it through ON DELETE CASCADE.
  const dropNode = db.prepare("DELETE FROM pubsub_nodes WHERE owner = ? AND name = ?");
  const dropItem = db.prepare("DELETE FROM pubsub_items WHERE owner = ? AND node = ? AND id = ?");
  const insertItem = db.prepare(
    `INSERT INTO pubsub_items (owner, node, id, publisher, stamp, payload)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  // The seq of the newest item that must go: everything at or below it is trimmed.
  const firstTrimmed = db.prepare<[string, string, number], { seq: number }>(
    `SELECT seq FROM pubsub_items WHERE owner = ? AND node = ?
     ORDER BY seq DESC LIMIT 1 OFFSET ?`,
  );
  const trim = db.prepare("DELETE FROM pubsub_items WHERE owner = ? AND node = ? AND seq <= ?");
  const dropItems = db.prepare("DELETE FROM pubsub_items WHERE owner = ? AND node = ?");
  const columns = "id, publisher, stamp, payload";
  const newest = db.prepare<[string, string, number], ItemRow>(
    `SELECT ${columns} FROM pubsub_items WHERE owner = ? AND node = ?
     ORDER BY seq DESC LIMIT ?`,
  );
  const newestOf = db.prepare<[string, string, string, number], ItemRow>(
    `SELECT ${columns} FROM pubsub_items
     WHERE owner = ? AND node = ? AND id IN (SELECT value FROM json_each(?))
     ORDER BY seq DESC LIMIT ?`,
  );

  const put = db.transaction((owner: string, node: PubsubNode): boolean => {
    if (exists.get(owner) === undefined) return false;
    putNode.run(owner, node.name, JSON.stringify(node.config));
    return true;
  });

  const publish = db.transaction(
    (owner: string, name: string, item: PubsubItem, maxItems: number): boolean => {
      if (oneNode.get(owner, name) === undefined) return false;
      // Delete then insert: the new row gets the highest seq, so a republished id is newest.
      dropItem.run(owner, name, item.id);
      insertItem.run(owner, name, item.id, item.publisher, item.stamp.getTime(), item.payload);
      const cut = firstTrimmed.get(owner, name, maxItems);
      if (cut !== undefined) trim.run(owner, name, cut.seq);
      return true;
    },
  );

  const purge = db.transaction((owner: string, name: string): boolean => {
    if (oneNode.get(owner, name) === undefined) return false;
    dropItems.run(owner, name);
    return true;
  });

  return {
    async nodes(owner) {
      live();
      checkUsername(owner);
      return allNodes.all(owner).map(toNode);
    },
    async node(owner, name) {
      live();
      checkUsername(owner);
      checkName("node", name);
      const row = oneNode.get(owner, name);
      return row && toNode(row);
    },
    async putNode(owner, node) {
      live();
      checkUsername(owner);
      checkNode(node);
      return put.immediate(owner, node);
    },
    async deleteNode(owner, name) {
      live();
      checkUsername(owner);
      checkName("node", name);
      return dropNode.run(owner, name).changes > 0;
    },
    async publish(owner, name, item, maxItems) {
      live();
      checkUsername(owner);
      checkName("node", name);
      checkItem(item);
      checkCount("maxItems", maxItems);
      return publish.immediate(owner, name, item, maxItems);
    },
    async items(owner, name, opts = {}) {
      live();
      checkUsername(owner);
      checkName("node", name);
      checkItemsOptions(opts);
      const max = opts.max ?? -1; // LIMIT -1: no limit
      const rows =
        opts.ids === undefined
          ? newest.all(owner, name, max)
          : newestOf.all(owner, name, JSON.stringify(opts.ids), max);
      return rows.map(toItem);
    },
    async retract(owner, name, id) {
      live();
      checkUsername(owner);
      checkName("node", name);
      checkName("id", id);
      return dropItem.run(owner, name, id).changes > 0;
    },
    async purge(owner, name) {
      live();
      checkUsername(owner);
      checkName("node", name);
      return purge.immediate(owner, name);
    },
  };
}
