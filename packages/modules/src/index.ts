// @hato/modules: the feature modules that ship with Hato, in load order.
import type { HatoModule } from "@hato/core";
import { blocking } from "./blocking/index.js";
import { wrapperGuard } from "./carbons/guard.js";
import { carbons } from "./carbons/index.js";
import { delivery } from "./delivery/index.js";
import { disco } from "./disco/index.js";
import { createKeyLog, keylog, NS_KEYLOG } from "./keylog/index.js";
import { mam } from "./mam/index.js";
import { offline } from "./offline/index.js";
import { p2pGuard } from "./p2p-guard/index.js";
import { pep } from "./pep/index.js";
import { ping } from "./ping/index.js";
import { NS_POLICY, policySummary } from "./policy-summary/index.js";
import { presence } from "./presence/index.js";
import { privateStorage } from "./private/index.js";
import { push } from "./push/index.js";
import { register } from "./register/index.js";
import { createRetention, retention, runRetention } from "./retention/index.js";
import { roster } from "./roster/index.js";
import { createScanHandoff, NS_SCAN, scanHandoff } from "./scan-handoff/index.js";
import { createUpload, upload } from "./upload/index.js";
import { vcard } from "./vcard/index.js";
import { version } from "./version/index.js";

export {
  canonicalLeaf,
  headMessage,
  type KeyLogFaults,
  type KeyLogLimits,
  type KeyLogOptions,
  MerkleTree,
} from "./keylog/index.js";
export {
  buildZip,
  createBuiltinScanner,
  createClamdScanner,
  createScanner,
  EICAR,
  parseClamdReply,
  parseDenyList,
  pingClamd,
  type ScanInput,
  type Scanner,
  ScannerUnavailable,
  type Verdict,
  type ZipEntry,
} from "./scan/index.js";
export {
  blocking,
  carbons,
  createKeyLog,
  createRetention,
  createScanHandoff,
  createUpload,
  delivery,
  disco,
  keylog,
  mam,
  NS_KEYLOG,
  NS_POLICY,
  NS_SCAN,
  offline,
  p2pGuard,
  pep,
  ping,
  policySummary,
  presence,
  privateStorage,
  push,
  register,
  retention,
  roster,
  runRetention,
  scanHandoff,
  upload,
  vcard,
  version,
  wrapperGuard,
};

/** Every module a default server loads. */
export const defaultModules: readonly HatoModule[] = [
  disco,
  ping,
  version,
  blocking,
  wrapperGuard,
  p2pGuard,
  carbons,
  mam,
  delivery,
  offline,
  roster,
  presence,
  push,
  vcard,
  privateStorage,
  register,
  policySummary,
  pep,
  keylog,
  upload,
  scanHandoff,
  retention,
];
