// The built-in fuzzing engine's speed (README, "Fuzzing benchmark"):
//
//   1. Engine work per execution with 10,000 registered blocks: the engine fuzzes a cheap
//      target in a generated, instrumented module of 10,000 blocks; the same inputs then
//      run through the same instrumented target in a bare loop. The difference per
//      execution is the engine's own work: mutation, the pwrite of the current input, the
//      copy handed to the target, reading the kcov device, the novelty check, bookkeeping,
//      corpus files (written by a worker thread of their own: their kernel time is on it).
//   2. A real target: js-yaml's load() on the engine's inputs (seeded with YAML documents).
//      exec/s of the engine fuzzing the instrumented library, against a bare loop calling
//      the uninstrumented library on the very same inputs, in the same process and run;
//      the bare loop on the instrumented library too, to show what instrumentation costs.
//
// Each part runs in its own child process, so only its own instrumented files are
// registered. Each part first runs the engine and then the bare loops once unmeasured, the
// same runs as the measured ones (same seed): every loop then runs compiled, warm code. The
// bare loops call the target through the same recording wrapper as the engine does, and the
// target catches the same exceptions in both (js-yaml's YAMLException), so the difference
// is the engine's work alone. The engine runs in that process (fuzz/engine/fuzz-loop.ts, as the executor
// runs it), so process start-up is not counted. The inputs the engine ran are recorded
// into one preallocated byte arena (not kept as 100,000 live Buffers, whose garbage
// collection the bare loop would not pay). Times are main-thread CPU time (10 ms ticks, so
// the runs are long), as the rest of bench/ measures on these shared cores.
//
// It prints the two figures per counter mode, each against its target: the engine
// work per execution, and js-yaml's engine/bare-loop ratio. --details adds the whole
// process's CPU time (every thread: the corpus writer, GC, JIT) and where js-yaml's ratio
// goes, each step a bare loop on instrumented js-yaml over the same inputs, against the
// bare loop on the uninstrumented library: the instrumentation alone; plus reading the
// kcov device and the novelty check after each input (KcovFeedback, as the engine calls
// it); plus publishing each input for the watchdog first (CurrentInputWriter's pwrite, the
// executor's side of the timeout machinery). The rest of the engine's ratio is its other
// work: mutation, scheduling, the corpus and its files, and what all of it does to the
// caches and the garbage collector.
// Usage: npm run build && node bench/fuzz-engine.mjs [--smoke] [--runs N] [--reps N] [--modes count,hit] [--details]

import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import babel from "@babel/core";
import { mainThreadCpuMs } from "./cpu-time.mjs";
import { REPO_ROOT } from "./variants.mjs";

/** Main-thread CPU time (other tenants of the shared cores do not count), else wall time. */
const clock = mainThreadCpuMs() === null ? () => performance.now() : mainThreadCpuMs;
/** CPU time of every thread of this process (the thread pool's corpus writes, GC, JIT). */
const processClock = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
/** Both clocks at once: [main thread, whole process]. */
const now = () => [clock(), processClock()];
const since = (start) => {
  const end = now();
  return { main: end[0] - start[0], process: end[1] - start[1] };
};

const require = createRequire(import.meta.url);
const { BuiltinFuzzer } = require(path.join(REPO_ROOT, "dist/fuzz/engine/fuzz-loop.js"));
const { defaultFlags } = require(path.join(REPO_ROOT, "dist/fuzz/flags.js"));
const { memoryDir } = require(path.join(REPO_ROOT, "dist/fuzz/engine/supervisor.js"));
const { KcovFeedback } = require(path.join(REPO_ROOT, "dist/fuzz/engine/coverage.js"));
const { CurrentInputWriter } = require(path.join(REPO_ROOT, "dist/fuzz/engine/current-input.js"));
const kcovPlugin = require(path.join(REPO_ROOT, "dist/plugin/index.js"));

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    runs: { type: "string" },
    reps: { type: "string" },
    modes: { type: "string", default: "count,hit" },
    details: { type: "boolean", default: false },
    part: { type: "string" },
    mode: { type: "string" },
  },
});
const smoke = values.smoke;
const runs = Number(values.runs ?? (smoke ? 3000 : 200000));
const reps = Number(values.reps ?? (smoke ? 1 : 3));
/** Counter modes to measure: count (the built-in engine's default, with hit-count buckets as features) and hit. */
const modes = values.modes.split(",");
for (const mode of modes) if (mode !== "count" && mode !== "hit") throw new Error(`--modes: unknown counter mode ${JSON.stringify(mode)} (count, hit)`);
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-fuzz-bench-"));
/** The current-input file goes where jskcov fuzz puts it: the memory file system if there is one. */
const inputDir = memoryDir() ?? workDir;

/** Instruments `code` in `counterMode` into a file of the work dir and requires it. */
function requireInstrumented(name, code, counterMode) {
  const file = path.join(workDir, name);
  // As jskcov's own transform does (cli/transform.ts): @babel/core raises Error.stackTraceLimit
  // to 50 for the whole process, which would make every Error of js-yaml, in the engine and
  // in the bare loops alike, capture 50 frames where a user's process captures 10.
  const { stackTraceLimit, prepareStackTrace } = Error;
  const result = babel.transformSync(code, {
    filename: file,
    configFile: false,
    babelrc: false,
    compact: false,
    plugins: [[kcovPlugin.default ?? kcovPlugin, { instrumentationFilter: ["**"], root: workDir, counterMode }]],
  });
  Error.stackTraceLimit = stackTraceLimit;
  Error.prepareStackTrace = prepareStackTrace;
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

/** The inputs one engine run executed, copied into one arena as they run. */
class InputRecorder {
  #bytes = new Uint8Array(1 << 20);
  #ends = new Uint32Array(1024);
  count = 0;
  #used = 0;

  record(data) {
    if (this.#used + data.length > this.#bytes.length) this.#bytes = grown(this.#bytes, this.#used + data.length);
    if (this.count === this.#ends.length) this.#ends = grown(this.#ends, this.count + 1);
    this.#bytes.set(data, this.#used);
    this.#used += data.length;
    this.#ends[this.count++] = this.#used;
  }

  /** The recorded inputs as Buffers, for the bare loop (built outside its timing). */
  buffers() {
    return Array.from({ length: this.count }, (_, i) => Buffer.from(this.#bytes.subarray(i === 0 ? 0 : this.#ends[i - 1], this.#ends[i])));
  }
}

function grown(array, atLeast) {
  const result = new array.constructor(Math.max(array.length * 2, atLeast));
  result.set(array);
  return result;
}

/** Runs the engine in this process on `fuzz` for `runs` executions; returns its CPU times and the inputs. */
async function fuzzInProcess(name, fuzz, seeds, counterMode) {
  const dir = fs.mkdtempSync(path.join(workDir, `${name}-`));
  const corpus = path.join(dir, "corpus");
  fs.mkdirSync(corpus);
  seeds.forEach((seed, i) => fs.writeFileSync(path.join(corpus, `seed-${i}`), seed));
  const recorder = new InputRecorder();
  const target = { path: name, usesCallback: false, fuzz: (data) => { recorder.record(data); return fuzz(data); } };
  const config = {
    target: name,
    flags: { ...defaultFlags(), runs, seed: 1, verbosity: 0, max_len: 4096 },
    corpusDirs: [corpus],
    temporaryCorpus: true,
    regressionInputs: null,
    currentInputFile: path.join(fs.mkdtempSync(path.join(inputDir, `${name}-`)), "current-input"),
    findingsFile: path.join(dir, "findings.jsonl"),
    seed: 1,
    startExecutions: 0,
    startIndex: 0,
    sessionStart: Date.now(),
    // As jskcov fuzz sets it: hit-count buckets are features in count mode (-use_counters=1).
    countBuckets: counterMode === "count",
    skipSeeds: [],
  };
  const started = now();
  const status = await new BuiltinFuzzer(config, target, []).run();
  const time = since(started);
  // The engine treats escaped errors as findings; in this script they are the script's.
  process.removeAllListeners("uncaughtException");
  process.removeAllListeners("unhandledRejection");
  if (status !== 0) throw new Error(`${name}: the engine found something (status ${status}); the benchmark target must not crash`);
  return { time, inputs: recorder.buffers() };
}

/**
 * Calls `fuzz` on each input, through the same recording wrapper as the engine's target
 * (into a recorder of its own), so that the difference is the engine's work alone.
 */
function bareLoop(fuzz, inputs) {
  const recorder = new InputRecorder();
  const started = now();
  for (let i = 0; i < inputs.length; i++) {
    recorder.record(inputs[i]);
    fuzz(inputs[i]);
  }
  return since(started);
}

/**
 * bareLoop, plus what the engine does around each execution with the kcov device: the
 * flush of own blocks and the novelty check (a new feature is kept, as the engine keeps
 * it); with `publish`, the pwrite of the input for the watchdog before it runs.
 */
function bareLoopReading(fuzz, inputs, counterMode, publish) {
  const recorder = new InputRecorder();
  const feedback = new KcovFeedback(counterMode === "count");
  const writer = publish ? new CurrentInputWriter(path.join(fs.mkdtempSync(path.join(inputDir, "split-")), "current-input"), 4096) : undefined;
  const started = now();
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    if (writer !== undefined) {
      writer.input.set(input);
      writer.publish(input.length);
    }
    recorder.record(input);
    fuzz(input);
    feedback.collectOwnBlocks();
    if (feedback.reachedNewFeature()) {
      feedback.complete();
      void feedback.featureCount;
      feedback.keep();
    }
  }
  const time = since(started);
  writer?.close();
  feedback.close();
  return time;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function engineOverhead(counterMode) {
  const generated = requireInstrumented("generated.js", generatedModule(smoke ? 500 : 3400), counterMode);
  const blocks = registeredBlocks();
  const fuzz = (data) => { generated.pick(data); };
  const perExec = [];
  const perExecProcess = [];
  bareLoop(fuzz, (await fuzzInProcess("generated", fuzz, [Buffer.from("seed")], counterMode)).inputs);
  for (let rep = 0; rep < reps; rep++) {
    const { time, inputs } = await fuzzInProcess("generated", fuzz, [Buffer.from("seed")], counterMode);
    const bare = bareLoop(fuzz, inputs);
    perExec.push(((time.main - bare.main) * 1000) / inputs.length);
    perExecProcess.push(((time.process - bare.process) * 1000) / inputs.length);
  }
  return { blocks, microsecondsPerExec: median(perExec), processMicrosecondsPerExec: median(perExecProcess) };
}

async function realTarget(counterMode) {
  const yamlFile = path.join(REPO_ROOT, "node_modules/js-yaml/dist/js-yaml.cjs.js");
  const plain = require(yamlFile);
  const instrumented = requireInstrumented("js-yaml.instrumented.js", fs.readFileSync(yamlFile, "utf8"), counterMode);
  const target = (yaml) => (data) => {
    try {
      yaml.load(data.toString("utf8"));
    } catch (error) {
      if (!(error instanceof yaml.YAMLException)) throw error;
    }
  };
  const seeds = ["a: 1\nb: [x, y]\n", "- {k: v, n: 3.5}\n- !!str 12\n- ~\n", "key: |\n  text\n  more\nother: 'q'\n"].map((text) => Buffer.from(text));
  const runsOf = [];
  // Warm-up, unmeasured: the engine, then both bare loops (each measured loop then runs warm code).
  const warmUp = await fuzzInProcess("js-yaml", target(instrumented), seeds, counterMode);
  bareLoop(target(plain), warmUp.inputs);
  bareLoop(target(instrumented), warmUp.inputs);
  if (values.details) {
    bareLoopReading(target(instrumented), warmUp.inputs, counterMode, false);
    bareLoopReading(target(instrumented), warmUp.inputs, counterMode, true);
  }
  for (let rep = 0; rep < reps; rep++) {
    const { time, inputs } = await fuzzInProcess("js-yaml", target(instrumented), seeds, counterMode);
    const bare = bareLoop(target(plain), inputs);
    const bareInstrumented = bareLoop(target(instrumented), inputs);
    const reading = values.details ? bareLoopReading(target(instrumented), inputs, counterMode, false) : undefined;
    const publishing = values.details ? bareLoopReading(target(instrumented), inputs, counterMode, true) : undefined;
    const rate = (ms) => (inputs.length * 1000) / ms;
    runsOf.push({
      ratio: time.main / bare.main,
      processRatio: time.process / bare.process,
      instrumentationRatio: bareInstrumented.main / bare.main,
      readingRatio: reading === undefined ? NaN : reading.main / bare.main,
      publishingRatio: publishing === undefined ? NaN : publishing.main / bare.main,
      rates: { engine: rate(time.main), bare: rate(bare.main), bareInstrumented: rate(bareInstrumented.main) },
    });
  }
  const ratio = median(runsOf.map((run) => run.ratio));
  const medianOf = (key) => median(runsOf.map((run) => run[key]));
  return {
    ...runsOf.find((run) => run.ratio === ratio),
    processRatio: medianOf("processRatio"),
    instrumentationRatio: medianOf("instrumentationRatio"),
    readingRatio: medianOf("readingRatio"),
    publishingRatio: medianOf("publishingRatio"),
  };
}

/** Runs one part in a child process (a fresh registry: only that part's files are instrumented); returns its JSON. */
function partInChild(part, counterMode) {
  const args = [process.argv[1], "--part", part, "--mode", counterMode, "--runs", String(runs), "--reps", String(reps), ...(smoke ? ["--smoke"] : []), ...(values.details ? ["--details"] : [])];
  const child = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
  if (child.status !== 0) throw new Error(`bench/fuzz-engine.mjs --part ${part} --mode ${counterMode} failed (status ${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").pop());
}

if (values.part !== undefined) {
  try {
    const result = values.part === "generated" ? await engineOverhead(values.mode) : await realTarget(values.mode);
    console.log(JSON.stringify(result));
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
    if (inputDir !== workDir) fs.rmSync(inputDir, { recursive: true, force: true });
  }
  process.exit(0);
}

try {
  const clockName = mainThreadCpuMs() === null ? "wall clock" : "main-thread CPU time";
  console.log(`fuzz engine benchmark · Node ${process.version} · ${os.cpus()[0]?.model ?? "cpu"} · ${runs} executions, median of ${reps} · ${clockName}`);
  for (const mode of modes) {
    const overhead = partInChild("generated", mode);
    const real = partInChild("js-yaml", mode);
    console.log(`${mode} mode: engine work per execution, ${overhead.blocks} registered blocks: ${overhead.microsecondsPerExec.toFixed(2)} µs (target: at most 10 µs)`);
    console.log(
      `${mode} mode: js-yaml load(), engine on instrumented js-yaml vs bare loop on uninstrumented js-yaml: ${real.ratio.toFixed(2)}x ` +
        `(target: at most 1.3x; ${Math.round(real.rates.engine)} vs ${Math.round(real.rates.bare)} exec/s)`,
    );
    if (values.details) {
      console.log(
        `${mode} mode, details: every thread's CPU time: engine work ${overhead.processMicrosecondsPerExec.toFixed(2)} µs, js-yaml ${real.processRatio.toFixed(2)}x; ` +
          `bare loop on instrumented js-yaml ${Math.round(real.rates.bareInstrumented)} exec/s: instrumentation alone ${real.instrumentationRatio.toFixed(2)}x`,
      );
      console.log(
        `${mode} mode, details: js-yaml vs the bare loop on uninstrumented js-yaml (medians of the ${reps} runs): instrumentation alone ${real.instrumentationRatio.toFixed(2)}x, ` +
          `+ reading the kcov device and the novelty check ${real.readingRatio.toFixed(2)}x, + publishing each input for the watchdog ${real.publishingRatio.toFixed(2)}x, ` +
          `the engine ${real.ratio.toFixed(2)}x (the rest: mutation, scheduling, the corpus, and their effect on caches and GC)`,
      );
    }
    // Smoke runs are too short for 10 ms CPU ticks: they check that everything runs, not the figures.
    if (smoke && !(Number.isFinite(overhead.microsecondsPerExec) && Number.isFinite(real.ratio))) throw new Error(`fuzz engine smoke (${mode} mode): no figures`);
  }
} finally {
  fs.rmSync(workDir, { recursive: true, force: true });
  if (inputDir !== workDir) fs.rmSync(inputDir, { recursive: true, force: true });
}
