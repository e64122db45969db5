// Profanity (Debian's terminal XMPP client) driven in a private tmux server: commands go in
// with `send-keys`, the screen comes out with `capture-pane`, and waits poll until a deadline.

import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Hato } from "./hato.js";
import { forgetFolder, removeAtExit, run } from "./process.js";

const SESSION = "prof";
// tmux servers still running (their socket paths), killed when the test process exits.
const liveSockets = new Set<string>();

/** Kills the tmux server on `socket` and removes the socket's folder. */
function killTmux(socket: string): void {
  spawnSync("tmux", ["-S", socket, "kill-server"]);
  rmSync(dirname(socket), { recursive: true, force: true });
  liveSockets.delete(socket);
}
let exitHooked = false;

export interface ProfanityOptions {
  /** Local part; the domain is the server's. */
  user: string;
  password: string;
  resource?: string;
  /** Connect here instead of the server's STARTTLS port (a TCP proxy in front of it). */
  port?: number;
}

/** One Profanity process in its own tmux server, home and XDG folders. */
export class Profanity {
  private constructor(
    readonly jid: string,
    private readonly dir: string,
    private readonly socket: string,
  ) {}

  /**
   * Starts Profanity logged in as user@domain over STARTTLS. The server's test CA is its only
   * trusted certificate (`tls.certpath`, an OpenSSL hashed folder), so a login proves that the
   * server's certificate verifies; nothing is accepted with `/tls allow`.
   */
  static async start(hato: Hato, o: ProfanityOptions): Promise<Profanity> {
    const dir = await mkdtemp(join(tmpdir(), "hato-profanity-"));
    removeAtExit(dir);
    const home = join(dir, "home");
    const config = join(dir, "config");
    const data = join(dir, "data");
    const certs = join(dir, "certs");
    for (const d of [home, join(config, "profanity"), join(data, "profanity"), certs])
      await mkdir(d, { recursive: true });
    await writeFile(join(certs, "ca.pem"), await readFile(hato.caFile));
    const hash = await run("openssl", ["x509", "-hash", "-noout", "-in", hato.caFile]);
    if (hash.code !== 0) throw new Error(`openssl x509 -hash failed: ${hash.stderr}`);
    await symlink("ca.pem", join(certs, `${hash.stdout.trim()}.0`));
    const resource = o.resource ?? "profanity";
    const jid = `${o.user}@${hato.domain}`;
    await writeFile(
      join(config, "profanity", "profrc"),
      [
        "[connection]",
        `tls.certpath=${certs}`,
        "[notifications]",
        "message=false",
        "typing=false",
        "invite=false",
        "sub=false",
        // Presence changes of contacts in the console window, where the test reads them.
        "[presence]",
        "console=all",
        "chat=all",
        "[chatstates]",
        "enabled=false",
        "[logging]",
        "chlog=false",
        "",
      ].join("\n"),
    );
    await writeFile(
      join(data, "profanity", "accounts"),
      [
        `[${o.user}]`,
        "enabled=true",
        `jid=${jid}`,
        "server=127.0.0.1",
        `port=${o.port ?? hato.c2sPort}`,
        `resource=${resource}`,
        `password=${o.password}`,
        "tls.policy=force",
        "",
      ].join("\n"),
    );
    // The socket lives in its own folder, not in `dir`: at exit, `dir` may be removed before
    // the server is killed, and the server must still be reachable then.
    const socket = join(await mkdtemp(join(tmpdir(), "hato-tmux-")), "sock");
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: config,
      XDG_DATA_HOME: data,
      TERM: "xterm-256color",
      LANG: "C.UTF-8",
      PATH: process.env.PATH ?? "/usr/bin:/bin",
    };
    hookExit();
    liveSockets.add(socket);
    const r = await run(
      "tmux",
      [
        "-S",
        socket,
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        SESSION,
        "-x",
        "200",
        "-y",
        "50",
      ].concat(["profanity", "-a", o.user, "-l", "DEBUG"]),
      { env },
    );
    const prof = new Profanity(`${jid}/${resource}`, dir, socket);
    if (r.code !== 0) {
      await prof.stop();
      throw new Error(`tmux new-session failed (${r.code}): ${r.stderr}`);
    }
    return prof;
  }

  private tmux(args: string[]) {
    return run("tmux", ["-S", this.socket, ...args], { timeoutMs: 10_000 });
  }

  /** Types a line (a command or a message) and presses Enter. */
  async type(line: string): Promise<void> {
    const r = await this.tmux(["send-keys", "-t", SESSION, "-l", line]);
    if (r.code !== 0) throw new Error(`tmux send-keys failed: ${r.stderr}`);
    await this.tmux(["send-keys", "-t", SESSION, "Enter"]);
  }

  /**
   * Turns OMEMO on as the interop tests use it: blind trust (new devices trusted, as Hato's
   * clients do before verification), keys generated, and waits until Profanity shows its
   * device id (key generation can take a while on a loaded machine).
   */
  async enableOmemo(): Promise<void> {
    await this.type("/omemo trustmode blind");
    await this.type("/omemo gen");
    await this.waitFor(/Device ID is \d+/, 60_000);
  }

  /** The visible screen as text. */
  async screen(): Promise<string> {
    const r = await this.tmux(["capture-pane", "-p", "-t", SESSION]);
    if (r.code !== 0) return `(no screen: ${r.stderr.trim()})`;
    return r.stdout;
  }

  /**
   * Polls the screen until `match` is on it (a string, a pattern, or a predicate over the
   * screen); fails at the deadline with the screen and Profanity's log in the message.
   */
  async waitFor(
    match: string | RegExp | ((screen: string) => boolean),
    timeoutMs = 20_000,
  ): Promise<string> {
    const test =
      typeof match === "function"
        ? match
        : typeof match === "string"
          ? (s: string) => s.includes(match)
          : (s: string) => match.test(s);
    const deadline = Date.now() + timeoutMs;
    let screen = "";
    for (;;) {
      screen = await this.screen();
      if (test(screen)) return screen;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `Profanity: ${match} not on screen within ${timeoutMs} ms\n--- screen ---\n${screen}\n--- log (tail) ---\n${await this.logTail()}`,
    );
  }

  /** Waits until Profanity says it is logged in. */
  online(): Promise<string> {
    return this.waitFor(`${this.jid} logged in successfully`);
  }

  /** The last lines of Profanity's own log, for failure messages. */
  async logTail(lines = 40): Promise<string> {
    try {
      const folder = join(this.dir, "data", "profanity", "logs");
      const files = await readdir(folder);
      const texts = await Promise.all(files.map((f) => readFile(join(folder, f), "utf8")));
      return texts.join("\n").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** Kills the tmux server (and Profanity in it) and removes the temporary folder. */
  async stop(): Promise<void> {
    if (liveSockets.has(this.socket)) killTmux(this.socket);
    await rm(this.dir, { recursive: true, force: true });
    forgetFolder(this.dir);
  }
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", () => {
    for (const socket of [...liveSockets]) killTmux(socket);
  });
}

/** Whether tmux and Profanity are installed (scripts/provision.sh installs both). */
export function profanityInstalled(): boolean {
  const ok = (cmd: string, args: string[]) => spawnSync(cmd, args).status === 0;
  return ok("tmux", ["-V"]) && ok("profanity", ["--version"]);
}
