// @hato/sdk compiles against the `ws` WebSocket (the one Node tests and bots pass in).

import assert from "node:assert/strict";
import { test } from "node:test";
import { HatoClient } from "@hato/sdk";
import WebSocket from "ws";

test("a HatoClient accepts the ws WebSocket constructor and starts disconnected", () => {
  const c = new HatoClient({
    service: "wss://localhost/xmpp-websocket",
    jid: "a@localhost",
    password: "x",
    WebSocket,
  });
  assert.equal(c.status, "disconnected");
  assert.equal(c.jid, "a@localhost");
});
