// The SDK's KeyLog against a fake server built from the server's own Merkle tree: honest
// answers verify; a leaf served with another key, a proof for another leaf, oversized or
// malformed answers, and a head that shrank each fail with a KeyLogError, never silently.

import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { describe, it } from "node:test";
import { canonicalLeaf, headMessage, MerkleTree } from "@hato/modules";
import { KeyLog, KeyLogError, type KeyLogProblem, merkle } from "@hato/sdk";
import { type Element, xml } from "@hato/xml";

const NS = "urn:hato:keylog:0";
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const KEY = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url").toString("base64");
const ik = (n: number) => n.toString(16).padStart(64, "0");

interface Leaf {
  jid: string;
  ns: string;
  device: number;
  ik: string;
  at: string;
}
const LEAVES: Leaf[] = [1, 2, 3, 4, 5].map((n) => ({
  jid: n % 2 ? "alice@x" : "bob@x",
  ns: "eu.siacs.conversations.axolotl",
  device: n,
  ik: ik(n),
  at: `2026-11-22T11:00:0${n}.000Z`,
}));

async function treeOf(leaves: Leaf[]): Promise<MerkleTree> {
  const t = new MerkleTree();
  for (const l of leaves) {
    t.append(Buffer.from(await merkle.hashLeaf(new TextEncoder().encode(canonicalLeaf(l)))));
  }
  return t;
}

function headEl(size: number, root: string, overrides: Record<string, string> = {}): Element {
  const timestamp = 1_795_000_000_000 + size;
  const signature = sign(null, headMessage({ size, root, timestamp }), privateKey).toString(
    "base64",
  );
  return xml("head", {
    xmlns: NS,
    size: String(size),
    root,
    timestamp: String(timestamp),
    signature,
    key: KEY,
    ...overrides,
  });
}

/** Sets an attribute of an answer (tests rewrite what a lying server sends). */
function set(e: Element, name: string, value: string): Element {
  e.attrs[name] = value;
  return e;
}

/** A fake server answering from `leaves` with the server's own tree code. */
async function fakeServer(leaves: Leaf[]): Promise<(req: Element) => Promise<Element>> {
  const tree = await treeOf(leaves);
  return async (req) => {
    if (req.name === "head") return headEl(tree.size, tree.root().toString("hex"));
    if (req.name === "leaves") {
      const jid = req.attr("jid")!;
      const size = Number(req.attr("size"));
      const out = xml("leaves", { xmlns: NS, jid, size: String(size) });
      leaves.forEach((l, index) => {
        if (l.jid !== jid || index >= size) return;
        const nodes = tree.inclusion(index, size).map((h) => xml("node", {}, h.toString("hex")));
        const attrs = {
          index: String(index),
          ns: l.ns,
          device: String(l.device),
          ik: l.ik,
          at: l.at,
        };
        out.append(xml("leaf", attrs, ...nodes));
      });
      return out;
    }
    const from = Number(req.attr("from"));
    const to = Number(req.attr("to"));
    const nodes = tree.consistency(from, to).map((h) => xml("node", {}, h.toString("hex")));
    return xml("consistency", { xmlns: NS, from: String(from), to: String(to) }, ...nodes);
  };
}

/** The SDK's KeyLog over a fake server; `tamper` may rewrite each answer. */
async function fakeLog(
  leaves: Leaf[],
  tamper: (e: Element) => Element = (e) => e,
): Promise<KeyLog> {
  const server = await fakeServer(leaves);
  return new KeyLog(async (req) => tamper(await server(req)));
}

async function fails(call: Promise<unknown>, problem: KeyLogProblem): Promise<void> {
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof KeyLogError, String(err));
    assert.equal(err.problem, problem, err.message);
    return true;
  });
}

describe("SDK KeyLog against a fake server", () => {
  it("honest answers verify: head, alice's keys, consistency from an older head", async () => {
    const old = await (await fakeLog(LEAVES.slice(0, 2))).head();
    const kl = await fakeLog(LEAVES);
    const head = await kl.head({ pinnedKey: KEY, last: old });
    assert.equal(head.size, 5);
    const keys = await kl.keysOf("alice@x", head);
    assert.deepEqual(
      keys.map((k) => [k.index, k.device]),
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    );
  });

  it("a leaf served with another identity key is not included", async () => {
    const kl = await fakeLog(LEAVES, (e) => {
      if (e.name === "leaves") set(e.getChildren("leaf")[1]!, "ik", ik(99));
      return e;
    });
    await fails(kl.keysOf("alice@x", await kl.head()), "not-included");
  });

  it("another address's leaves, with their valid proofs, served as alice's are not included", async () => {
    const server = await fakeServer(LEAVES);
    const kl = new KeyLog(async (req) => {
      if (req.name !== "leaves") return server(req);
      const bobs = await server(xml("leaves", { xmlns: NS, jid: "bob@x", size: req.attr("size") }));
      return set(bobs, "jid", "alice@x");
    });
    await fails(kl.keysOf("alice@x", await kl.head()), "not-included");
  });

  it("malformed and oversized answers are refused", async () => {
    const cases: [string, (e: Element) => Element][] = [
      ["no head", () => xml("nothing", { xmlns: NS })],
      ["size not a number", (e) => (e.name === "head" ? set(e, "size", "x") : e)],
      ["root not hex", (e) => (e.name === "head" ? set(e, "root", "zz") : e)],
    ];
    for (const [what, tamper] of cases) {
      await fails((await fakeLog(LEAVES, tamper)).head(), "malformed").catch((err: unknown) => {
        throw new Error(`${what}: ${String(err)}`);
      });
    }
    const long = await fakeLog(LEAVES, (e) => {
      if (e.name === "leaves") {
        for (let i = 0; i < 70; i++)
          e.getChildren("leaf")[0]?.append(xml("node", {}, "00".repeat(32)));
      }
      return e;
    });
    await fails(long.keysOf("alice@x", await long.head()), "malformed");
    const badNode = await fakeLog(LEAVES, (e) => {
      if (e.name === "leaves") e.getChildren("leaf")[0]?.append(xml("node", {}, "not hex"));
      return e;
    });
    await fails(badNode.keysOf("alice@x", await badNode.head()), "malformed");
  });

  it("a head that shrank, or was signed by someone else, is reported", async () => {
    const big = await (await fakeLog(LEAVES)).head();
    await fails((await fakeLog(LEAVES.slice(0, 3))).head({ last: big }), "inconsistent");
    const other = generateKeyPairSync("ed25519").privateKey;
    const forged = await fakeLog(LEAVES, (e) => {
      if (e.name !== "head") return e;
      const size = Number(e.attr("size"));
      const root = e.attr("root")!;
      const timestamp = Number(e.attr("timestamp"));
      return set(
        e,
        "signature",
        sign(null, headMessage({ size, root, timestamp }), other).toString("base64"),
      );
    });
    await fails(forged.head({ pinnedKey: KEY }), "bad-signature");
  });
});
