import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { xml } from "@hato/xml";
import { parseH, SmState } from "./sm.js";

describe("XEP-0198 counters", () => {
  it("h wraps from 2^32-1 to 0 both ways", () => {
    const sm = new SmState(2 ** 32 - 2);
    for (let i = 0; i < 4; i++) sm.push(xml("message", { id: String(i) }));
    assert.equal(sm.sent, 2, "2^32-2 + 4, modulo 2^32");
    assert.deepEqual(sm.ack(2 ** 32 - 1), { ok: true });
    assert.equal(sm.queue.length, 3);
    assert.deepEqual(sm.ack(1), { ok: true });
    assert.equal(sm.queue[0]?.stanza.attr("id"), "3");
    const high = sm.ack(3);
    assert.equal(high.ok, false);
    assert.equal(sm.queue.length, 1, "a refused ack changes nothing");
    sm.inbound = 2 ** 32 - 1;
    sm.handled();
    assert.equal(sm.inbound, 0);
  });

  it("an h behind the last acknowledged one is refused too (h never goes back)", () => {
    const sm = new SmState();
    for (let i = 0; i < 3; i++) sm.push(xml("message"));
    assert.equal(sm.ack(2).ok, true);
    assert.equal(sm.ack(1).ok, false);
    assert.equal(sm.ack(2).ok, true, "the same h again is harmless");
  });

  it("h must be a decimal unsignedInt", () => {
    assert.equal(parseH("0"), 0);
    assert.equal(parseH("4294967295"), 2 ** 32 - 1);
    for (const bad of ["4294967296", "-1", "1e3", " 1", "", "0x10", undefined])
      assert.equal(parseH(bad), undefined, String(bad));
  });
});
