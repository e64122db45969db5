// Interop with slixmpp's own direct-transfer plugins (Debian's python3-slixmpp) through a real
// `hato start`: IBB (in IQs and messages), jabber:iq:oob, SI file transfer and SOCKS5 offers
// each come back as policy-violation with the reason, and nothing reaches the peer.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Hato, startHato } from "../support/hato.js";
import { runPython } from "../support/python.js";

const REFUSAL_TEXT =
  "direct file transfer is turned off on this server: files go through the upload service so they can be scanned";

interface Outcome {
  proto: string;
  outcome: "error" | "delivered" | "timeout";
  condition?: string;
  type?: string;
  text?: string;
}

describe("slixmpp direct file transfer offers", () => {
  let hato: Hato;
  let outcomes: Outcome[];
  before(async () => {
    hato = await startHato({ users: { alice: "alice-secret", bob: "bob-secret" } });
    const r = await runPython(
      "slixmpp-p2p.py",
      [
        "--jid",
        "alice@localhost",
        "--password",
        "alice-secret",
        "--to",
        "bob@localhost/laptop",
        "--port",
        String(hato.c2sPort),
        "--ca",
        hato.caFile,
      ],
      { SSL_CERT_FILE: hato.caFile },
      120_000,
    );
    assert.equal(r.code, 0, r.stderr);
    outcomes = r.stdout
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Outcome);
  });
  after(() => hato?.stop());

  for (const proto of ["ibb", "iq-oob", "si-file-transfer", "socks5", "ibb-message"]) {
    it(`${proto}: policy-violation (modify) with the reason`, () => {
      const o = outcomes.find((x) => x.proto === proto);
      assert.ok(o, `no outcome for ${proto}: ${JSON.stringify(outcomes)}`);
      assert.deepEqual(
        { outcome: o.outcome, condition: o.condition, type: o.type, text: o.text },
        { outcome: "error", condition: "policy-violation", type: "modify", text: REFUSAL_TEXT },
      );
    });
  }
});
