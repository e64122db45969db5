#!/usr/bin/env -S node --max-semi-space-size=1
// Entry point for `hato` / `npx hato`: a committed file, so npm can link it before the build.
//
// --max-semi-space-size=1 caps V8's young generation at 1 MiB per semi-space. Measured with
// bench/run.sh: memory per idle connection fell from about 46 to 34 KiB (2,000 connections)
// for more CPU per message, still many times the reference servers' throughput. Set here
// because V8 reads it only at start; bench/hato.sh takes its flags from this line.
import "../dist/main.js";
