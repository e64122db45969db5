// What a file scanner says about a file, and the one interface every engine implements
// (the built-in engine and ClamAV's clamd). Uploads are released only on a "clean" verdict.

/** A file to scan: already complete on disk, never served before the verdict. */
export interface ScanInput {
  /** Where the bytes are (a private folder of the server). */
  path: string;
  /** The name the uploader gave (untrusted: for rules such as double extensions only). */
  name: string;
  /** The declared media type (untrusted). */
  type: string;
  /** The size in bytes. */
  size: number;
}

export type Verdict =
  /** Scanned in full and nothing found. */
  | { status: "clean"; engine: string }
  /** Something was found: `reason` says what in words a user understands, `signature` names it. */
  | { status: "infected"; engine: string; signature: string; reason: string }
  /**
   * Could not be scanned in full (encrypted or over-limit archive, zip bomb, a scanner limit
   * hit): refused, since nothing counts as clean that was not really scanned.
   */
  | { status: "refused"; engine: string; reason: string };

/** A scanner that cannot give a verdict now (down, timed out) throws this. */
export class ScannerUnavailable extends Error {
  override readonly name = "ScannerUnavailable";
}

export interface Scanner {
  /** The engine's name for logs and verdicts, e.g. "builtin" or "clamd". */
  readonly engine: string;
  scan(file: ScanInput): Promise<Verdict>;
  /**
   * Throws ScannerUnavailable when a scan now could give no verdict (clamd down or not
   * trusted). Absent: the engine runs in-process and always can (the built-in engine).
   */
  ready?(): Promise<void>;
  /** Releases sockets and timers. */
  close(): Promise<void>;
}
