// files.scanning-required against slixmpp's own direct-transfer plugins through a real
// `hato start` with files.peer-to-peer on: alice's organisation requires scanning, so each
// offer of hers comes back as policy-violation with the reason and is recorded; carol's does
// not, so the server lets her offers through (the offline peer's own answer comes back).

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Hato, startHato } from "../support/hato.js";
import { runPython } from "../support/python.js";

const TEXT =
  "your organisation requires every file to be scanned, so direct file transfer is refused: send the file as an upload";
const PROTOCOLS = ["ibb", "iq-oob", "si-file-transfer", "socks5", "ibb-message"];

interface Outcome {
  proto: string;
  outcome: "error" | "delivered" | "timeout";
  condition?: string;
  type?: string;
  text?: string;
}

async function offers(hato: Hato, user: string): Promise<Outcome[]> {
  const r = await runPython(
    "slixmpp-p2p.py",
    [
      ...["--jid", `${user}@localhost`, "--password", `${user}-secret`],
      ...["--to", "bob@localhost/laptop", "--port", String(hato.c2sPort), "--ca", hato.caFile],
    ],
    { SSL_CERT_FILE: hato.caFile },
    120_000,
  );
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Outcome);
}

describe("slixmpp direct file transfer with files.peer-to-peer and files.scanning-required", () => {
  let hato: Hato;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hato-p2p-scan-"));
    const config = join(dir, "hato.yaml");
    await writeFile(
      config,
      "policy:\n  groups: { finance: [alice] }\n  overrides:\n    finance: { files: { scanning-required: true } }\n",
    );
    hato = await startHato({
      users: { alice: "alice-secret", bob: "bob-secret", carol: "carol-secret" },
      flags: { config, "files-peer-to-peer": "true" },
    });
  });
  after(async () => {
    await hato?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("alice's offers are refused with policy-violation and the reason, and recorded", async () => {
    const outcomes = await offers(hato, "alice");
    for (const proto of PROTOCOLS) {
      const o = outcomes.find((x) => x.proto === proto);
      assert.ok(o, `no outcome for ${proto}: ${JSON.stringify(outcomes)}`);
      assert.deepEqual(
        { outcome: o.outcome, condition: o.condition, type: o.type, text: o.text },
        { outcome: "error", condition: "policy-violation", type: "modify", text: TEXT },
        proto,
      );
    }
    const out = await hato.cli(["audit", "export"]);
    const denied = out.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; actor?: string; details: { text?: string } })
      .filter((e) => e.kind === "policy-denied");
    assert.ok(denied.length >= PROTOCOLS.length, JSON.stringify(denied));
    assert.ok(denied.every((e) => e.actor === "alice" && e.details.text === TEXT));
  });

  it("carol's organisation does not require scanning: the server does not refuse her offers", async () => {
    const outcomes = await offers(hato, "carol");
    assert.equal(outcomes.length, PROTOCOLS.length, JSON.stringify(outcomes));
    for (const o of outcomes) assert.notEqual(o.condition, "policy-violation", JSON.stringify(o));
  });
});
