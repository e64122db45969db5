// An @xmpp/client (xmpp.js) client for interop tests, run as a child process: the same JSON-line
// protocol as test/interop/py/slixmpp-agent.py. @xmpp/client takes no TLS options, so the test CA
// is trusted through NODE_EXTRA_CA_CERTS, which Node reads only at process start.

import { createInterface } from "node:readline";
import type { TLSSocket } from "node:tls";
import { parseArgs } from "node:util";
import { client, type XmlElement, xml } from "@xmpp/client";
import { WebSocket } from "ws";

const { values: opt } = parseArgs({
  options: {
    jid: { type: "string" },
    password: { type: "string" },
    host: { type: "string", default: "localhost" },
    port: { type: "string" },
    tls: { type: "string", default: "starttls" },
    timeout: { type: "string", default: "60" },
  },
});

const emit = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");

const [username, domain] = (opt.jid ?? "").split("@");
if (!username || !domain || !opt.port || !opt.password) {
  process.stderr.write(
    "usage: xmppjs-agent --jid USER@DOMAIN --password PW --port N [--tls starttls|direct|websocket]\n",
  );
  process.exit(2);
}
// The host name is what the certificate is checked against, so it must be a name, not 127.0.0.1.
const scheme = opt.tls === "direct" ? "xmpps" : "xmpp";
// RFC 7395: xmpp.js uses globalThis.WebSocket, which Node 20 lacks; `ws` stands in (and trusts
// NODE_EXTRA_CA_CERTS like every Node TLS client).
if (opt.tls === "websocket") (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
const service =
  opt.tls === "websocket"
    ? `wss://${opt.host}:${opt.port}/xmpp-websocket`
    : `${scheme}://${opt.host}:${opt.port}`;
// xmpp.js waits 2 s by default for each reply (stream open, STARTTLS, SASL); a loaded CI
// machine can take longer, and a timeout would read as a server failure.
const xmpp = client({
  service,
  domain,
  username,
  password: opt.password,
  timeout: 15_000,
});
xmpp.reconnect.stop(); // a closed stream must be seen as such, not hidden by a reconnection
let mechanism: string | undefined;

xmpp.on("send", (el: XmlElement) => {
  if (el.name === "auth" || el.name === "authenticate") mechanism = el.attrs.mechanism;
});
xmpp.on("online", async (address: { toString(): string }) => {
  await xmpp.send(xml("presence"));
  const socket = xmpp.socket?.socket as TLSSocket | null | undefined;
  emit("online", {
    jid: address.toString(),
    mechanism,
    tls: typeof socket?.getProtocol === "function" ? socket.getProtocol() : null,
    alpn: socket?.alpnProtocol || null,
  });
});
xmpp.on("stanza", (el: XmlElement) => {
  if (!el.is("message")) return;
  const delay = el.getChild("delay", "urn:xmpp:delay");
  emit("message", {
    from: el.attrs.from,
    to: el.attrs.to,
    type: el.attrs.type ?? "normal",
    body: el.getChildText("body") ?? "",
    delay: delay ? { stamp: delay.attrs.stamp, from: delay.attrs.from } : null,
    xml: el.toString(),
  });
});
xmpp.on("error", (err: Error & { condition?: string }) =>
  emit("error", { name: err.name, message: err.message, condition: err.condition }),
);
xmpp.on("offline", () => {
  emit("disconnected");
  process.exit(0);
});
xmpp.on("disconnect", () => emit("disconnected", { reason: "socket closed" }));

const timer = setTimeout(() => {
  emit("error", { message: `timed out after ${opt.timeout} s` });
  process.exit(3);
}, Number(opt.timeout) * 1000);
timer.unref();

const quit = async () => {
  try {
    await xmpp.stop();
  } catch {}
  process.exit(0);
};

createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line.trim() === "") return;
    const cmd = JSON.parse(line) as {
      send?: { to: string; body: string; type?: string; id?: string };
      quit?: boolean;
    };
    if (cmd.send) {
      const id = cmd.send.id ?? `xjs-${Date.now().toString(36)}`;
      xmpp
        .send(
          xml(
            "message",
            { to: cmd.send.to, type: cmd.send.type ?? "chat", id },
            xml("body", {}, cmd.send.body),
          ),
        )
        .then(() => emit("sent", { id, to: cmd.send!.to }))
        .catch((err: Error) => emit("error", { message: err.message }));
    } else if (cmd.quit) void quit();
  })
  .on("close", () => void quit());

xmpp.start().catch((err: Error & { condition?: string }) => {
  emit("error", {
    name: err.name,
    message: `start failed: ${err.message}`,
    condition: err.condition,
  });
  process.exit(1);
});
