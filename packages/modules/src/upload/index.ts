// XEP-0363: HTTP File Upload (v1.1) on the one TLS port, every file scanned before release.

import { type HatoModule, Priority } from "@hato/core";
import { xml } from "@hato/xml";
import { createScanner } from "../scan/index.js";
import type { Scanner } from "../scan/types.js";
import { handleGet } from "./get.js";
import { handlePut } from "./put.js";
import { NS_UPLOAD, UPLOAD_PREFIX, UploadService } from "./service.js";
import { slotHandler } from "./slot.js";
import { deleteUserFiles, sweepExpired } from "./sweep.js";

export interface UploadOptions {
  /** A scanner to use instead of the configured one (tests). */
  scanner?: Scanner;
}

/** The upload module; `opts.scanner` replaces the configured scanner. */
export function createUpload(opts: UploadOptions = {}): HatoModule {
  return {
    name: "upload",
    async load(api) {
      if (!api.config.upload.enabled) return;
      const scanner = opts.scanner ?? createScanner(api.config, api.log);
      if (opts.scanner === undefined) api.onUnload(() => scanner.close());
      const svc = new UploadService(api, scanner);

      api.addFeature(NS_UPLOAD);
      api.addIdentity({ category: "store", type: "file", name: "HTTP File Upload" });
      api.addInfoForm(
        xml(
          "x",
          { xmlns: "jabber:x:data", type: "result" },
          xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS_UPLOAD)),
          xml(
            "field",
            { var: "max-file-size" },
            xml("value", {}, String(svc.settings.maxFileBytes)),
          ),
        ),
      );

      // Expiry runs often enough that an unused slot's quota returns soon after it expires,
      // and before each slot request at most once a second.
      let lastSweep = 0;
      let sweeping: Promise<unknown> = Promise.resolve();
      const sweep = async (force = false) => {
        if (!force && Date.now() - lastSweep < 1000) return sweeping.then(() => {});
        lastSweep = Date.now();
        sweeping = sweeping
          .then(() => sweepExpired(svc))
          .catch((err) => api.log.error("upload expiry failed", { err }));
        await sweeping;
      };
      await sweep(true);
      const timer = setInterval(
        () => void sweep(true),
        Math.min(60, svc.settings.slotSeconds) * 1000,
      );
      timer.unref();
      api.onUnload(() => clearInterval(timer));

      api.handleIq(
        "get",
        "host",
        NS_UPLOAD,
        "request",
        slotHandler(svc, () => sweep()),
      );
      api.hook(
        "user-deleted",
        async ({ username }) => {
          await deleteUserFiles(svc, username);
        },
        Priority.OBSERVE,
      );
      api.handleHttp(
        UPLOAD_PREFIX,
        (req, res, path) =>
          req.method === "PUT" ? handlePut(svc, req, res, path) : handleGet(svc, req, res, path),
        { methods: ["GET", "HEAD", "PUT"], maxBodyBytes: svc.settings.maxFileBytes },
      );
    },
  };
}

/** The upload module with the configured scanner. */
export const upload: HatoModule = createUpload();
