// collect() cost: 100k registered blocks (100 files of 1000), 1% of them executed
// before each flush, as issue 3 asks. Times collect() alone, per call.
//
//   npm run build && node bench/collect.mjs      last line: JSON summary
//
// Reads the compiled runtime (dist/runtime), so it needs no TypeScript tooling.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const REPO_ROOT = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const RUNTIME = join(REPO_ROOT, "dist", "runtime", "index.js");
if (!existsSync(RUNTIME)) {
  console.error(`bench/collect.mjs: ${RUNTIME} is missing; run \`npm run build\` first.`);
  process.exit(1);
}
const requireFromHere = createRequire(import.meta.url);
const { Kcov, KCOV_TRACE_PC } = requireFromHere(RUNTIME);
const { encodeBlockFields } = requireFromHere(join(REPO_ROOT, "dist", "plugin", "block-table.js"));

const FILES = 100;
const BLOCKS_PER_FILE = 1000;
const BLOCKS = FILES * BLOCKS_PER_FILE;
const EXECUTED = BLOCKS / 100;
const ROUNDS = 2000;
const WARMUP = 200;

/** Records shaped as the plugin registers them (docs/block-table.md). */
function registerFiles() {
  const key = Symbol.for("babel-plugin-kcov.registry");
  const registry = (globalThis[key] ??= { version: 2, files: [], onRegister: null });
  const files = [];
  for (let f = 0; f < FILES; f++) {
    const flat = [];
    for (let b = 0; b < BLOCKS_PER_FILE; b++) flat.push(b, b, 0, 0, 0, b + 1, 0, b + 1, 1);
    const record = {
      path: `src/file${f}.js`,
      fingerprint: "0",
      // full64 regions: every file's PCs have their own high 32 bits, as hashing gives them.
      regionPc: `0x${(0x1000 + f).toString(16).padStart(8, "0")}00000000`,
      regionSize: 4096,
      blockCount: BLOCKS_PER_FILE,
      counters: new Uint8Array(BLOCKS_PER_FILE),
      table: JSON.stringify({
        version: 1, sources: [`src/file${f}.js`], functions: ["(top level)"], kinds: ["program"], blocks: encodeBlockFields(flat),
      }),
    };
    registry.onRegister?.(record);
    registry.files.push(record);
    files.push(record);
  }
  return files;
}

/** A fixed pseudo-random 1% of the blocks (xorshift, so every run picks the same). */
function executedBlocks() {
  const picked = new Set();
  let state = 0x9e3779b9;
  while (picked.size < EXECUTED) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    picked.add((state >>> 0) % BLOCKS);
  }
  return Uint32Array.from(picked);
}

function median(values) {
  const sorted = Float64Array.from(values).sort();
  return sorted[sorted.length >> 1];
}

/** Times `flush` alone, after marking `executed` blocks, ROUNDS times. */
function measure(files, executed, flush, afterFlush) {
  const samples = new Float64Array(ROUNDS);
  for (let round = -WARMUP; round < ROUNDS; round++) {
    for (let i = 0; i < executed.length; i++) {
      const block = executed[i];
      files[(block / BLOCKS_PER_FILE) | 0].counters[block % BLOCKS_PER_FILE] = 1;
    }
    const start = performance.now();
    const count = flush();
    const end = performance.now();
    if (count !== executed.length) throw new Error(`flush reported ${count} blocks, expected ${executed.length}`);
    afterFlush();
    if (round >= 0) samples[round] = (end - start) * 1e6;
  }
  return { medianNs: Math.round(median(samples)), meanNs: Math.round(samples.reduce((a, b) => a + b, 0) / ROUNDS) };
}

/** Heap growth over many flushes; near zero if collect() allocates nothing. */
function heapGrowthPerCollect(files, executed, kcov, area) {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc");
  const runs = 10000;
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let run = 0; run < runs; run++) {
    files[run % FILES].counters[run % BLOCKS_PER_FILE] = 1;
    kcov.collect();
    area[0] = 0n;
  }
  const after = process.memoryUsage().heapUsed;
  return Math.max(0, Math.round((after - before) / runs));
}

const files = registerFiles();
const executed = executedBlocks();
const kcov = new Kcov();
kcov.initTrace(64 * 1024);
const area = kcov.mmap();
kcov.enable(KCOV_TRACE_PC);

const collect = measure(files, executed, () => kcov.collect(), () => (area[0] = 0n));
const idle = measure(files, new Uint32Array(0), () => kcov.collect(), () => (area[0] = 0n));
const out = new Uint32Array(BLOCKS);
const indices = measure(files, executed, () => kcov.collectIndices(out), () => {});
const heapBytesPerCollect = heapGrowthPerCollect(files, executed, kcov, area);
kcov.close();

console.log(`registered blocks: ${BLOCKS} in ${FILES} files; executed per flush: ${EXECUTED}; rounds: ${ROUNDS}`);
console.log(`collect():        median ${collect.medianNs} ns, mean ${collect.meanNs} ns`);
console.log(`collect(), idle:  median ${idle.medianNs} ns (nothing executed: the scan alone)`);
console.log(`collectIndices(): median ${indices.medianNs} ns`);
console.log(`heap growth per collect(): ${heapBytesPerCollect} bytes`);
console.log(
  JSON.stringify({
    blocks: BLOCKS,
    executed: EXECUTED,
    collectMedianNs: collect.medianNs,
    collectMeanNs: collect.meanNs,
    idleCollectMedianNs: idle.medianNs,
    collectIndicesMedianNs: indices.medianNs,
    heapBytesPerCollect,
    node: process.version,
  }),
);
