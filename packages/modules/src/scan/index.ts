// File scanning for uploads: the engine the configuration names, behind one interface.

import { type Config, HatoError, HatoErrors, type Logger } from "@hato/core";
import { createBuiltinScanner, readDenyList } from "./builtin.js";
import { createClamdScanner, parseClamdAddress } from "./clamd.js";
import type { Scanner } from "./types.js";

export { createBuiltinScanner, parseDenyList, readDenyList } from "./builtin.js";
export {
  type ClamdAddress,
  type ClamdScanner,
  createClamdScanner,
  parseClamdAddress,
  parseClamdReply,
  pingClamd,
  verifyClamd,
} from "./clamd.js";
export { EICAR, EICAR_SHA256 } from "./magic.js";
export * from "./types.js";
export { buildZip, type ZipEntry } from "./zip-write.js";

/** The scanner `scan.engine` names, set up from the `scan.*` settings. */
export function createScanner(config: Pick<Config, "scan">, log: Logger): Scanner {
  const s = config.scan;
  if (s.engine === "clamd") {
    const options = {
      address: configured(() => parseClamdAddress(s.clamdAddress)),
      timeoutSeconds: s.timeoutSeconds,
    };
    if (s.denyList) {
      log.warn(
        "scan.deny-list is used by the built-in engine only; give clamd the digests as a .hsb database",
      );
    }
    const scanner = createClamdScanner(options);
    // Not fatal: uploads fail closed while clamd is down or misconfigured, and work once it
    // is right (each scan checks first).
    scanner.verify().then(
      () => log.info("file scanner", { engine: "clamd", address: s.clamdAddress }),
      (err: Error) =>
        log.warn("clamd cannot be used yet; uploads are refused until it can", {
          address: s.clamdAddress,
          reason: err.message,
        }),
    );
    return scanner;
  }
  const limits = {
    maxEntries: s.archiveMaxEntries,
    maxDepth: s.archiveMaxDepth,
    maxRatio: s.archiveMaxRatio,
    maxExpandedBytes: s.archiveMaxExpandedBytes,
  };
  const denyList = s.denyList ? configured(() => readDenyList(s.denyList)) : [];
  if (s.denyList) log.info("scan deny-list loaded", { hashes: [...denyList].length });
  log.info("file scanner", { engine: s.engine });
  return createBuiltinScanner({ limits, denyList, timeoutSeconds: s.timeoutSeconds });
}

/** Runs a step of reading the configuration; its failure stops the start with a config error. */
function configured<T>(step: () => T): T {
  try {
    return step();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const message = e.code === "ENOENT" ? `scan.deny-list: no such file: ${e.path}` : e.message;
    throw new HatoError(HatoErrors.CONFIG_INVALID, message);
  }
}
