// Blocklists: stored per account in the key-value store, cached in memory so that the
// per-stanza check stays synchronous once an account's list has been read.
import type { Jid } from "@hato/jid";
import type { KeyValueStore } from "@hato/storage";

const STORE = "blocking";
const KEY = "list";
/** Accounts whose lists stay in memory; the oldest is forgotten (and re-read when needed). */
const CACHED_ACCOUNTS = 10_000;

/** Whether a blocklist covers a JID (XEP-0191 JID matching, in XEP-0016 §2.1's order). */
export function blocks(list: ReadonlySet<string>, jid: Jid): boolean {
  if (list.size === 0) return false;
  const text = jid.toString();
  if (list.has(text)) return true;
  if (jid.local !== "" && jid.resource !== "" && list.has(jid.bare.toString())) return true;
  return text !== jid.domain && list.has(jid.domain);
}

/** Every account's blocklist, read on first use; changes are written one at a time per account. */
export class Blocklists {
  private readonly cache = new Map<string, ReadonlySet<string>>();
  private readonly loading = new Map<string, Promise<ReadonlySet<string>>>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly onCorrupt: (username: string, err: unknown) => void,
  ) {}

  /** The list when it is in memory; undefined means load() first. */
  cached(username: string): ReadonlySet<string> | undefined {
    return this.cache.get(username);
  }

  load(username: string): Promise<ReadonlySet<string>> {
    const hit = this.cache.get(username);
    if (hit) return Promise.resolve(hit);
    let pending = this.loading.get(username);
    if (pending === undefined) {
      pending = this.kv
        .get(STORE, username, KEY)
        .then(
          (text) => this.cache.get(username) ?? this.remember(username, this.parse(username, text)),
        )
        .finally(() => this.loading.delete(username));
      this.loading.set(username, pending);
    }
    return pending;
  }

  /**
   * Runs `fn` with the current list, after every earlier change of this account; `fn` returns
   * the new list (or undefined for no change), which is stored and then takes effect.
   */
  change<T>(
    username: string,
    fn: (current: ReadonlySet<string>) => Promise<{ next?: ReadonlySet<string>; out: T }>,
  ): Promise<T> {
    const run = async (): Promise<T> => {
      const { next, out } = await fn(await this.load(username));
      if (next !== undefined) {
        const value = next.size === 0 ? undefined : JSON.stringify([...next]);
        await this.kv.set(STORE, username, KEY, value);
        this.remember(username, next);
      }
      return out;
    };
    const prev = this.queues.get(username) ?? Promise.resolve();
    const result = prev.then(run, run);
    const tail = result.catch(() => {});
    this.queues.set(username, tail);
    void tail.then(() => {
      if (this.queues.get(username) === tail) this.queues.delete(username);
    });
    return result;
  }

  forget(username: string): void {
    this.cache.delete(username);
  }

  private remember(username: string, list: ReadonlySet<string>): ReadonlySet<string> {
    this.cache.delete(username);
    this.cache.set(username, list);
    if (this.cache.size > CACHED_ACCOUNTS) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    return list;
  }

  private parse(username: string, text: string | undefined): ReadonlySet<string> {
    if (text === undefined) return new Set();
    try {
      const items = JSON.parse(text) as unknown;
      if (Array.isArray(items) && items.every((i) => typeof i === "string")) return new Set(items);
      throw new Error("not a list of JIDs");
    } catch (err) {
      this.onCorrupt(username, err);
      return new Set();
    }
  }
}
