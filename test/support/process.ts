// Child processes for tests: line-by-line output, waits with timeouts, and cleanup at exit.

import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed (SIGKILL) after this long; the result then says so in `stderr`. */
  timeoutMs?: number;
  /** Written to standard input, which is then closed; leave undefined to keep it open. */
  input?: string;
}

// Everything a test process started, so that nothing outlives it even when a test forgets.
const live = new Set<ChildProcess>();
const folders = new Set<string>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => process.exit(128 + (signal === "SIGINT" ? 2 : 15)));
  }
}

/** Removes `dir` when this process exits, unless `forgetFolder` was called. */
export function removeAtExit(dir: string): void {
  hookExit();
  folders.add(dir);
}
export function forgetFolder(dir: string): void {
  folders.delete(dir);
}

/** A running child: its output so far, line waits, and its end. */
export class Proc {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly done: Promise<RunResult>;
  private readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(command: string, args: string[], opts: SpawnOptions = {}) {
    hookExit();
    this.child = spawn(command, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    live.add(this.child);
    let partial = "";
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      this.lines.push(...parts);
      for (const wake of this.waiters) wake();
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.child.stdin!.on("error", () => {}); // the child may exit before reading
    if (opts.input !== undefined) this.child.stdin!.end(opts.input);
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        this.stderr += `\n[test] killed after ${opts.timeoutMs} ms\n`;
        this.child.kill("SIGKILL");
      }, opts.timeoutMs);
    }
    this.done = new Promise((resolve, reject) => {
      this.child.once("error", (err) => {
        clearTimeout(timer);
        live.delete(this.child);
        reject(err);
      });
      this.child.once("close", (code, signal) => {
        clearTimeout(timer);
        live.delete(this.child);
        if (partial !== "") this.lines.push(partial);
        for (const wake of this.waiters) wake();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
    this.done.catch(() => {});
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Complete stdout lines so far. */
  get outputLines(): readonly string[] {
    return this.lines;
  }

  /** Waits for a stdout line (from index `from` on) that `match` accepts; returns it and its index. */
  async waitForLine(
    match: RegExp | ((line: string) => boolean),
    timeoutMs: number,
    from = 0,
  ): Promise<{ line: string; index: number }> {
    const test = typeof match === "function" ? match : (l: string) => match.test(l);
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.lines.length; i++) {
          if (test(this.lines[i]!)) {
            finish();
            resolve({ line: this.lines[i]!, index: i });
            return;
          }
        }
        if (this.exited && this.child.stdout!.readableEnded) {
          finish();
          reject(
            new Error(
              `process exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${match}\n${this.describe()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no line matching ${match} within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Writes one line to the child's standard input. */
  writeLine(line: string): void {
    this.child.stdin!.write(line + "\n");
  }

  /** Sends `signal` and waits for the end, then SIGKILL if it takes longer than `graceMs`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 5000): Promise<RunResult> {
    if (!this.exited) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
      try {
        return await this.done;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.done;
  }

  /** Output for failure messages: the last lines of stdout and stderr. */
  describe(): string {
    const tail = (s: string) => s.split("\n").slice(-40).join("\n");
    return `--- stdout ---\n${tail(this.stdout)}\n--- stderr ---\n${tail(this.stderr)}`;
  }
}

/** Runs a command to its end (killed after `timeoutMs`, 60 s unless told). */
export function run(command: string, args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
  return new Proc(command, args, { timeoutMs: 60_000, input: "", ...opts }).done;
}
