// @hato/modules: the feature modules that ship with Hato, in load order.
import type { HatoModule } from "@hato/core";
import { delivery } from "./delivery/index.js";
import { disco } from "./disco/index.js";
import { offline } from "./offline/index.js";
import { pep } from "./pep/index.js";
import { ping } from "./ping/index.js";
import { version } from "./version/index.js";

export { delivery, disco, offline, pep, ping, version };

/** Every module a default server loads. */
export const defaultModules: readonly HatoModule[] = [disco, ping, version, delivery, offline, pep];
