// The built-in fuzzing engine's speed (README, "Fuzzing benchmark"):
//
//   1. Engine work per execution with 10,000 registered blocks: the engine fuzzes a cheap
//      target in a generated, instrumented module of 10,000 blocks; the same inputs then
//      run through the same instrumented target in a bare loop. The difference per
//      execution is the engine's own work: mutation, the pwrite of the current input, the
//      copy handed to the target, reading the kcov device, the novelty check, bookkeeping.
//   2. A real target: js-yaml's load() on the engine's inputs (seeded with YAML documents).
//      exec/s of the engine fuzzing the instrumented library, against a bare loop calling
//      the uninstrumented library on the very same inputs, in the same process and run.
//
// The engine runs in this process (fuzz/engine/fuzz-loop.ts, as the executor runs it), so
// process start-up is not counted. Times are main-thread CPU time (10 ms ticks, so the
// runs are long), as the rest of bench/ measures on these shared cores. Usage: npm run build && node bench/fuzz-engine.mjs
// [--smoke] [--runs N] [--reps N]

import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import babel from "@babel/core";
import { mainThreadCpuMs } from "./cpu-time.mjs";
import { REPO_ROOT } from "./variants.mjs";

/** Main-thread CPU time (other tenants of the shared cores do not count), else wall time. */
const clock = mainThreadCpuMs() === null ? () => performance.now() : mainThreadCpuMs;

const require = createRequire(import.meta.url);
const { BuiltinFuzzer } = require(path.join(REPO_ROOT, "dist/fuzz/engine/fuzz-loop.js"));
const { defaultFlags } = require(path.join(REPO_ROOT, "dist/fuzz/flags.js"));
const kcovPlugin = require(path.join(REPO_ROOT, "dist/plugin/index.js"));

const { values } = parseArgs({
  options: { smoke: { type: "boolean", default: false }, runs: { type: "string" }, reps: { type: "string" } },
});
const smoke = values.smoke;
const runs = Number(values.runs ?? (smoke ? 3000 : 200000));
const reps = Number(values.reps ?? (smoke ? 1 : 3));
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-fuzz-bench-"));

/** Instruments `code` (hit mode) into a file of the work dir and requires it. */
function requireInstrumented(name, code) {
  const file = path.join(workDir, name);
  const result = babel.transformSync(code, {
    filename: file,
    configFile: false,
    babelrc: false,
    compact: false,
    plugins: [[kcovPlugin.default ?? kcovPlugin, { instrumentationFilter: ["**"], root: workDir }]],
  });
  fs.writeFileSync(file, result.code);
  return require(file);
}

/** A module of about `blocks` blocks: functions with an if/else, one picked per input. */
function generatedModule(functions) {
  const lines = [];
  for (let i = 0; i < functions; i++) {
    lines.push(`function f${i}(d) { if (d.length > ${i % 7}) { return d[0] + ${i}; } else { return ${i}; } }`);
  }
  lines.push(`const table = [${Array.from({ length: functions }, (_, i) => `f${i}`).join(", ")}];`);
  lines.push("module.exports.pick = (d) => table[d.length === 0 ? 0 : (d[0] * 256 + (d[1] ?? 0)) % table.length](d);");
  return lines.join("\n");
}

function registeredBlocks() {
  const registry = globalThis[Symbol.for("babel-plugin-kcov.registry")];
  return registry.files.reduce((sum, file) => sum + file.blockCount, 0);
}

/** Runs the engine in this process on `fuzz` for `runs` executions; returns ms and the inputs. */
async function fuzzInProcess(name, fuzz, seeds) {
  const dir = fs.mkdtempSync(path.join(workDir, `${name}-`));
  const corpus = path.join(dir, "corpus");
  fs.mkdirSync(corpus);
  seeds.forEach((seed, i) => fs.writeFileSync(path.join(corpus, `seed-${i}`), seed));
  const inputs = [];
  const target = { path: name, usesCallback: false, fuzz: (data) => { inputs.push(data); return fuzz(data); } };
  const config = {
    target: name,
    flags: { ...defaultFlags(), runs, seed: 1, verbosity: 0, max_len: 4096 },
    corpusDirs: [corpus],
    temporaryCorpus: true,
    regressionInputs: null,
    currentInputFile: path.join(dir, "current-input"),
    findingsFile: path.join(dir, "findings.jsonl"),
    seed: 1,
    startExecutions: 0,
    startIndex: 0,
    sessionStart: Date.now(),
    countBuckets: false,
    skipSeeds: [],
  };
  const started = clock();
  const status = await new BuiltinFuzzer(config, target, []).run();
  const ms = clock() - started;
  // The engine treats escaped errors as findings; in this script they are the script's.
  process.removeAllListeners("uncaughtException");
  process.removeAllListeners("unhandledRejection");
  if (status !== 0) throw new Error(`${name}: the engine found something (status ${status}); the benchmark target must not crash`);
  return { ms, inputs };
}

function bareLoop(fuzz, inputs) {
  const started = clock();
  for (let i = 0; i < inputs.length; i++) fuzz(inputs[i]);
  return clock() - started;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function engineOverhead() {
  const generated = requireInstrumented("generated.js", generatedModule(smoke ? 500 : 3400));
  const blocks = registeredBlocks();
  const fuzz = (data) => { generated.pick(data); };
  const perExec = [];
  for (let rep = 0; rep < reps; rep++) {
    const { ms, inputs } = await fuzzInProcess("generated", fuzz, [Buffer.from("seed")]);
    const bare = bareLoop(fuzz, inputs);
    perExec.push(((ms - bare) * 1000) / inputs.length);
  }
  return { blocks, microsecondsPerExec: median(perExec) };
}

async function realTarget() {
  const yamlFile = path.join(REPO_ROOT, "node_modules/js-yaml/dist/js-yaml.cjs.js");
  const plain = require(yamlFile);
  const instrumented = requireInstrumented("js-yaml.instrumented.js", fs.readFileSync(yamlFile, "utf8"));
  const target = (yaml) => (data) => {
    try {
      yaml.load(data.toString("utf8"));
    } catch (error) {
      if (!(error instanceof yaml.YAMLException)) throw error;
    }
  };
  const seeds = ["a: 1\nb: [x, y]\n", "- {k: v, n: 3.5}\n- !!str 12\n- ~\n", "key: |\n  text\n  more\nother: 'q'\n"].map((text) => Buffer.from(text));
  const ratios = [];
  const rates = [];
  for (let rep = 0; rep < reps; rep++) {
    const { ms, inputs } = await fuzzInProcess("js-yaml", target(instrumented), seeds);
    const bare = bareLoop(target(plain), inputs);
    ratios.push(ms / bare);
    rates.push({ engine: (inputs.length * 1000) / ms, bare: (inputs.length * 1000) / bare });
  }
  return { ratio: median(ratios), rates: rates[ratios.indexOf(median(ratios))] };
}

try {
  const overhead = await engineOverhead();
  const real = await realTarget();
  const clockName = mainThreadCpuMs() === null ? "wall clock" : "main-thread CPU time";
  console.log(`fuzz engine benchmark · Node ${process.version} · ${os.cpus()[0]?.model ?? "cpu"} · ${runs} executions, median of ${reps} · ${clockName}`);
  console.log(`engine work per execution, ${overhead.blocks} registered blocks: ${overhead.microsecondsPerExec.toFixed(2)} µs`);
  console.log(
    `js-yaml load(): engine on instrumented js-yaml ${Math.round(real.rates.engine)} exec/s, ` +
      `bare loop on uninstrumented js-yaml ${Math.round(real.rates.bare)} exec/s: ${real.ratio.toFixed(2)}x slower`,
  );
  // Smoke runs are too short for 10 ms CPU ticks: they check that everything runs, not the figures.
  if (smoke && !(Number.isFinite(overhead.microsecondsPerExec) && Number.isFinite(real.ratio))) throw new Error("fuzz engine smoke: no figures");
} finally {
  fs.rmSync(workDir, { recursive: true, force: true });
}
