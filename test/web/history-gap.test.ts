// The web client's handling of archived encrypted messages whose text this device lacks: a run
// of them is one gap in the log (never empty bubbles), and a copy from the archive without
// its text never hides a text already shown live (the first message of a session may still be
// decrypting while the archive page comes in), while a live text replaces the gap.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatMessage, HatoClient } from "@hato/sdk";
import { withGaps } from "@hato/web/state/history-gaps.js";
import { ChatStore } from "@hato/web/state/store.js";

const PEER = "alice@localhost";
const msg = (id: string, over: Partial<ChatMessage> = {}): ChatMessage => ({
  id,
  peer: PEER,
  outgoing: false,
  body: `text ${id}`,
  time: new Date(1000 + Number(id.replace(/\D/g, "") || 0)),
  ...over,
});
const gone = (id: string, why: ChatMessage["unavailable"] = "before-device"): ChatMessage =>
  msg(id, {
    body: "",
    archiveId: `a${id}`,
    encryption: "failed",
    unavailable: why,
    problem: "not available on this device",
  });

/** A ChatStore over a stand-in client (no events). */
function store(): ChatStore {
  const client = {
    status: "online",
    contacts: () => [],
    pendingRequests: () => [],
    on: () => () => undefined,
  };
  return new ChatStore(client as unknown as HatoClient);
}

test("a run of unavailable messages is one gap; readable messages split runs", () => {
  const rows = withGaps([gone("1"), gone("2"), gone("3", "not-kept"), msg("4"), gone("5")]);
  assert.deepEqual(
    rows.map((r) => ("gap" in r ? `gap ${r.gap.map((m) => m.id).join(",")}` : r.id)),
    ["gap 1,2,3", "4", "gap 5"],
  );
  assert.deepEqual(withGaps([msg("1"), msg("2")]).length, 2);
});

test("an archived copy without its text does not hide the live text; a live text fills a gap", () => {
  const s = store();
  s.upsert(msg("1", { encryption: "omemo", archiveId: undefined }));
  s.upsert(gone("1", "not-kept"));
  const [kept] = s.chat(PEER).messages;
  assert.equal(kept?.body, "text 1");
  assert.equal(kept?.unavailable, undefined);
  assert.equal(kept?.archiveId, "a1", "it learns the archive id for paging");

  s.upsert(gone("2", "not-kept"));
  s.upsert(msg("2", { encryption: "omemo", archiveId: "a2" }));
  const filled = s.chat(PEER).messages[1];
  assert.deepEqual(
    [filled?.body, filled?.encryption, filled?.unavailable, filled?.problem],
    ["text 2", "omemo", undefined, undefined],
  );
  assert.equal(s.chat(PEER).messages.length, 2);
});
