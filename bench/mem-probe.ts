// Preloaded into a Hato server under test (node --import) to see where its memory goes:
// on SIGUSR2 it appends one JSON line to $HATO_MEM_PROBE (process.memoryUsage() and V8 heap
// spaces, before and after a full GC when node runs with --expose-gc) and, when
// $HATO_MEM_PROBE_SNAPSHOT is a folder, writes a heap snapshot there.
//
//   NODE_OPTS="--expose-gc --import ./bench/dist/mem-probe.js" HATO_MEM_PROBE=mem.jsonl bench/hato.sh start

import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from "node:v8";

const out = process.env.HATO_MEM_PROBE;
const snapDir = process.env.HATO_MEM_PROBE_SNAPSHOT;
let n = 0;

const sample = () => {
  const m = process.memoryUsage();
  const h = getHeapStatistics();
  return {
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    mallocedMemory: h.malloced_memory,
    spaces: Object.fromEntries(
      getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]),
    ),
  };
};

if (out) {
  process.on("SIGUSR2", () => {
    const before = sample();
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) gc();
    const after = gc ? sample() : undefined;
    let snapshot: string | undefined;
    if (snapDir)
      snapshot = writeHeapSnapshot(join(snapDir, `hato-${process.pid}-${++n}.heapsnapshot`));
    const handles = (
      process as unknown as { _getActiveHandles?: () => unknown[] }
    )._getActiveHandles?.().length;
    appendFileSync(
      out,
      `${JSON.stringify({ at: new Date().toISOString(), handles, before, after, snapshot })}\n`,
    );
  });
}
