// Retention: old messages (archive and offline storage) and uploaded files deleted per user
// as the organisation's policy says (archive.retention-days, files.retention-days), then the
// storage compacted so the deleted text is gone from the database files too.

import { deleteUpload, type HatoModule, type ModuleApi, uploadFolders } from "@hato/core";
import type { FileState } from "@hato/storage";

const DAY = 86_400_000;
const PAGE = 500;
/** Files with a verdict; slots still in flight expire by the upload module's own sweep. */
const FINAL: ReadonlySet<FileState> = new Set(["clean", "not-scanned", "infected"]);

export interface RetentionOptions {
  /** The clock (ms since the epoch); tests move it forward instead of waiting days. */
  now?: () => number;
}

export type UserCounts = { archive: number; offline: number; files: number };

/** One run over every account; returns what was deleted, per user that lost something. */
export async function runRetention(
  api: ModuleApi,
  now: number,
): Promise<Record<string, UserCounts>> {
  const { storage } = api;
  const folders = uploadFolders(api.config.data);
  const serverDays = api.config.mam.retentionDays;
  const out: Record<string, UserCounts> = {};
  let after: string | undefined;
  for (;;) {
    const users = await storage.accounts.list({ after, limit: PAGE });
    for (const u of users) {
      const rules = api.policy.current.forUser(u).rules;
      // The organisation's rule wins; the server's own setting covers users it says nothing for.
      const days = rules.archiveRetentionDays ?? (serverDays > 0 ? serverDays : undefined);
      const counts: UserCounts = { archive: 0, offline: 0, files: 0 };
      if (days !== undefined) {
        const cutoff = new Date(now - days * DAY);
        counts.archive = await storage.archive.purge(u, cutoff);
        counts.offline = await storage.offline.purge(u, cutoff);
      }
      const fileDays = rules.files.retentionDays;
      if (fileDays !== undefined) {
        const cutoff = now - fileDays * DAY;
        for (const f of await storage.files.list(u)) {
          if (f.created.getTime() >= cutoff) break; // oldest first
          if (!FINAL.has(f.state)) continue;
          await deleteUpload(storage, folders, f);
          counts.files++;
        }
      }
      if (counts.archive + counts.offline + counts.files > 0) out[u] = counts;
    }
    if (users.length < PAGE) return out;
    after = users.at(-1);
  }
}

/** The retention module; `opts.now` replaces the clock (tests). */
export function createRetention(opts: RetentionOptions = {}): HatoModule {
  const clock = opts.now ?? Date.now;
  return {
    name: "retention",
    load(api) {
      let running: Promise<void> | undefined;
      let again = false;
      let retry: NodeJS.Timeout | undefined;
      // A reader (the CLI's audit export, a backup) can keep the log from being truncated:
      // try again each minute until it works, so deleted rows do not linger in the -wal file.
      const compact = async (): Promise<void> => {
        clearTimeout(retry);
        if (await api.storage.compact()) return;
        api.log.warn(
          "retention: the write-ahead log could not be emptied yet (a reader); retrying",
        );
        retry = setTimeout(() => void compact().catch(() => {}), 60_000);
        retry.unref();
      };
      const once = async () => {
        const users = await runRetention(api, clock());
        const names = Object.keys(users);
        if (names.length === 0) return;
        const sum = (k: keyof UserCounts) => names.reduce((n, u) => n + users[u]![k], 0);
        const totals = { archive: sum("archive"), offline: sum("offline"), files: sum("files") };
        // The WAL still holds the deleted rows until it is checkpointed and truncated.
        await compact();
        api.log.info("retention deleted old messages and files", {
          ...totals,
          users: names.length,
        });
        await api.fire("retention-purged", { ...totals, users });
      };
      // One run at a time; a request during a run (policy change) runs once more after it.
      const run = (): Promise<void> => {
        if (running) {
          again = true;
          return running;
        }
        running = once()
          .catch((err) => api.log.error("retention run failed", { err }))
          .finally(() => {
            running = undefined;
            if (again) {
              again = false;
              void run();
            }
          });
        return running;
      };
      api.hook("server-started", () => void run());
      api.hook("policy-reloaded", ({ ok }) => {
        if (ok) void run();
      });
      const timer = setInterval(() => void run(), api.config.retention.intervalMinutes * 60_000);
      timer.unref();
      api.onUnload(async () => {
        clearInterval(timer);
        clearTimeout(retry);
        await running;
      });
    },
  };
}

/** Retention with the real clock. */
export const retention: HatoModule = createRetention();
