// Logging: one line per event on standard error, with a level and the module that logged it.
//
// Log lines never carry secrets: callers pass addresses and reasons, never passwords,
// SASL payloads or stanza bodies.

export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

type Sink = (line: string) => void;

/** A logger writing `time level [name] message key=value` lines at or above `level`. */
export function createLogger(
  level: LogLevel,
  name = "hato",
  sink: Sink = (l) => process.stderr.write(l),
): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    let line = `${new Date().toISOString()} ${lvl} [${name}] ${msg}`;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        const s =
          v instanceof Error
            ? (v.stack ?? v.message)
            : typeof v === "string"
              ? v
              : JSON.stringify(v);
        line += ` ${k}=${s}`;
      }
    }
    sink(line + "\n");
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (n) => createLogger(level, `${name}:${n}`, sink),
  };
}
