// The client's side of Hato's scanner hand-off (urn:hato:scan:0, docs/scanning-encrypted.md):
// a bearer token over XMPP (which also says whether our organisation requires scanning), the
// key handed to POST /scan/encrypted, verdicts from GET /scan/verdict.

import { type Element, xml } from "@hato/xml";
import { IqError } from "../iq.js";
import { sha256Hex } from "./cipher.js";
import type { HttpFunction, HttpResponse } from "./http.js";
import { jsonOf } from "./http.js";
import { httpsOrigin, toHex } from "./link.js";

export const NS_SCAN = "urn:hato:scan:0";

/** A verdict on a file decrypted with one key, as the server recorded it. */
export interface ScanVerdict {
  status: "clean" | "infected" | "refused" | "not-scanned";
  reason?: string;
}

/** What the server said about the hand-off itself (an HTTP error), with its code. */
export class HandoffError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = "HandoffError";
  }
}

type Request = (type: "get" | "set", to: string | undefined, payload: Element) => Promise<Element>;

interface Token {
  value: string;
  /** When we stop using it (a little before the server's expiry). */
  until: number;
  required: boolean;
  /** Our server's https origin, where /scan/* and its uploads are. */
  origin: string;
}

/** Tokens are renewed this long before they expire. */
const MARGIN_MS = 30_000;
const MAX_KEEP_MS = 60_000;
const VERDICTS = new Set(["clean", "infected", "refused", "not-scanned"]);

/** One account's hand-off: its token, and the requests that need it. */
export class ScanHandoff {
  private token: Promise<Token | undefined> | undefined;

  constructor(
    private readonly request: Request,
    private readonly domain: () => string,
    /** Our server's https origin when its token answer does not say (the WebSocket's). */
    private readonly fallbackOrigin: string,
  ) {}

  /** Forgets the token (a new session, or the server refused it). */
  reset(): void {
    this.token = undefined;
  }

  /** Whether our organisation requires scanning; false when the server has no hand-off. */
  async required(): Promise<boolean> {
    return (await this.current())?.required ?? false;
  }

  /**
   * Our server's https origin (where its uploads and /scan/* are) when it offers the hand-off,
   * else undefined. Our token is only ever sent there.
   */
  async origin(): Promise<string | undefined> {
    return (await this.current())?.origin;
  }

  private current(): Promise<Token | undefined> {
    const t = this.token;
    if (t !== undefined)
      return t.then((v) => (v === undefined || v.until > Date.now() ? v : this.fresh()));
    return this.fresh();
  }

  private fresh(): Promise<Token | undefined> {
    this.token = this.ask().catch((err) => {
      this.token = undefined;
      throw err;
    });
    return this.token;
  }

  private async ask(): Promise<Token | undefined> {
    let res: Element;
    try {
      res = await this.request("get", this.domain(), xml("token", { xmlns: NS_SCAN }));
    } catch (err) {
      // A server without the hand-off (or without uploads) has nobody to ask.
      if (
        err instanceof IqError &&
        (err.condition === "service-unavailable" || err.condition === "feature-not-implemented")
      )
        return undefined;
      throw err;
    }
    const el = res.getChild("token", NS_SCAN);
    const value = el?.text().trim() ?? "";
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(value))
      throw new Error("the server's scan token is not one");
    const expires = Date.parse(el?.attr("expires") ?? "");
    // Kept a minute at most: the answer also carries the policy, which an admin may change.
    const until = Math.min(
      Date.now() + MAX_KEEP_MS,
      Number.isNaN(expires) ? 0 : expires - MARGIN_MS,
    );
    const origin = httpsOrigin(el?.attr("origin") ?? "") || this.fallbackOrigin;
    return { value, until, required: el?.attr("required") === "true", origin };
  }

  /** A request with our token; asks for a new token once when the server forgot it (restart). */
  private async authorised(
    http: HttpFunction,
    make: (token: string, origin: string) => Parameters<HttpFunction>[0],
  ): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const t = await this.current();
      if (t === undefined)
        throw new HandoffError(404, "no-handoff", "this server does not scan encrypted files");
      const res = await http(make(t.value, t.origin));
      if (res.status !== 401 || attempt > 0) return res;
      this.reset();
    }
  }

  /**
   * Hands the file's key to our server's scanner: it decrypts the upload at `url` in memory,
   * scans it and records the verdict. Rejects with HandoffError when the server gave none.
   */
  async handOff(
    http: HttpFunction,
    url: string,
    iv: Uint8Array,
    key: Uint8Array,
  ): Promise<ScanVerdict> {
    const body = JSON.stringify({ url, key: toHex(key), iv: toHex(iv) });
    const res = await this.authorised(http, (token, origin) => ({
      method: "POST",
      url: `${origin}/scan/encrypted`,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body,
      maxBytes: 4096,
    }));
    return verdictOf(res);
  }

  /** The verdict recorded for these ciphertext bytes (their SHA-256) decrypted with this key. */
  async verdict(
    http: HttpFunction,
    sha256: string,
    iv: Uint8Array,
    key: Uint8Array,
  ): Promise<ScanVerdict> {
    const keyhash = await sha256Hex(key, iv);
    const res = await this.authorised(http, (token, origin) => ({
      method: "GET",
      url: `${origin}/scan/verdict?sha256=${sha256}&keyhash=${keyhash}`,
      headers: { Authorization: `Bearer ${token}` },
      maxBytes: 4096,
    }));
    return verdictOf(res);
  }
}

/** The verdict of a 200 answer; any other answer rejects with its error code and reason. */
function verdictOf(res: HttpResponse): ScanVerdict {
  const j = jsonOf(res);
  const reason = typeof j.reason === "string" ? j.reason.slice(0, 500) : undefined;
  if (res.status !== 200 || typeof j.status !== "string" || !VERDICTS.has(j.status))
    throw new HandoffError(
      res.status,
      typeof j.error === "string" ? j.error.slice(0, 64) : "failed",
      reason ?? `the scanner answered HTTP ${res.status}`,
    );
  return { status: j.status as ScanVerdict["status"], ...(reason ? { reason } : {}) };
}
