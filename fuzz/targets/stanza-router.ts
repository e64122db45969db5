// Fuzz target: client stanza intake and the stanza router (RFC 6120 §8, RFC 6121 §8.5),
// with the real modules on memory storage and two bound sessions, no sockets.
//
// The input is parsed as a sequence of top-level elements and each goes through the same
// intake a bound client's stanzas go through. Invariants (a violation throws, which Jazzer
// reports as a finding):
// - nothing throws out of intake or routing;
// - everything a session receives serialises and re-parses to an equal tree;
// - whatever reaches bob claims to come from alice's session or the server, never from
//   someone alice named (the server stamps `from`);
// - no error reply answers a stanza of type error.
import { isDeepStrictEqual } from "node:util";
import { createSelfSigned } from "@hato/cli";
import {
  type ClientSession,
  createLogger,
  intakeStanza,
  loadConfig,
  Server,
  type StreamError,
} from "@hato/core";
import { jid } from "@hato/jid";
import { defaultModules } from "@hato/modules";
import { deriveScramCredentials } from "@hato/sasl";
import { openMemoryStorage } from "@hato/storage";
import { type Element, NS_CLIENT, parseElement, StreamParser, serialize } from "@hato/xml";

class FakeSession implements ClientSession {
  readonly id: string;
  readonly jid;
  readonly username: string;
  readonly resource: string;
  readonly address = "127.0.0.1";
  available = true;
  priority = 0;
  presence: Element | undefined = undefined;
  readonly hibernated = false;
  inbox: Element[] = [];
  bus: Server["bus"] | undefined;

  constructor(full: string) {
    this.id = full;
    this.jid = jid(full);
    this.username = this.jid.local;
    this.resource = this.jid.resource;
  }

  send(stanza: Element, written?: (ok: boolean) => void): void {
    const text = serialize(stanza, NS_CLIENT);
    const again = parseElement(`<wrap xmlns='${NS_CLIENT}'>${text}</wrap>`).elements()[0]!;
    if (!isDeepStrictEqual(serialize(again, NS_CLIENT), text))
      throw new Error(`output does not round-trip: ${text}`);
    this.inbox.push(stanza);
    written?.(true);
  }

  close(): void {}

  setPresence(available: boolean, priority: number, stanza: Element): void {
    this.available = available;
    this.priority = priority;
    this.presence = available ? stanza : undefined;
    this.bus?.fire("presence-broadcast", { session: this, stanza });
  }
}

interface Env {
  server: Server;
  alice: FakeSession;
  bob: FakeSession;
}

async function setup(): Promise<Env> {
  const config = loadConfig({
    flags: new Map([
      ["c2s-port", "0"],
      ["tls-port", "0"],
      ["offline.max-messages", "50"],
    ]),
  });
  const storage = openMemoryStorage();
  const sha1 = deriveScramCredentials("pw", "sha1", { iterations: 4096 });
  const sha256 = deriveScramCredentials("pw", "sha256", { iterations: 4096 });
  for (const username of ["alice", "bob"]) {
    await storage.accounts.create({
      username,
      createdAt: new Date(),
      scram: { sha1, sha256 },
      roles: [],
    });
  }
  const server = new Server({
    config,
    storage,
    log: createLogger("error", "fuzz", () => {}),
    modules: [...defaultModules],
    secret: Buffer.alloc(32, 1),
    tls: await createSelfSigned(["localhost"]),
  });
  await server.start(); // both ports are 0: no listeners, just the modules
  const alice = new FakeSession("alice@localhost/desk");
  const bob = new FakeSession("bob@localhost/phone");
  alice.bus = server.bus;
  bob.bus = server.bus;
  server.sessions.add(alice);
  server.sessions.add(bob);
  return { server, alice, bob };
}

// Set up once, at import. The target itself stays synchronous: fuzz/run.sh runs Jazzer in
// --sync mode, where a returned promise would not be awaited and calls would pile up.
const { server, alice, bob } = await setup();

export function fuzz(data: Buffer): void {
  alice.inbox = [];
  bob.inbox = [];
  const sent: Element[] = [];
  let streamError: StreamError | undefined;
  const parser = new StreamParser(
    {
      streamStart: () => {},
      streamEnd: () => {},
      error: () => {},
      stanza: (el) => {
        if (streamError) return;
        sent.push(el.clone());
        streamError = intakeStanza(el, alice, server);
      },
    },
    { maxStanzaBytes: 16 * 1024 },
    { fragments: true },
  );
  parser.write(data);
  // Online delivery is synchronous, so every check below sees it; what goes to offline
  // storage (asynchronous) is bounded by the offline quota set in setup().

  for (const el of bob.inbox) {
    const from = el.attr("from");
    if (from !== "alice@localhost/desk" && from !== "localhost") {
      throw new Error(`bob received a stanza from ${from}: ${serialize(el, NS_CLIENT)}`);
    }
  }
  const errorIds = new Set(sent.filter((s) => s.attr("type") === "error").map((s) => s.attr("id")));
  for (const el of alice.inbox) {
    if (el.attr("type") === "error" && el.attr("id") !== undefined && errorIds.has(el.attr("id"))) {
      const same = sent.filter((s) => s.attr("id") === el.attr("id"));
      if (same.every((s) => s.attr("type") === "error"))
        throw new Error(`an error was answered: ${serialize(el, NS_CLIENT)}`);
    }
  }
}
