// Real XMPP clients (slixmpp, aioxmpp, xmpp.js) as child processes speaking one JSON-line protocol.

import { fileURLToPath } from "node:url";
import type { Hato } from "./hato.js";
import { Proc } from "./process.js";
import { spawnPython } from "./python.js";

export type AgentKind = "slixmpp" | "aioxmpp" | "xmppjs";

export interface AgentEvent {
  event:
    | "online"
    | "message"
    | "sent"
    | "sasl-failure"
    | "stream-error"
    | "disconnected"
    | "error"
    | "presence"
    | "roster"
    | "carbon"
    | "sm"
    | "result"
    | "warning"
    | "iq-error"
    | "bodiless";
  [field: string]: unknown;
}
/** A presence the client received (subscription requests included). */
export interface PresenceEvent extends AgentEvent {
  event: "presence";
  from: string;
  /** "available" for an available presence, else the stanza's type. */
  type: string;
  show: string;
  status: string;
  error?: string;
}
/** A roster item as the client now knows it (from a roster push). */
export interface RosterEvent extends AgentEvent {
  event: "roster";
  jid: string;
  subscription: string;
  ask: string | null;
}
/** A XEP-0280 carbon copy, unwrapped by the client. */
export interface CarbonEvent extends AgentEvent {
  event: "carbon";
  direction: "received" | "sent";
  from: string;
  to: string;
  body: string;
}
/** The answer to one `cmd`: ok, or the error condition the server (or the agent) gave. */
export interface ResultEvent extends AgentEvent {
  event: "result";
  tag: string;
  cmd: string;
  ok: boolean;
  condition?: string;
  text?: string;
}
export interface MamMessage {
  id: string;
  from: string;
  to: string;
  body: string;
}
export interface MamPage extends ResultEvent {
  messages: MamMessage[];
  complete: boolean;
  first: string | null;
  last: string | null;
  count: number | string | null;
}
export interface OnlineEvent extends AgentEvent {
  event: "online";
  jid: string;
  mechanism: string;
  tls: string | null;
  alpn: string | null;
}
export interface MessageEvent extends AgentEvent {
  event: "message";
  from: string;
  to: string;
  type: string;
  /** The stanza id (slixmpp reports it). */
  id?: string;
  body: string;
  delay: { stamp?: string; from?: string } | null;
  /** The error condition of a bounce (type "error"), from the agents that report it. */
  error?: string | null;
  xml: string;
}

export interface AgentOptions {
  /** Local part; the domain is the server's. */
  user: string;
  password: string;
  /** `websocket` (xmpp.js only): RFC 7395 at wss://localhost:<tls-port>/xmpp-websocket. */
  tls: "starttls" | "direct" | "websocket";
  /** slixmpp only: how SCRAM-*-PLUS binds to TLS (see slixmpp-agent.py). */
  channelBinding?: "stock" | "tls-server-end-point" | "none";
  /** slixmpp only: the SASL mechanisms it may choose from. */
  mechs?: string[];
  timeoutSeconds?: number;
  /** Connect here instead of the server's port (a TCP proxy in front of it). */
  port?: number;
  /** slixmpp only: XEP-0198 stream management, reconnecting and resuming after a lost connection. */
  sm?: boolean;
  /** slixmpp only: request the roster at session start, as IM clients do (default true). */
  roster?: boolean;
  /** slixmpp only: no initial presence when the session starts. */
  noPresence?: boolean;
  /** slixmpp only: answer XEP-0092 version queries with this software name. */
  answerVersion?: string;
  /** slixmpp only: an `iq-error` event for every IQ error received (the bind refusal too). */
  reportIqErrors?: boolean;
  /** slixmpp only: a `bodiless` event for each message without a body (chat states). */
  allMessages?: boolean;
}

const XMPPJS_AGENT = fileURLToPath(new URL("./xmppjs-agent.js", import.meta.url));

/** One running client; events are read in order through `next`. */
export class Agent {
  /** Per event kind: where the next `next` of that kind starts reading. */
  private readonly cursors = new Map<string, number>();
  private tags = 0;
  constructor(
    readonly kind: AgentKind,
    readonly proc: Proc,
  ) {}

  /** Every event so far. */
  events(): AgentEvent[] {
    return this.proc.outputLines
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as AgentEvent);
  }

  /** The next event of this kind (after the previous `next` of the same kind) that `match` accepts. */
  async next<E extends AgentEvent = AgentEvent>(
    kind: AgentEvent["event"],
    match: (e: E) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<E> {
    const parse = (line: string) => {
      if (!line.startsWith("{")) return undefined;
      const e = JSON.parse(line) as E;
      return e.event === kind && match(e) ? e : undefined;
    };
    const { line, index } = await this.proc.waitForLine(
      (l) => parse(l) !== undefined,
      timeoutMs,
      this.cursors.get(kind) ?? 0,
    );
    this.cursors.set(kind, index + 1);
    return parse(line)!;
  }

  /** Waits until the client is online; fails with the client's output when it is not. */
  online(timeoutMs = 20_000): Promise<OnlineEvent> {
    return this.next<OnlineEvent>("online", () => true, timeoutMs);
  }

  message(
    match: (m: MessageEvent) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<MessageEvent> {
    return this.next<MessageEvent>("message", match, timeoutMs);
  }

  send(to: string, body: string, id?: string): void {
    this.proc.writeLine(JSON.stringify({ send: { to, body, id } }));
  }

  /**
   * Runs an instant-messaging command in the client (see slixmpp-agent.py) and waits for its
   * result; throws with the client's output when it fails, unless `allowError`.
   */
  async cmd<R extends ResultEvent = ResultEvent>(
    name: string,
    args: Record<string, unknown> = {},
    opts: { allowError?: boolean; timeoutMs?: number } = {},
  ): Promise<R> {
    const tag = `t${++this.tags}`;
    this.proc.writeLine(JSON.stringify({ cmd: name, tag, ...args }));
    const found = await this.proc.waitForLine(
      (l) => l.startsWith("{") && (JSON.parse(l) as ResultEvent).tag === tag,
      opts.timeoutMs ?? 20_000,
    );
    const result = JSON.parse(found.line) as R;
    if (!result.ok && !opts.allowError) {
      throw new Error(
        `${this.kind} ${name} failed: ${result.condition} ${result.text ?? ""}\n${this.describe()}`,
      );
    }
    return result;
  }

  /** The next presence (after the previous `next`) that `match` accepts. */
  presence(match: (p: PresenceEvent) => boolean, timeoutMs = 20_000): Promise<PresenceEvent> {
    return this.next<PresenceEvent>("presence", match, timeoutMs);
  }

  /** Asks the client to close its stream, then makes sure the process is gone. */
  async stop(): Promise<void> {
    if (!this.proc.exited) {
      this.proc.child.stdin!.end(JSON.stringify({ quit: true }) + "\n");
      const timer = setTimeout(() => this.proc.child.kill("SIGKILL"), 5000);
      await this.proc.done.catch(() => undefined);
      clearTimeout(timer);
    }
  }

  describe(): string {
    return `${this.kind} agent\n${this.proc.describe()}`;
  }
}

/** Starts a client of `kind` for user@server's domain, trusting the server's test CA. */
export function startAgent(kind: AgentKind, hato: Hato, o: AgentOptions): Agent {
  const port = String(o.port ?? (o.tls === "starttls" ? hato.c2sPort : hato.tlsPort));
  const jid = `${o.user}@${hato.domain}`;
  const timeout = String(o.timeoutSeconds ?? 60);
  if (kind === "slixmpp" || kind === "aioxmpp") {
    const args = [
      "--jid",
      jid,
      "--password",
      o.password,
      "--port",
      port,
      "--tls",
      o.tls,
      "--ca",
      hato.caFile,
      "--timeout",
      timeout,
    ];
    if (o.channelBinding) args.push("--channel-binding", o.channelBinding);
    if (o.mechs) args.push("--mechs", o.mechs.join(","));
    if (o.sm) args.push("--sm");
    if (o.roster ?? true) args.push("--roster");
    if (o.noPresence) args.push("--no-presence");
    if (o.answerVersion) args.push("--answer-version", o.answerVersion);
    if (o.reportIqErrors) args.push("--report-iq-errors");
    if (o.allMessages) args.push("--all-messages");
    if (process.env.HATO_TEST_LOG === "1") args.push("--debug");
    return new Agent(
      kind,
      spawnPython(`${kind}-agent.py`, args, {}, (o.timeoutSeconds ?? 60) * 1000 + 5000),
    );
  }
  const args = [
    XMPPJS_AGENT,
    "--jid",
    jid,
    "--password",
    o.password,
    "--port",
    port,
    "--tls",
    o.tls,
    "--timeout",
    timeout,
  ];
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: hato.caFile };
  return new Agent(
    kind,
    new Proc(process.execPath, args, { env, timeoutMs: (o.timeoutSeconds ?? 60) * 1000 + 5000 }),
  );
}

/** Agents started through it are all stopped by `stopAll()` (for an `after` hook). */
export function agentPool() {
  const started: Agent[] = [];
  return {
    start(...args: Parameters<typeof startAgent>): Agent {
      const a = startAgent(...args);
      started.push(a);
      return a;
    },
    stopAll: () => Promise.all(started.map((a) => a.stop())),
  };
}
