// The state of one built-in scan: its limits, its deny-list, its deadline, and how much of the
// archive budget it has used; and the shape of what a walk finds.

import type { Finding } from "./names.js";
import { ScannerUnavailable } from "./types.js";

export interface ArchiveLimits {
  /** Members in all archives of one file together. */
  maxEntries: number;
  /** Archives inside archives: 1 opens the file's own archive only. */
  maxDepth: number;
  /** Expanded size over compressed size of one member (checked above RATIO_FLOOR bytes). */
  maxRatio: number;
  /** Bytes expanded from all archives of one file together. */
  maxExpandedBytes: number;
}

/** Members smaller than this cannot be a bomb, whatever their ratio (a page of zeros is 1000:1). */
export const RATIO_FLOOR = 1024 * 1024;
/** An archive inside an archive is held in memory to be opened: at most this many bytes. */
export const NESTED_ARCHIVE_MAX_BYTES = 64 * 1024 * 1024;

/** What a walk found: nothing (`null`), a finding, or a reason the file cannot be scanned. */
export type Outcome =
  | null
  | ({ status: "infected" } & Finding)
  | { status: "refused"; reason: string };

export const refused = (reason: string): Outcome => ({ status: "refused", reason });

/** One scan's state: limits, deny-list, and what the archives have used of the budget. */
export class Walk {
  entries = 0;
  expanded = 0;

  constructor(
    readonly limits: ArchiveLimits,
    readonly deny: ReadonlySet<string>,
    readonly deadline: number,
    readonly timeoutSeconds: number,
  ) {}

  /** Throws when the scan has run out of time: no verdict is better than a guessed one. */
  tick(): void {
    if (Date.now() > this.deadline) {
      throw new ScannerUnavailable(`the scan took longer than ${this.timeoutSeconds} seconds`);
    }
  }

  /** Counts expanded bytes; a refusal once the budget is spent. */
  expand(n: number): Outcome {
    this.expanded += n;
    if (this.expanded > this.limits.maxExpandedBytes) {
      return refused(
        `the archive expands to more than ${mib(this.limits.maxExpandedBytes)}, so it cannot be scanned (a zip bomb?)`,
      );
    }
    return null;
  }

  /** Counts archive members; a refusal beyond the limit. */
  count(n: number): Outcome {
    this.entries += n;
    if (this.entries > this.limits.maxEntries) {
      return refused(
        `the archive holds more than ${this.limits.maxEntries} files, so it cannot be scanned`,
      );
    }
    return null;
  }
}

export const mib = (n: number) =>
  n >= 1024 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MiB` : `${n} bytes`;

export const ratioRefusal = (what: string, walk: Walk): Outcome =>
  refused(
    `${what} expands more than ${walk.limits.maxRatio} times, so it cannot be scanned (a zip bomb?)`,
  );

/** A member path that would land outside the folder it is extracted to ("zip slip"). */
export const escapesFolder = (name: string) =>
  /^[a-zA-Z]:|^[/\\]/.test(name) || name.split(/[/\\]/).includes("..");

export const escapeRefusal = (what: string): Outcome =>
  refused(
    `${what} holds a file whose path leads out of its folder, so it is refused (unpacking it could overwrite other files)`,
  );
