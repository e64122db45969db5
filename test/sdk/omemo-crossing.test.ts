// Two people who write to each other at the same moment, before either has a session: each
// client builds its own session and sends a key exchange, and the two cross on the way. Both
// namespaces, over a real server: every message after that must decrypt, whether the next ones
// cross again or take turns. (omemo-sessions.test.ts holds the legacy case without a server.)

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ChatMessage, type HatoClient, MemoryOmemo2Store, MemoryOmemoStore } from "@hato/sdk";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

let world: SdkWorld;
before(async () => {
  world = await sdkWorld(["alice", "bob", "carol", "dave"]);
});
after(() => world.stop());

/** The next message from `peer` at `c` with `body`, whatever its encryption said. */
const arrival = (c: HatoClient, peer: string, body: string) =>
  nextEvent(
    c,
    "message",
    (m) => m.peer === peer && !m.outgoing && (m.body === body || m.encryption === "failed"),
  ).then(([m]) => m);

function assertRead(m: ChatMessage, body: string): void {
  assert.equal(m.encryption, "omemo", `"${body}": ${m.problem ?? "not encrypted"}`);
  assert.equal(m.body, body);
}

async function conversation(a: HatoClient, b: HatoClient, label: string): Promise<void> {
  await Promise.all([a.connect(), b.connect()]);
  await befriend(a, b);
  // Both write first, at once: two sessions, two key exchanges crossing.
  const rounds = [
    { crossing: true },
    { crossing: true },
    { crossing: false },
    { crossing: true },
    { crossing: false },
  ];
  for (const [i, r] of rounds.entries()) {
    const [ta, tb] = [`${label} ${i} from ${a.jid}`, `${label} ${i} from ${b.jid}`];
    if (r.crossing) {
      const got = [arrival(b, a.jid, ta), arrival(a, b.jid, tb)];
      await Promise.all([a.sendEncrypted(b.jid, ta), b.sendEncrypted(a.jid, tb)]);
      const [atB, atA] = await Promise.all(got);
      assertRead(atB!, ta);
      assertRead(atA!, tb);
    } else {
      const atB = arrival(b, a.jid, ta);
      await a.sendEncrypted(b.jid, ta);
      assertRead(await atB, ta);
      const atA = arrival(a, b.jid, tb);
      await b.sendEncrypted(a.jid, tb);
      assertRead(await atA, tb);
    }
  }
}

test("legacy OMEMO: first messages that cross, then more, all decrypt", async () => {
  const alice = world.client("alice", { omemo: new MemoryOmemoStore() });
  const bob = world.client("bob", { omemo: new MemoryOmemoStore() });
  await conversation(alice, bob, "legacy");
});

test("OMEMO 2: first messages that cross, then more, all decrypt", async () => {
  const carol = world.client("carol", { omemo2: new MemoryOmemo2Store() });
  const dave = world.client("dave", { omemo2: new MemoryOmemo2Store() });
  await conversation(carol, dave, "omemo2");
});
