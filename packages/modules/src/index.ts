// @hato/modules: the feature modules that ship with Hato, in load order.
import type { HatoModule } from "@hato/core";
import { wrapperGuard } from "./carbons/guard.js";
import { carbons } from "./carbons/index.js";
import { delivery } from "./delivery/index.js";
import { disco } from "./disco/index.js";
import { mam } from "./mam/index.js";
import { offline } from "./offline/index.js";
import { ping } from "./ping/index.js";
import { version } from "./version/index.js";

export { carbons, delivery, disco, mam, offline, ping, version, wrapperGuard };

/** Every module a default server loads. */
export const defaultModules: readonly HatoModule[] = [
  disco,
  ping,
  version,
  wrapperGuard,
  carbons,
  mam,
  delivery,
  offline,
];
