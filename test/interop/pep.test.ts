// Interop with slixmpp's XEP-0060 plugin: an OMEMO-style device list and bundle published with
// publish-options access_model=open and fetched by a stranger; a presence-access node refused.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Hato, startHato } from "../support/hato.js";
import { runPython } from "../support/python.js";

describe("slixmpp PEP", () => {
  let hato: Hato;
  before(async () => {
    hato = await startHato({ users: { alice: "alice-secret", carol: "carol-secret" } });
  });
  after(() => hato?.stop());

  const run = async (user: string, action: string, owner = "") => {
    const r = await runPython("slixmpp-pep.py", [
      "--jid",
      `${user}@localhost`,
      "--password",
      `${user}-secret`,
      "--port",
      String(hato.c2sPort),
      "--ca",
      hato.caFile,
      "--action",
      action,
      "--owner",
      owner,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
  };

  it("publishes with publish-options; a stranger fetches the open nodes and is refused the presence one", async () => {
    const published = await run("alice", "publish");
    assert.deepEqual(published, {
      published: [
        "eu.siacs.conversations.axolotl.devicelist",
        "eu.siacs.conversations.axolotl.bundles:7",
        "http://jabber.org/protocol/mood",
      ],
    });
    const { fetched } = (await run("carol", "fetch", "alice@localhost")) as {
      fetched: Record<string, string[] | { error: string }>;
    };
    const list = fetched["eu.siacs.conversations.axolotl.devicelist"] as string[];
    assert.equal(list.length, 1);
    assert.match(list[0]!, /device id="7"/);
    assert.match(list[0]!, /device id="8"/);
    const bundle = fetched["eu.siacs.conversations.axolotl.bundles:7"] as string[];
    assert.match(bundle[0]!, /identityKey/);
    assert.deepEqual(fetched["http://jabber.org/protocol/mood"], { error: "not-authorized" });
  });
});
