// One measurement: load one workload's library from one variant's folder in this fresh
// process, run the workload's iterations under a timer, then (untimed) hash the output
// and read what the instrumentation left behind. Prints one JSON line on stdout.
//
//   node bench/child.mjs <workload> <variant folder> <full|smoke>

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { mainThreadCpuMs } from "./cpu-time.mjs";
import { findWorkload } from "./workloads.mjs";

const KCOV_REGISTRY = Symbol.for("babel-plugin-kcov.registry");
/** Set by the kcov cmp and Jazzer.js cmp preambles (bench/variants.mjs): comparison records written so far. */
const COMPARE_RECORDS = Symbol.for("kcov-bench.compare-records");


async function loadLibrary(file) {
  if (file.endsWith(".mjs")) return import(pathToFileURL(file).href);
  return createRequire(file)(file);
}

/**
 * Feeds a canonical serialisation of a plain-data value into a hash, without building
 * one giant JSON string (an AST of 2.5 MB of source would not fit in one).
 */
function hashValue(value) {
  const hash = createHash("sha256");
  let chunk = "";
  const write = (text) => {
    chunk += text;
    if (chunk.length > 1 << 16) {
      hash.update(chunk);
      chunk = "";
    }
  };
  const visit = (v) => {
    if (v === null || typeof v !== "object") {
      write(typeof v === "string" ? JSON.stringify(v) : `${typeof v}:${String(v)}`);
      write(",");
      return;
    }
    if (Array.isArray(v)) {
      write("[");
      for (const item of v) visit(item);
      write("]");
      return;
    }
    write("{");
    for (const key of Object.keys(v)) {
      write(JSON.stringify(key));
      write(":");
      visit(v[key]);
    }
    write("}");
  };
  visit(value);
  hash.update(chunk);
  return hash.digest("hex");
}

/** What babel-plugin-kcov's registry holds after the run (empty for other variants). */
function kcovRecords() {
  const registry = globalThis[KCOV_REGISTRY];
  if (!registry) return [];
  return registry.files.map((record) => {
    const hitIndices = [];
    for (let i = 0; i < record.counters.length; i++) if (record.counters[i] !== 0) hitIndices.push(i);
    return {
      path: record.path,
      blockCount: record.blockCount,
      counterType: record.counters.constructor.name,
      counterBytes: record.counters.byteLength,
      tableChars: record.table.length,
      hitBlocks: hitIndices.length,
      hitSetHash: createHash("sha256").update(hitIndices.join(",")).digest("hex"),
    };
  });
}

async function main() {
  const [workloadName, variantFolder, scale] = process.argv.slice(2);
  const workload = findWorkload(workloadName);
  const startedAt = performance.now();
  const lib = await loadLibrary(join(variantFolder, workload.files[0].id));
  const loadMs = performance.now() - startedAt;
  const input = workload.input(scale);
  const iterations = workload.iterations[scale];

  let output;
  const recordsBefore = globalThis[COMPARE_RECORDS]?.() ?? null;
  const cpuStart = mainThreadCpuMs();
  const timerStart = performance.now();
  for (let i = 0; i < iterations; i++) output = workload.iterate(lib, input);
  const runMs = performance.now() - timerStart;
  const cpuEnd = mainThreadCpuMs();
  const cpuMs = cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart;

  // Comparison records of the timed iterations only (not the library's load).
  const compareRecords = recordsBefore === null ? null : globalThis[COMPARE_RECORDS]() - recordsBefore;
  const digest = workload.digest ? workload.digest(output) : output;
  process.stdout.write(
    JSON.stringify({ runMs, cpuMs, loadMs, iterations, outputHash: hashValue(digest), kcov: kcovRecords(), compareRecords }) + "\n",
  );
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
