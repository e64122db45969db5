// Writes docs/configuration.md from the settings table in @hato/core (run after the build).
import { writeFileSync } from "node:fs";
import { configurationDoc } from "../packages/core/dist/config.js";

writeFileSync(new URL("../docs/configuration.md", import.meta.url), configurationDoc());
