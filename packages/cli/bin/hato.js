#!/usr/bin/env node
// Entry point for `hato` / `npx hato`: a committed file, so npm can link it before the build.
import "../dist/main.js";
