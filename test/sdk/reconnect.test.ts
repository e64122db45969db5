// The SDK survives its network being cut at a TCP proxy: it resumes the XEP-0198 session (or
// logs in again when resumption is off) and no message is lost or shown twice on either side.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HatoClient, Status } from "@hato/sdk";
import { befriend, type SdkWorld, sdkWorld, until } from "../support/sdk.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

/** Bodies of incoming messages from `peer`, in arrival order. */
function inbox(c: HatoClient, peer: string): string[] {
  const got: string[] = [];
  c.on("message", (m) => {
    if (!m.outgoing && m.peer === peer) got.push(m.body);
  });
  return got;
}

const settle = () => new Promise((r) => setTimeout(r, 300)); // only to show nothing more arrives

for (const mode of ["resume", "full login"] as const) {
  describe(`SDK reconnection through a cut network (${mode})`, () => {
    let w: SdkWorld;
    let proxy: TcpProxy;
    let a: HatoClient;
    let b: HatoClient;
    const statuses: Status[] = [];
    before(async () => {
      w = await sdkWorld(["alice", "bob"], mode === "resume" ? {} : { "sm.resume-seconds": "0" });
      proxy = await startTcpProxy(w.server.tlsPort);
      a = w.client("alice", { port: proxy.port, keepaliveSeconds: 1 });
      b = w.client("bob");
      a.on("status", (s) => statuses.push(s));
      await Promise.all([a.connect(), b.connect()]);
      await befriend(a, b);
    });
    after(async () => {
      await w.stop();
      await proxy.close();
    });

    it("a reset connection: messages sent before, during and after the cut arrive exactly once", async () => {
      const atA = inbox(a, b.jid);
      const atB = inbox(b, a.jid);
      a.send(b.jid, "a1");
      b.send(a.jid, "b1");
      await until(a, () => atA.length === 1);
      await until(b, () => atB.length === 1);

      a.send(b.jid, "a2"); // may or may not be on the wire when the cut comes
      proxy.cut("reset");
      b.send(a.jid, "b2"); // waits in the server for alice's session
      await until(a, () => a.status === "reconnecting");
      a.send(b.jid, "a3"); // waits in the SDK until it is online again
      b.send(a.jid, "b3");
      await until(a, () => a.status === "online");
      a.send(b.jid, "a4");
      b.send(a.jid, "b4");

      await until(a, () => atA.length >= 4);
      await until(b, () => atB.length >= 4);
      await settle();
      assert.deepEqual(atA, ["b1", "b2", "b3", "b4"]);
      assert.deepEqual(atB, ["a1", "a2", "a3", "a4"]);
      assert.deepEqual(statuses.slice(-2), ["reconnecting", "online"]);
    });

    it("every outgoing message ends acknowledged after the reconnection", async () => {
      const m = a.send(b.jid, "before the second cut");
      proxy.cut("reset");
      await until(a, () => a.status === "online");
      const acked = new Promise<void>((resolve) => {
        if (m.state !== "pending") return resolve();
        a.on("updated", (u) => {
          if (u.id === m.id && u.state !== "pending") resolve();
        });
      });
      await acked;
    });

    it("repeated cuts while both sides keep talking lose and duplicate nothing", async () => {
      const atA = inbox(a, b.jid);
      const atB = inbox(b, a.jid);
      const sentA: string[] = [];
      const sentB: string[] = [];
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 3; i++) {
          sentA.push(`a${round}.${i}`);
          a.send(b.jid, `a${round}.${i}`);
          sentB.push(`b${round}.${i}`);
          b.send(a.jid, `b${round}.${i}`);
        }
        proxy.cut("reset");
        await until(a, () => a.status === "online");
      }
      await until(a, () => atA.length >= sentB.length);
      await until(b, () => atB.length >= sentA.length);
      await settle();
      assert.deepEqual(atA, sentB);
      assert.deepEqual(atB, sentA);
    });

    if (mode === "resume") {
      it("a silent network (no reset) is noticed by the keepalive and resumed", async () => {
        const atA = inbox(a, b.jid);
        const atB = inbox(b, a.jid);
        proxy.cut("silent");
        b.send(a.jid, "while silent");
        a.send(b.jid, "into the void");
        await until(a, () => a.status === "reconnecting");
        await until(a, () => a.status === "online");
        await until(a, () => atA.length >= 1);
        await until(b, () => atB.length >= 1);
        await settle();
        assert.deepEqual(atA, ["while silent"]);
        assert.deepEqual(atB, ["into the void"]);
      });

      it("when the server ends the session with a stream error, it logs in again and resends", async () => {
        const atB = inbox(b, a.jid);
        const atA = inbox(a, b.jid);
        // The server closes alice's session with a stream error: nothing is left to resume.
        assert.equal(w.server.server.closeSessionsOf("alice", "the administrator says so"), 1);
        await until(a, () => a.status === "reconnecting");
        a.send(b.jid, "after the session ended");
        b.send(a.jid, "to the new session");
        await until(a, () => a.status === "online");
        await until(b, () => atB.length >= 1);
        await until(a, () => atA.length >= 1);
        await settle();
        assert.deepEqual(atB, ["after the session ended"]);
        assert.deepEqual(atA, ["to the new session"]);
        assert.equal(
          a.contacts().find((c) => c.jid === b.jid)?.show,
          "available",
          "the roster and presence were fetched again",
        );
      });

      it("disconnect() while reconnecting stops for good", async () => {
        proxy.cut("reset");
        await until(a, () => a.status === "reconnecting");
        await a.disconnect();
        assert.equal(a.status, "disconnected");
        await settle();
        assert.equal(a.status, "disconnected");
        assert.equal(proxy.open, 0, "no connection was opened again");
      });
    }
  });
}
