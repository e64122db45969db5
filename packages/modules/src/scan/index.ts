// File scanning for uploads: the engine the configuration names, behind one interface.

import type { Config, Logger } from "@hato/core";
import { createBuiltinScanner, readDenyList } from "./builtin.js";
import { createClamdScanner, parseClamdAddress } from "./clamd.js";
import type { Scanner } from "./types.js";

export { createBuiltinScanner, parseDenyList, readDenyList } from "./builtin.js";
export {
  type ClamdAddress,
  createClamdScanner,
  parseClamdAddress,
  parseClamdReply,
  pingClamd,
} from "./clamd.js";
export { EICAR, EICAR_SHA256 } from "./magic.js";
export * from "./types.js";

/** The scanner `scan.engine` names, set up from the `scan.*` settings. */
export function createScanner(config: Pick<Config, "scan">, log: Logger): Scanner {
  const s = config.scan;
  if (s.engine === "clamd") {
    const options = {
      address: parseClamdAddress(s.clamdAddress),
      timeoutSeconds: s.timeoutSeconds,
    };
    const scanner = createClamdScanner(options);
    // Not fatal: uploads fail closed while clamd is down, and work once it is up.
    scanner.ping().then(
      () => log.info("file scanner", { engine: "clamd", address: s.clamdAddress }),
      (err: Error) =>
        log.warn("clamd does not answer; uploads are refused until it does", {
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
  const denyList = s.denyList ? readDenyList(s.denyList) : [];
  if (s.denyList) log.info("scan deny-list loaded", { hashes: [...denyList].length });
  log.info("file scanner", { engine: s.engine });
  return createBuiltinScanner({ limits, denyList, timeoutSeconds: s.timeoutSeconds });
}
