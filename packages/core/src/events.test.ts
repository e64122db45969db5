import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventBus, Priority } from "./events.js";

describe("EventBus", () => {
  const payload = {} as never;

  it("runs handlers by priority, highest first, and stops at the first that takes", () => {
    const seen: string[] = [];
    const bus = new EventBus(() => {});
    bus.on("message/bare", () => void seen.push("delivery"), Priority.DELIVERY, "d");
    bus.on(
      "message/bare",
      () => {
        seen.push("policy");
        return false;
      },
      Priority.POLICY,
      "p",
    );
    bus.on(
      "message/bare",
      () => {
        seen.push("default");
        return true;
      },
      Priority.DEFAULT,
      "x",
    );
    assert.equal(bus.fire("message/bare", payload), true);
    assert.deepEqual(seen, ["policy", "default"]);
  });

  it("equal priorities run in registration order; unhooking removes exactly one", () => {
    const seen: number[] = [];
    const bus = new EventBus(() => {});
    const off = bus.on("iq/host", () => void seen.push(1), 0, "a");
    bus.on("iq/host", () => void seen.push(2), 0, "b");
    bus.fire("iq/host", payload);
    off();
    bus.fire("iq/host", payload);
    assert.deepEqual(seen, [1, 2, 2]);
  });

  it("a throwing handler is reported with its module name and does not take the event", () => {
    const errors: string[] = [];
    const bus = new EventBus((owner) => errors.push(owner));
    bus.on(
      "message/full",
      () => {
        throw new Error("boom");
      },
      10,
      "broken",
    );
    bus.on("message/full", () => true, 0, "ok");
    assert.equal(bus.fire("message/full", payload), true);
    assert.deepEqual(errors, ["broken"]);
  });

  it("becomes asynchronous only when a handler returns a promise", async () => {
    const bus = new EventBus(() => {});
    bus.on("message/bare", async () => false, 10, "a");
    bus.on("message/bare", () => true, 0, "b");
    const r = bus.fire("message/bare", payload);
    assert.ok(r instanceof Promise);
    assert.equal(await r, true);
    const sync = new EventBus(() => {});
    sync.on("message/bare", () => false, 0, "c");
    assert.equal(sync.fire("message/bare", payload), false);
  });

  it("refuses unknown event names at registration", () => {
    const bus = new EventBus(() => {});
    assert.throws(
      () => bus.on("mesage/bare" as never, () => true, 0, "typo"),
      /unknown event name/,
    );
    assert.doesNotThrow(() => bus.on("iq-get/host/urn:xmpp:ping:ping", () => true, 0, "ok"));
  });
});
