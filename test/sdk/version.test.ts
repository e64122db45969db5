// XEP-0092 from the SDK: it tells its own server which software it is (the admin console and
// the allowed-clients rule read it), and nobody else.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SDK_VERSION } from "@hato/sdk";
import { RawClient } from "../support/inproc.js";
import { befriend, type SdkWorld, sdkWorld } from "../support/sdk.js";

/** Polls a server-side fact (no client event announces it). */
async function eventually(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("did not happen");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("SDK software version (XEP-0092)", () => {
  let w: SdkWorld;
  before(async () => {
    w = await sdkWorld(["alice", "bob"], { "sessions.ask-client-version": "true" });
  });
  after(() => w.stop());

  it("answers its own server: the session's software is Hato and the SDK's version", async () => {
    const a = w.client("alice");
    await a.connect();
    const session = () => [...w.server.server.sessions.ofUser("alice")][0];
    await eventually(() => session()?.software?.version !== undefined);
    assert.equal(session()?.software?.name, "Hato");
    assert.equal(session()?.software?.version, SDK_VERSION);
    assert.equal(session()?.software?.os, undefined, "no operating system is told");
    await a.disconnect();
  });

  it("a contact asking gets service-unavailable: only the server learns the software", async () => {
    const a = w.client("alice", { resource: "web" });
    const b = w.client("bob");
    await Promise.all([a.connect(), b.connect()]);
    await befriend(a, b);
    await b.disconnect();
    const { client: bob } = await RawClient.login(w.server, "bob", "pw", "raw");
    bob.send(
      "<iq type='get' id='v1' to='alice@localhost/web'><query xmlns='jabber:iq:version'/></iq>",
    );
    const answer = await bob.expect((s) => s.name === "iq" && s.attr("id") === "v1");
    assert.equal(answer.attr("type"), "error");
    assert.ok(answer.getChild("error")?.getChild("service-unavailable"));
    bob.close();
    await a.disconnect();
  });
});
