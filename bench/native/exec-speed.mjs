// Executions per second of libFuzzer and AFL++ (through native/harness.c and the persistent
// executor) against the built-in engine, on the same real targets with the same
// instrumentation, in steady state: the issue's target is "within 1.5x of the built-in
// engine's exec/s".
//
// What is measured, so that only the per-execution cost differs:
// - the targets of bench/fuzz (qs, fast-xml-parser, jpeg-js: the libraries instrumented
//   with --filter node_modules/<library>/**, from bench/fuzz/seeds), each wrapped so that a
//   finding does not end the run: the wrapper catches what fuzz() throws. libFuzzer stops at
//   its first finding, and a restart is a new Node process with a cold JIT, which is a cost
//   of finding bugs, not of executing inputs; the wrapper makes every engine run the same
//   kind of work without stopping;
// - comparisons off on every side (--no-cmp), or on on every side with --cmp;
// - steady state: each engine runs twice with the same seed, -runs=SHORT and -runs=LONG
//   (afl-fuzz: -E), and exec/s = (executions of the long run - of the short one) / (its
//   wall time - the short one's). The same seed replays the same first SHORT inputs, so the
//   difference leaves out start-up (Node, loading the target, the seeds, AFL++'s
//   calibration, the first JIT) and measures later executions only;
// - the engines interleaved in each round, medians of the rounds.
// Each engine makes its own inputs, so exec/s also depends on how costly they are for the
// library (libFuzzer's random bytes often fail qs's printable-ASCII check at once): the
// figure is the engines' speed on the same target, not the cost of one fixed input. So the
// wrapper also counts, in every process that runs the target, the inputs, their bytes and
// the time spent in the library (two clock reads per input), and a second table splits each
// engine's time per execution of the long run's extra executions into the library's part
// (its own inputs' cost) and the rest (mutation, feedback, and for libFuzzer and AFL++ the
// harness and the executor's round trip). The same -max_len is not the same lengths:
// libFuzzer's -len_control (default 100) raises its length limit slowly from the longest
// seed, the built-in engine and afl-fuzz mutate up to -max_len at once.
//
// AFL++ runs as `jskcov fuzz --engine afl` runs it by default ("afl": the direct AFL++ mode;
// afl-fuzz binds itself to a free core, and the harness and the executor inherit it), as
// "afl-piped" (JSKCOV_AFL_DIRECT=0: afl-fuzz -> harness -> executor, the default before
// session 8), and as "afl-no-affinity"
// (AFL_NO_AFFINITY=1: nothing bound, what this bench measured before). With --engines, also:
// "afl-executor-cpu" (afl-fuzz -b 0, JSKCOV_EXECUTOR_CPU=1: the executor alone on the other
// core, both sides spinning; docs/executor-protocol.md, "Where the executor runs"),
// "libfuzzer-one-core" (under taskset -c 0: libFuzzer, the harness and the executor on one
// core, where no one spins), "libfuzzer-no-spin" (JSKCOV_SPIN_US=0: both on any CPU, every
// wait blocks at once), and
// "libfuzzer-2^16" / "afl-2^16" (JSKCOV_FEEDBACK_SLOTS=65536, the feedback size before 2^13), and
// "afl-direct" (JSKCOV_AFL_DIRECT=1, the same as "afl" since it is the default: the executor
// speaks afl-fuzz's forkserver protocol itself, docs/executor-protocol.md, "The direct AFL++ mode").
//
// afl-fuzz's own floor (bench/native/afl-floor.mjs): "afl-native-floor" runs afl-fuzz, with
// the afl rows' flags (-i the library's seeds, -t, -G, -s, -E) and default placement, on a
// native target that does almost nothing per input (afl-floor-persistent.c: afl-cc's
// persistent mode with the input in shared memory, the same four switches per execution as
// through the harness, the same 8,192-byte map); "afl-direct-floor" on a forkserver that
// runs each input itself (afl-floor-direct.c: two switches). With a floor row, the table
// gives the best ratio any harness with that floor's switches could reach on the library:
// (1/built-in + 1/floor) / (1/built-in), the built-in engine's time per execution (its own
// mutation included) plus afl-fuzz's floor, over the built-in's.
//
//   npm run build && node bench/native/exec-speed.mjs [--targets qs,fast-xml-parser,jpeg-js] [--rounds 3] [--cmp]
//     [--engines builtin,libfuzzer,afl,afl-no-affinity,afl-executor-cpu,libfuzzer-one-core,libfuzzer-no-spin,libfuzzer-2^16,afl-2^16,
//      afl-piped,afl-direct,afl-native-floor,afl-direct-floor]

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { listOption, positiveOption } from "../options.mjs";
import { buildFloorTarget } from "./afl-floor.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");
const FUZZ_BENCH = join(REPO, "bench", "fuzz");
const JSKCOV = join(REPO, "dist/cli/jskcov.js");
const WORKDIR = join(REPO, "bench/workdir", `exec-speed-${process.pid}`);

/** Executions of the short and the long run, per target: the long run's extra executions take a few seconds. */
const TARGETS = {
  qs: { short: 20000, long: 120000 },
  "fast-xml-parser": { short: 20000, long: 120000 },
  "jpeg-js": { short: 1000, long: 4000 },
};
/** Each engine's jskcov --engine, the environment and the engine arguments it adds. */
const ENGINE_SETUPS = {
  builtin: { engine: "builtin", label: "built-in", env: {}, args: [] },
  libfuzzer: { engine: "libfuzzer", label: "libFuzzer", env: {}, args: [] },
  afl: { engine: "afl", label: "AFL++ (default: direct, one core)", env: {}, args: [] },
  "afl-piped": { engine: "afl", label: "AFL++ piped (JSKCOV_AFL_DIRECT=0)", env: { JSKCOV_AFL_DIRECT: "0" }, args: [] },
  "afl-no-affinity": { engine: "afl", label: "AFL++ AFL_NO_AFFINITY=1", env: { AFL_NO_AFFINITY: "1" }, args: [] },
  "afl-executor-cpu": { engine: "afl", label: "AFL++ -b 0, JSKCOV_EXECUTOR_CPU=1", env: { JSKCOV_EXECUTOR_CPU: "1" }, args: ["-b", "0"] },
  "libfuzzer-one-core": { engine: "libfuzzer", label: "libFuzzer on one core", env: {}, args: [], prefix: ["taskset", "-c", "0"] },
  "libfuzzer-no-spin": { engine: "libfuzzer", label: "libFuzzer JSKCOV_SPIN_US=0", env: { JSKCOV_SPIN_US: "0" }, args: [] },
  "libfuzzer-2^16": { engine: "libfuzzer", label: "libFuzzer 2^16 slots", env: { JSKCOV_FEEDBACK_SLOTS: "65536" }, args: [] },
  "afl-2^16": { engine: "afl", label: "AFL++ 2^16 slots", env: { JSKCOV_FEEDBACK_SLOTS: "65536" }, args: [] },
  "afl-direct": { engine: "afl", label: "AFL++ direct (JSKCOV_AFL_DIRECT=1)", env: { JSKCOV_AFL_DIRECT: "1" }, args: [] },
  "afl-native-floor": { engine: "afl", label: "afl-fuzz floor (afl-cc persistent)", env: {}, args: [], floor: "persistent" },
  "afl-direct-floor": { engine: "afl", label: "afl-fuzz floor (direct forkserver)", env: {}, args: [], floor: "direct" },
};
/** The same for every engine: an input running longer is a timeout (jpeg-js has slow inputs); no input longer than MAX_LEN. */
const TIMEOUT_SECONDS = 10;
const MAX_LEN = 4096;

const { values } = parseArgs({
  options: {
    // jpeg-js only on request: its inputs' cost varies so much (a few take seconds) that the
    // difference of two runs is not steady (it came out negative).
    targets: { type: "string", default: "qs,fast-xml-parser" },
    rounds: { type: "string", default: "3" },
    cmp: { type: "boolean", default: false },
    engines: { type: "string" },
  },
});
const ENGINES = listOption(values, "engines", Object.keys(ENGINE_SETUPS), ["builtin", "libfuzzer", "afl", "afl-no-affinity"]);
if (ENGINES[0] !== "builtin") throw new Error("--engines: the list starts with builtin (the figures are ratios to it)");
const targets = listOption(values, "targets", Object.keys(TARGETS));
const rounds = positiveOption(values, "rounds");

function installLibraries() {
  if (existsSync(join(FUZZ_BENCH, "node_modules", "qs"))) return;
  console.log("installing bench/fuzz's packages (npm ci)...");
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: FUZZ_BENCH, stdio: "inherit" });
  if (result.status !== 0) throw new Error("npm ci in bench/fuzz failed");
}

/** The environment variable naming the directory where the wrapped target writes what it ran. */
const PROBE_DIR_ENV = "EXEC_SPEED_PROBE_DIR";
/** The wrapper writes its counts every this many inputs (an executor is SIGKILLed at the end, with no exit handler). */
const PROBE_EVERY = 1024;

/**
 * bench/fuzz's target for `name`, wrapped so that nothing it throws ends the run, and so that
 * each process that runs it writes its inputs' count, bytes and time in the target to
 * $EXEC_SPEED_PROBE_DIR/<pid>.json.
 */
function noStopTarget(name) {
  const file = join(WORKDIR, `${name}.no-stop.fuzz.js`);
  writeFileSync(
    file,
    `// bench/native/exec-speed.mjs: ${name}'s fuzz target, whose findings do not stop any engine.\n` +
      `const { writeFileSync } = require("node:fs");\n` +
      `const { join } = require("node:path");\n` +
      `const { performance } = require("node:perf_hooks");\n` +
      `const { fuzz } = require(${JSON.stringify(join(FUZZ_BENCH, "targets", `${name}.fuzz.js`))});\n` +
      `const probeFile = join(process.env.${PROBE_DIR_ENV}, \`\${process.pid}.json\`);\n` +
      "const probe = { inputs: 0, bytes: 0, targetMs: 0 };\n" +
      "const writeProbe = () => writeFileSync(probeFile, JSON.stringify(probe));\n" +
      'process.on("exit", writeProbe);\n' +
      "module.exports.fuzz = function (data) {\n" +
      "  const started = performance.now();\n" +
      "  try {\n    fuzz(data);\n  } catch {}\n" +
      "  probe.targetMs += performance.now() - started;\n" +
      "  probe.bytes += data.length;\n" +
      `  if (++probe.inputs % ${PROBE_EVERY} === 0) writeProbe();\n` +
      "};\n",
  );
  return file;
}

/** What the wrapped target's processes of one run wrote: inputs, bytes, ms in the target (undefined for a floor). */
function readProbes(dir) {
  if (!existsSync(dir)) return undefined;
  const total = { inputs: 0, bytes: 0, targetMs: 0 };
  for (const file of readdirSync(dir)) {
    const probe = JSON.parse(readFileSync(join(dir, file), "utf8"));
    for (const key of Object.keys(total)) total[key] += probe[key];
  }
  return total.inputs > 0 ? total : undefined;
}

/** One run of `engine` for `runs` executions from the seeds: its wall time and the executions it made. */
function run(setupName, name, target, runs, label) {
  const { engine, env: engineEnv, args: extraArgs, prefix = [], floor } = ENGINE_SETUPS[setupName];
  const dir = join(WORKDIR, `${name}-${setupName}-${label}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(FUZZ_BENCH, "seeds", name), join(dir, "corpus"), { recursive: true });
  mkdirSync(join(dir, "probe"));
  const afl = engine === "afl";
  // -max_len for every engine (afl-fuzz: -G): each engine tries inputs of the same bound.
  // -reload=0 for libFuzzer, as the built-in engine and afl-fuzz behave: by default it rereads
  // its corpus directory once a second and runs what it finds, so its inputs depend on the
  // wall clock (two runs with the same seed parted after about 13,000 executions) and the
  // long run stops replaying the short one's.
  const engineSpecific = afl ? ["-o", join(dir, "afl-out")] : engine === "libfuzzer" ? ["-print_final_stats=1", "-reload=0"] : ["-print_final_stats=1"];
  const engineFlags = ["-seed=1", `-runs=${runs}`, `-timeout=${TIMEOUT_SECONDS}`, `-max_len=${MAX_LEN}`, ...engineSpecific, ...extraArgs];
  const args = [
    JSKCOV, "fuzz", "--engine", engine, "--root", FUZZ_BENCH, "--filter", `node_modules/${name}/**`, ...(values.cmp ? [] : ["--no-cmp"]),
    target, join(dir, "corpus"), "--", ...engineFlags,
  ];
  const env = { ...process.env, [PROBE_DIR_ENV]: join(dir, "probe"), NODE_OPTIONS: "", AFL_NO_UI: "1", AFL_SKIP_CPUFREQ: "1", AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: "1", ...engineEnv };
  // A floor row: afl-fuzz's command line exactly as jskcov fuzz --engine afl makes it, on the floor target.
  const floorArgs = floor === undefined ? undefined : ["afl-fuzz", ...aflCommand(floorInvocation(engineFlags), join(dir, "corpus")).args, "--", floorTargets[floor]];
  const started = process.hrtime.bigint();
  const [command, ...commandArgs] = floorArgs ?? [...prefix, process.execPath, ...args];
  const result = spawnSync(command, commandArgs, { cwd: dir, env, encoding: "utf8", maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`${engine} on ${name} (-runs=${runs}) exited with ${result.status}:\n${output.slice(-3000)}`);
  let executions;
  if (afl) {
    const stats = join(dir, "afl-out", "default", "fuzzer_stats");
    executions = Number(/^execs_done\s*:\s*(\d+)/m.exec(readFileSync(stats, "utf8"))[1]);
  } else {
    const match = /^stat::number_of_executed_units:\s*(\d+)/m.exec(output);
    if (match === null) throw new Error(`no stat::number_of_executed_units in the output of ${engine} on ${name}:\n${output.slice(-3000)}`);
    executions = Number(match[1]);
  }
  const probe = readProbes(join(dir, "probe"));
  rmSync(dir, { recursive: true, force: true });
  return { seconds, executions, probe };
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

/**
 * The long run's extra inputs as the wrapper counted them: their mean length, the time per
 * input in the target, and the rest of the time per execution at `speed` (undefined for a floor).
 */
function inputSplit(short, long, speed) {
  if (short === undefined || long === undefined) return undefined;
  const inputs = long.inputs - short.inputs;
  const targetUs = ((long.targetMs - short.targetMs) * 1000) / inputs;
  return { bytes: (long.bytes - short.bytes) / inputs, targetUs, restUs: 1e6 / speed - targetUs };
}

installLibraries();
// Built (and cached) before any run is timed: the first use of a changed harness compiles it.
process.env.JSKCOV_NATIVE_CACHE_DIR ??= join(REPO, "node_modules", ".cache", "babel-plugin-kcov"); // the same cache for the runs, whatever their cwd
const { buildHarness } = createRequire(import.meta.url)(join(REPO, "dist/fuzz/engines/native-build.js"));
const { aflCommand } = createRequire(import.meta.url)(join(REPO, "dist/fuzz/engines/afl.js"));
buildHarness("libfuzzer");
buildHarness("afl");
const floorTargets = Object.fromEntries(ENGINES.flatMap((engine) => (ENGINE_SETUPS[engine].floor === undefined ? [] : [[ENGINE_SETUPS[engine].floor, buildFloorTarget(ENGINE_SETUPS[engine].floor)]])));
/** What aflCommand needs of an invocation for the floor rows: the engine flags, comparisons off. */
const floorInvocation = (engineArgs) => ({ engineArgs, runConfig: { traceCmp: false } });
mkdirSync(WORKDIR, { recursive: true });
const loads = [loadavg()[0]];
try {
  const measured = {}; // target -> engine -> { speed: [], startup: [], split: [] }
  for (let round = 0; round < rounds; round++) {
    for (const name of targets) {
      const target = noStopTarget(name);
      measured[name] ??= {};
      for (const engine of ENGINES) {
        const short = run(engine, name, target, TARGETS[name].short, "short");
        const long = run(engine, name, target, TARGETS[name].long, "long");
        const speed = (long.executions - short.executions) / (long.seconds - short.seconds);
        // What the short run took beyond its executions at the steady speed: start-up and warm-up.
        const startup = short.seconds - short.executions / speed;
        const split = inputSplit(short.probe, long.probe, speed);
        const engineMeasured = (measured[name][engine] ??= { speed: [], startup: [], split: [] });
        engineMeasured.speed.push(speed);
        engineMeasured.startup.push(startup);
        if (split !== undefined) engineMeasured.split.push(split);
        const splitText = split === undefined ? "" : `; inputs ${split.bytes.toFixed(1)} bytes, target ${split.targetUs.toFixed(1)} µs + the rest ${split.restUs.toFixed(1)} µs per execution`;
        process.stderr.write(`round ${round + 1}: ${name} ${engine}: ${Math.round(speed)} exec/s (start-up and warm-up ${startup.toFixed(1)} s${splitText})\n`);
      }
      loads.push(loadavg()[0]);
    }
  }
  const lines = [
    `exec/s in steady state, ${rounds} rounds (medians), comparisons ${values.cmp ? "on (every engine)" : "off (--no-cmp, every engine)"}, ` +
      `node ${process.version}, load average ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}`,
    "",
    `| library | ${ENGINES.map((engine) => `${ENGINE_SETUPS[engine].label} exec/s`).join(" | ")} | ${ENGINES.slice(1).map((engine) => `built-in / ${ENGINE_SETUPS[engine].label}`).join(" | ")} | start-up + warm-up, s (same order) | each round (same order) |`,
    `|---|${ENGINES.map(() => "---:|").join("")}${ENGINES.slice(1).map(() => "---:|").join("")}---|---|`,
  ];
  for (const name of targets) {
    const of = (engine) => median(measured[name][engine].speed);
    const ratio = (engine) => `${(of("builtin") / of(engine)).toFixed(2)}x`;
    const startups = ENGINES.map((engine) => median(measured[name][engine].startup).toFixed(1)).join(", ");
    const each = measured[name].builtin.speed.map((_, i) => ENGINES.map((engine) => Math.round(measured[name][engine].speed[i])).join("/")).join("; ");
    lines.push(`| ${name} | ${ENGINES.map((engine) => Math.round(of(engine))).join(" | ")} | ${ENGINES.slice(1).map(ratio).join(" | ")} | ${startups} | ${each} |`);
  }
  lines.push(
    "",
    "Per execution of the long run's extra executions (medians; the wrapper's counts): the inputs' mean length, the time in the library, and the rest (the engine, and the harness and executor's path).",
    "",
    "| library | engine | input bytes | library µs | the rest µs | each round (bytes, library + rest µs) |",
    "|---|---|---:|---:|---:|---|",
  );
  for (const name of targets) {
    for (const engine of ENGINES.filter((engine) => measured[name][engine].split.length > 0)) {
      const splits = measured[name][engine].split;
      const of = (key) => median(splits.map((split) => split[key])).toFixed(1);
      const each = splits.map((split) => `${split.bytes.toFixed(1)}, ${split.targetUs.toFixed(1)} + ${split.restUs.toFixed(1)}`).join("; ");
      lines.push(`| ${name} | ${ENGINE_SETUPS[engine].label} | ${of("bytes")} | ${of("targetUs")} | ${of("restUs")} | ${each} |`);
    }
  }
  const floors = ENGINES.filter((engine) => ENGINE_SETUPS[engine].floor !== undefined);
  if (floors.length > 0) {
    lines.push("", "| library | floor | built-in µs/exec | floor µs/exec | best possible built-in / AFL++ (built-in + floor, over built-in) | each round |", "|---|---|---:|---:|---:|---|");
    for (const name of targets) {
      const us = (speed) => 1e6 / speed;
      for (const engine of floors) {
        const best = (builtin, floorSpeed) => (us(builtin) + us(floorSpeed)) / us(builtin);
        const each = measured[name].builtin.speed.map((speed, i) => `${best(speed, measured[name][engine].speed[i]).toFixed(2)}x`).join(", ");
        const builtin = median(measured[name].builtin.speed), floorSpeed = median(measured[name][engine].speed);
        lines.push(`| ${name} | ${ENGINE_SETUPS[engine].label} | ${us(builtin).toFixed(1)} | ${us(floorSpeed).toFixed(1)} | ${best(builtin, floorSpeed).toFixed(2)}x | ${each} |`);
      }
    }
  }
  lines.push("", "Target: built-in / engine at most 1.5x.", "");
  process.stdout.write(lines.join("\n"));
} finally {
  rmSync(WORKDIR, { recursive: true, force: true });
}
