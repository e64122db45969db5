// RFC 9162 §2.1 Merkle trees: known answers from the Certificate Transparency reference vectors,
// then properties over random trees: the server's cached tree and the SDK's WebCrypto code agree,
// every generated proof verifies, and every tampered proof fails.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MerkleTree } from "@hato/modules";
import { merkle } from "@hato/sdk";
import fc from "fast-check";

const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// The 8-leaf reference tree of Certificate Transparency implementations, with its roots for
// sizes 1..8 and proofs, as in transparency-dev/merkle proof/verify_test.go (originally
// google/certificate-transparency). Leaf data is hex; indexes here are 0-based.
const LEAVES = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
].map(unhex);
const ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const INCLUSION: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  {
    index: 2,
    size: 3,
    proof: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
  },
  {
    index: 1,
    size: 5,
    proof: [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
];
const CONSISTENCY: { size1: number; size2: number; proof: string[] }[] = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
];

async function leafHashes(data: Uint8Array[]): Promise<Uint8Array[]> {
  return Promise.all(data.map((d) => merkle.hashLeaf(d)));
}

function serverTree(hashes: Uint8Array[]): MerkleTree {
  const t = new MerkleTree();
  for (const h of hashes) t.append(Buffer.from(h));
  return t;
}

describe("Merkle tree known answers (CT reference vectors)", () => {
  it("the empty tree's hash is SHA-256 of nothing", async () => {
    assert.equal(hex(await merkle.emptyRoot()), EMPTY_ROOT);
    assert.equal(hex(new MerkleTree().root()), EMPTY_ROOT);
  });

  it("roots of sizes 1..8, in the SDK and on the server", async () => {
    const hashes = await leafHashes(LEAVES);
    const tree = serverTree(hashes);
    for (let n = 1; n <= 8; n++) {
      assert.equal(hex(await merkle.rootOf(hashes.slice(0, n))), ROOTS[n - 1], `SDK size ${n}`);
      assert.equal(hex(tree.root(n)), ROOTS[n - 1], `server size ${n}`);
    }
  });

  it("inclusion proofs are generated as the vectors say and verify", async () => {
    const hashes = await leafHashes(LEAVES);
    const tree = serverTree(hashes);
    for (const v of INCLUSION) {
      const sdk = await merkle.inclusionPath(v.index, hashes.slice(0, v.size));
      assert.deepEqual(sdk.map(hex), v.proof, `SDK PATH(${v.index}, ${v.size})`);
      assert.deepEqual(tree.inclusion(v.index, v.size).map(hex), v.proof);
      const ok = await merkle.verifyInclusion(
        v.index,
        v.size,
        hashes[v.index]!,
        v.proof.map(unhex),
        unhex(ROOTS[v.size - 1]!),
      );
      assert.equal(ok, true, `verify ${v.index} in ${v.size}`);
    }
  });

  it("consistency proofs are generated as the vectors say and verify", async () => {
    const hashes = await leafHashes(LEAVES);
    const tree = serverTree(hashes);
    for (const v of CONSISTENCY) {
      const sdk = await merkle.consistencyPath(v.size1, hashes.slice(0, v.size2));
      assert.deepEqual(sdk.map(hex), v.proof, `SDK PROOF(${v.size1}, ${v.size2})`);
      assert.deepEqual(tree.consistency(v.size1, v.size2).map(hex), v.proof);
      const ok = await merkle.verifyConsistency(
        v.size1,
        v.size2,
        v.proof.map(unhex),
        unhex(ROOTS[v.size1 - 1]!),
        unhex(ROOTS[v.size2 - 1]!),
      );
      assert.equal(ok, true, `verify ${v.size1} -> ${v.size2}`);
    }
  });

  it("edge cases: no leaf beyond the size, no shrinking, equal sizes need equal roots", async () => {
    const r = unhex(ROOTS[0]!);
    const other = unhex(ROOTS[1]!);
    const leaf = (await leafHashes(LEAVES))[0]!;
    assert.equal(await merkle.verifyInclusion(0, 0, leaf, [], r), false);
    assert.equal(await merkle.verifyInclusion(1, 1, leaf, [], r), false);
    assert.equal(await merkle.verifyInclusion(0, 1, leaf, [], r), true);
    assert.equal(await merkle.verifyInclusion(0, 1, leaf, [], other), false);
    assert.equal(await merkle.verifyInclusion(-1, 1, leaf, [], r), false);
    assert.equal(await merkle.verifyConsistency(2, 1, [], other, r), false);
    assert.equal(await merkle.verifyConsistency(1, 1, [], r, r), true);
    assert.equal(await merkle.verifyConsistency(1, 1, [], r, other), false);
    assert.equal(await merkle.verifyConsistency(1, 1, [r], r, r), false);
    assert.equal(await merkle.verifyConsistency(0, 5, [], r, other), true);
    assert.equal(await merkle.verifyConsistency(0, 5, [r], r, other), false);
    assert.equal(await merkle.verifyConsistency(1, 2, [], r, other), false);
  });
});

/** A random tree: n distinct leaves (their index is in the data) plus a seed byte. */
const treeArb = fc.record({
  n: fc.integer({ min: 1, max: 70 }),
  seed: fc.integer({ min: 0, max: 255 }),
});

async function randomTree(n: number, seed: number) {
  const data = Array.from({ length: n }, (_, i) => new Uint8Array([seed, i & 255, i >> 8]));
  const hashes = await leafHashes(data);
  return { hashes, tree: serverTree(hashes) };
}

const flip = (proof: Uint8Array[], i: number, byte: number) =>
  proof.map((p, j) => {
    if (j !== i) return p;
    const q = new Uint8Array(p);
    q[byte] = q[byte]! ^ 1;
    return q;
  });

describe("Merkle tree properties", () => {
  it("server and SDK agree on roots and proofs; every inclusion proof verifies, tampered ones fail", async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, fc.nat(), fc.nat(31), async ({ n, seed }, pick, byte) => {
        const { hashes, tree } = await randomTree(n, seed);
        const m = pick % n;
        const root = await merkle.rootOf(hashes);
        assert.equal(hex(tree.root()), hex(root));
        const proof = tree.inclusion(m).map((b) => new Uint8Array(b));
        assert.deepEqual(proof.map(hex), (await merkle.inclusionPath(m, hashes)).map(hex));
        const leaf = hashes[m]!;
        assert.equal(await merkle.verifyInclusion(m, n, leaf, proof, root), true);
        // A flipped byte in any node, the leaf or the root.
        for (let i = 0; i < proof.length; i++) {
          assert.equal(await merkle.verifyInclusion(m, n, leaf, flip(proof, i, byte), root), false);
        }
        assert.equal(
          await merkle.verifyInclusion(m, n, flip([leaf], 0, byte)[0]!, proof, root),
          false,
        );
        assert.equal(
          await merkle.verifyInclusion(m, n, leaf, proof, flip([root], 0, byte)[0]!),
          false,
        );
        // Another leaf's index, with the same proof.
        for (const other of [m - 1, m + 1, m ^ 2]) {
          if (other === m || other < 0) continue;
          assert.equal(await merkle.verifyInclusion(other, n, leaf, proof, root), false);
        }
        // Another size, against that size's own root.
        for (const size of [n - 1, n + 1, n * 2]) {
          if (size <= m || size === n) continue;
          const t2 = await randomTree(size, seed);
          const r2 = await merkle.rootOf(t2.hashes);
          assert.equal(await merkle.verifyInclusion(m, size, leaf, proof, r2), false);
        }
        // Two siblings swapped, one missing, one too many.
        for (let i = 0; i + 1 < proof.length; i++) {
          const swapped = [...proof];
          [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
          assert.equal(await merkle.verifyInclusion(m, n, leaf, swapped, root), false);
        }
        if (proof.length > 0) {
          assert.equal(await merkle.verifyInclusion(m, n, leaf, proof.slice(1), root), false);
        }
        assert.equal(await merkle.verifyInclusion(m, n, leaf, [...proof, root], root), false);
      }),
      { numRuns: 150 },
    );
  });

  it("every consistency proof verifies, tampered ones fail", async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, fc.nat(), fc.nat(31), async ({ n, seed }, pick, byte) => {
        const { hashes, tree } = await randomTree(n, seed);
        const m = 1 + (pick % n);
        const r1 = await merkle.rootOf(hashes.slice(0, m));
        const r2 = await merkle.rootOf(hashes);
        const proof = tree.consistency(m).map((b) => new Uint8Array(b));
        assert.deepEqual(proof.map(hex), (await merkle.consistencyPath(m, hashes)).map(hex));
        assert.equal(await merkle.verifyConsistency(m, n, proof, r1, r2), true);
        if (m === n) return;
        for (let i = 0; i < proof.length; i++) {
          assert.equal(await merkle.verifyConsistency(m, n, flip(proof, i, byte), r1, r2), false);
        }
        assert.equal(
          await merkle.verifyConsistency(m, n, proof, flip([r1], 0, byte)[0]!, r2),
          false,
        );
        assert.equal(
          await merkle.verifyConsistency(m, n, proof, r1, flip([r2], 0, byte)[0]!),
          false,
        );
        assert.equal(await merkle.verifyConsistency(m, n, proof, r2, r1), false);
        assert.equal(await merkle.verifyConsistency(m, n, [], r1, r2), false);
        assert.equal(await merkle.verifyConsistency(m, n, proof.slice(0, -1), r1, r2), false);
        assert.equal(await merkle.verifyConsistency(m, n, [...proof, r1], r1, r2), false);
        for (let i = 0; i + 1 < proof.length; i++) {
          const swapped = [...proof];
          [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
          assert.equal(await merkle.verifyConsistency(m, n, swapped, r1, r2), false);
        }
        // A history with one leaf below m changed is not consistent with the real one.
        const forged = [...hashes];
        forged[pick % m] = await merkle.hashLeaf(new Uint8Array([0xff, seed]));
        const f1 = await merkle.rootOf(forged.slice(0, m));
        assert.equal(await merkle.verifyConsistency(m, n, proof, f1, r2), false);
      }),
      { numRuns: 150 },
    );
  });
});
