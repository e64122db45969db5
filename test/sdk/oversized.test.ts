// A stanza over the SDK's own parser limit (4 MiB) is skipped and reported, not a reason to
// drop the link: a reconnection would resume, get the same stanza resent and loop for ever.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HatoClient } from "@hato/sdk";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

describe("SDK: a stanza larger than the client accepts", () => {
  let w: SdkWorld;
  let a: HatoClient;
  let b: HatoClient;
  before(async () => {
    // The server lets 8 MiB stanzas through, twice what the SDK parses.
    w = await sdkWorld(["alice", "bob"], {
      "limits.stanza-bytes": String(8 * 1024 * 1024),
      "limits.outbound-queue-bytes": String(32 * 1024 * 1024),
    });
    a = w.client("alice");
    b = w.client("bob");
    await Promise.all([a.connect(), b.connect()]);
    await befriend(a, b);
  });
  after(() => w.stop());

  it("is skipped with an error event; the stream stays up and the next message arrives", async () => {
    const statuses: string[] = [];
    b.on("status", (s) => statuses.push(s));
    const error = nextEvent(b, "error", (text) => /too large/.test(text));
    const next = nextEvent(b, "message", (m) => m.body === "after the huge one");
    a.send(b.jid, `HUGE ${"y".repeat(5 * 1024 * 1024)}`);
    a.send(b.jid, "after the huge one");
    const [text] = await error;
    assert.match(text, /a message of \d+ KiB was too large to show and was skipped/);
    await next;
    assert.deepEqual(statuses, [], "no reconnection");
    assert.equal(b.status, "online");
  });
});
