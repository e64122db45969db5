// Scanner hand-off for end-to-end encrypted files (XEP-0454 `aesgcm://` uploads): a Hato extension, urn:hato:scan:0.

import { join } from "node:path";
import { type HatoModule, Priority, StanzaError } from "@hato/core";
import { xml } from "@hato/xml";
import { createScanner } from "../scan/index.js";
import type { Scanner } from "../scan/types.js";
import { UploadService } from "../upload/service.js";
import {
  type HandoffContext,
  handleHandoff,
  handleVerdict,
  MAX_REQUEST_BYTES,
  prepareScratch,
} from "./http.js";
import { RateLimiter, TokenStore } from "./tokens.js";
import { VerdictStore } from "./verdicts.js";

export const NS_SCAN = "urn:hato:scan:0";

export interface ScanHandoffOptions {
  /** A scanner to use instead of the configured one (tests). */
  scanner?: Scanner;
}

/**
 * A client that encrypted a file hands its key to the server over TLS; the server decrypts
 * the stored upload in memory, scans the plaintext and records the verdict under the
 * ciphertext's hash and the key's, which receiving clients look up before they download.
 * The HTTP routes take a bearer token the client asks for over its XMPP session, so the
 * web client needs no other credentials. See docs/scanning-encrypted.md.
 */
export function createScanHandoff(opts: ScanHandoffOptions = {}): HatoModule {
  return {
    name: "scan-handoff",
    async load(api) {
      if (!api.config.upload.enabled) return;
      const scanner = opts.scanner ?? createScanner(api.config, api.log);
      if (opts.scanner === undefined) api.onUnload(() => scanner.close());
      const { files, upload } = api.config;
      const scratch = join(api.config.data, "scan-handoff");
      await prepareScratch(scratch);
      const tokens = new TokenStore(files.handoffTokenSeconds * 1000);
      const ctx: HandoffContext = {
        svc: new UploadService(api, scanner),
        tokens,
        rate: new RateLimiter(files.handoffPerMinute),
        verdicts: new VerdictStore(api.storage.kv),
        maxBytes: Math.min(files.handoffMaxBytes, upload.maxFileBytes),
        scratch,
      };

      api.addFeature(NS_SCAN);
      api.handleIq("get", "host", NS_SCAN, "token", (ev) => {
        if (ev.origin === undefined || ev.from.local === "" || ev.from.domain !== api.domain)
          throw new StanzaError("forbidden", "scan tokens are for this server's own users");
        const { token, expires } = tokens.issue(ev.from.local);
        // The client learns here whether its organisation requires scanning (files.scanning-
        // required): then it hands keys off before sending and refuses unscanned downloads.
        const required = api.policy.current.forUser(ev.from.local).rules.files.scanningRequired;
        return xml(
          "token",
          {
            xmlns: NS_SCAN,
            expires: expires.toISOString(),
            required: required ? "true" : "false",
            // Where /scan/* answers: the upload URLs' origin, which a client compares with a
            // file's URL to know whether this server's scanner can vouch for it.
            origin: ctx.svc.origin(),
          },
          token,
        );
      });
      api.hook("user-deleted", ({ username }) => void tokens.forget(username), Priority.OBSERVE);
      api.handleHttp("/scan/encrypted", (req, res) => handleHandoff(ctx, req, res), {
        methods: ["POST"],
        maxBodyBytes: MAX_REQUEST_BYTES,
      });
      api.handleHttp("/scan/verdict", (req, res) => handleVerdict(ctx, req, res));
    },
  };
}

/** The hand-off with the configured scanner. */
export const scanHandoff: HatoModule = createScanHandoff();
