// urn:hato:policy:0 transcripts: a user asks their server which rules apply to them, only for
// themselves, and sessions that asked hear the new summary after a reload.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { ask, condition, errorText, pause } from "../support/stanzas.js";

const NS = "urn:hato:policy:0";
const POLICY = `groups: { eng: [alice] }
encryption: required
version-queries: false
overrides:
  eng: { files: { max-bytes: 1048576 } }
`;

describe("policy summary (urn:hato:policy:0)", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    assert.ok(t.server.policy.applyText(POLICY).ok);
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
  });
  after(() => t.stop());

  const items = (res: ReturnType<typeof ask> extends Promise<infer E> ? E : never) =>
    res
      .getChild("query", NS)!
      .getChildren("item")
      .map((i) => `${i.attr("rule")}: ${i.text()}`);

  it("alice asks her server: the lines of `hato policy explain alice`, her group's override too", async () => {
    const { client } = await RawClient.login(t, "alice", "alice-pw", "r");
    const res = await ask(
      client,
      "s1",
      `<iq type='get' id='s1' to='localhost'><query xmlns='${NS}'/></iq>`,
    );
    assert.equal(res.attr("type"), "result");
    const lines = items(res);
    assert.ok(lines.includes("groups: eng"), lines.join("\n"));
    assert.ok(lines.includes("files: may share files, up to 1 MiB"));
    assert.ok(
      lines.includes(
        "encryption: 1:1 messages must be end-to-end encrypted (OMEMO); plaintext ones are refused",
      ),
    );
    assert.ok(lines.includes("client version: others may not ask which client software you run"));
    assert.ok(lines.some((l) => /^federation: .*\(enforced once federation exists\)$/.test(l)));
    assert.ok(!lines.some((l) => l.includes("alice@localhost")), "no address line");
    // To her own bare JID (or with no `to`) it is the same answer.
    const own = await ask(client, "s2", `<iq type='get' id='s2'><query xmlns='${NS}'/></iq>`);
    assert.deepEqual(items(own), lines);
    const disco = await ask(
      client,
      "d1",
      "<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    );
    assert.ok(
      disco
        .getChild("query")!
        .getChildren("feature")
        .some((f) => f.attr("var") === NS),
    );
    client.close();
  });

  it("only for the asking user: bob's summary is refused to alice", async () => {
    const { client } = await RawClient.login(t, "alice", "alice-pw", "r2");
    const res = await ask(
      client,
      "s3",
      `<iq type='get' id='s3' to='bob@localhost'><query xmlns='${NS}'/></iq>`,
    );
    assert.equal(condition(res), "forbidden");
    assert.match(errorText(res), /only for your own/);
    client.close();
  });

  it("after a reload, sessions that asked get the new summary pushed; others do not", async () => {
    const asked = (await RawClient.login(t, "bob", "bob-pw", "asked")).client;
    const silent = (await RawClient.login(t, "bob", "bob-pw", "silent")).client;
    await ask(asked, "s4", `<iq type='get' id='s4' to='localhost'><query xmlns='${NS}'/></iq>`);
    const before = t.server.policy.current.doc;
    assert.ok(t.server.policy.applyText("encryption: optional\n").ok);
    // What Server.reloadPolicy fires once the new policy is in place.
    await t.server.bus.fire("policy-reloaded", {
      how: "file",
      ok: true,
      before,
      after: t.server.policy.current.doc,
      errors: [],
    });
    const push = await asked.expect(
      (e) => e.name === "iq" && e.attr("type") === "set" && e.getChild("query", NS) !== undefined,
      "policy push",
    );
    assert.equal(push.attr("from"), "localhost");
    assert.ok(items(push).includes("encryption: end-to-end encryption is optional"));
    asked.send(`<iq type='result' id='${push.attr("id")}' to='localhost'/>`);
    await pause();
    assert.ok(
      !silent.received.some((e) => e.name === "iq" && e.getChild("query", NS) !== undefined),
      "a session that never asked gets no push",
    );
    asked.close();
    silent.close();
  });
});
