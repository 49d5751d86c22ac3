// The fuzzing benchmark: real npm libraries at versions with known, public bugs that a
// fuzzer can reach, each fuzzed in the same run, interleaved, with several seeds, by
//   guided           jskcov's built-in engine, guided by the kcov buffer and by comparisons
//   no-cmp           the same, coverage only (--no-cmp)
//   blind            the same engine with no feedback at all (-use_feedback=0 --no-cmp)
//   libfuzzer        the real libFuzzer (`jskcov fuzz --engine libfuzzer`, its defaults: with
//                    comparisons passed on where the harness has the comparison bridge)
//   libfuzzer-blind  the same with --no-cmp -use_feedback=0 -keep_seed=1: the harness reports
//                    one constant counter per run, so libFuzzer keeps its seeds and never sees coverage
//   afl              the real afl-fuzz (`jskcov fuzz --engine afl`, its defaults)
//   afl-blind        --no-cmp and afl-fuzz's own non-instrumented mode (-n, with AFL_DUMB_FORKSRV=1
//                    so the persistent executor still serves it): afl-fuzz ignores the bitmap
//   jsfuzz           npm jsfuzz (istanbul-guided)
// Per (library, fuzzer, seed) it measures (bench/fuzz/README.md says how, fuzzer by fuzzer):
// - time and executions to the first finding, time counted from the end of the fuzzer's
//   start-up (libFuzzer's INITED line, afl-fuzz's fuzzing loop, jsfuzz's READ line);
// - PCs covered after --time seconds: the library's kcov blocks that the inputs the fuzzer
//   kept (its corpus or queue, and its findings) reach, replayed once under
//   `jskcov run --filter <the library>` (replay.cjs): one unit for every fuzzer; for the
//   built-in engine also its own count of the blocks that ran;
// - executions in the time and executions per second (after start-up).
//
//   npm run bench:fuzz                          full run, writes bench/fuzz/results.{json,md}
//   node bench/fuzz/run.mjs --smoke             3 s, one seed, qs, every fuzzer, nothing written
//   node bench/fuzz/run.mjs --time 10 --seeds 1 --targets qs --fuzzers guided,libfuzzer --no-write
//   node bench/fuzz/run.mjs --help

import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { listOption, positiveOption } from "../options.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = join(BENCH, "..", "..");
const JSKCOV = join(REPO, "dist/cli/jskcov.js");
const NATIVE_BUILD = join(REPO, "dist/fuzz/engines/native-build.js");
const JSFUZZ = join(BENCH, "node_modules/jsfuzz/build/src/index.js");
const WORKDIR = join(REPO, "bench/workdir", `fuzz-${process.pid}`);

/** The libraries; `bug` names the public report of what a finding is. */
const TARGETS = [
  {
    name: "jpeg-js",
    bug: "TypeError on a scan before a frame and similar marker orders: jpeg-js/jpeg-js issues #63, #80, #94-#97, #112",
  },
  {
    name: "qs",
    bug: "parse(stringify(parse(s))) differs from parse(s): ljharb/qs issue #340 (found by jsfuzz)",
  },
  {
    name: "fast-xml-parser",
    bug: "XMLValidator.validate throws a TypeError on a closing tag never opened: NaturalIntelligence/fast-xml-parser issues #573, #620",
  },
];

/** An input running longer than this is a hang (a timeout finding), for every fuzzer. */
const HANG_SECONDS = 3;

/** The fuzzers, in table order; `run` gives one seed's measurements. */
const FUZZERS = {
  guided: { engine: "builtin", run: (target, seed, seconds, run) => runBuiltin(target, seed, seconds, { feedback: true, cmp: true, ...run }) },
  "no-cmp": { engine: "builtin", run: (target, seed, seconds, run) => runBuiltin(target, seed, seconds, { feedback: true, cmp: false, ...run }) },
  blind: { engine: "builtin", run: (target, seed, seconds, run) => runBuiltin(target, seed, seconds, { feedback: false, cmp: false, ...run }) },
  libfuzzer: { engine: "libfuzzer", run: (target, seed, seconds) => runLibFuzzer(target, seed, seconds, { feedback: true }) },
  "libfuzzer-blind": { engine: "libfuzzer", run: (target, seed, seconds) => runLibFuzzer(target, seed, seconds, { feedback: false }) },
  afl: { engine: "afl", run: (target, seed, seconds) => runAfl(target, seed, seconds, { feedback: true }) },
  "afl-blind": { engine: "afl", run: (target, seed, seconds) => runAfl(target, seed, seconds, { feedback: false }) },
  jsfuzz: { engine: "jsfuzz", run: (target, seed, seconds) => runJsfuzz(target, seconds) },
};

/** --empty-corpus: every fuzzer starts from an empty corpus instead of seeds/<library>. */
let emptyCorpus = false;

const USAGE = `usage: node bench/fuzz/run.mjs [--time S] [--seeds N] [--runs N] [--cover-seeds N] [--targets a,b] [--fuzzers a,b] [--empty-corpus] [--no-write] [--smoke]
  --runs N         the built-in engine's runs to the first finding get a budget of N executions
                   (-runs=N, and 10x --time at most) instead of --time: executions to it then do
                   not depend on the machine's load; a run without a finding in N counts as > N
  --cover-seeds N  the runs for PCs after --time (and executions in it) only for the first N seeds
  --smoke          a quick look: --time 3 --seeds 1 --targets qs --no-write (every fuzzer unless --fuzzers)
targets: ${TARGETS.map((t) => t.name).join(", ")}
fuzzers: ${Object.keys(FUZZERS).join(", ")}`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      time: { type: "string" },
      seeds: { type: "string" },
      runs: { type: "string" },
      "cover-seeds": { type: "string" },
      targets: { type: "string" },
      fuzzers: { type: "string" },
      "empty-corpus": { type: "boolean", default: false },
      "no-write": { type: "boolean", default: false },
      smoke: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.smoke) {
    values.time ??= "3";
    values.seeds ??= "1";
    values.targets ??= "qs";
    values["no-write"] = true;
  }
  const positive = (name, fallback) => positiveOption(values, name, fallback);
  const pick = (name, known, fallback) => listOption(values, name, known, fallback);
  const fuzzers = pick("fuzzers", Object.keys(FUZZERS));
  const seeds = positive("seeds", "3");
  return {
    seconds: positive("time", "20"),
    seeds,
    runs: values.runs === undefined ? undefined : positive("runs"),
    coverSeeds: Math.min(seeds, positive("cover-seeds", String(seeds))),
    targets: TARGETS.filter((t) => pick("targets", TARGETS.map((x) => x.name)).includes(t.name)),
    fuzzers: Object.keys(FUZZERS).filter((name) => fuzzers.includes(name)),
    emptyCorpus: values["empty-corpus"],
    write: !values["no-write"],
  };
}

/** The libraries and jsfuzz live in bench/fuzz's own package, installed here, not in the project's devDependencies. */
function installBenchPackages() {
  if (existsSync(JSFUZZ)) return;
  console.log("installing bench/fuzz's packages (npm ci)...");
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: BENCH, stdio: "inherit" });
  if (result.status !== 0) throw new Error("npm ci in bench/fuzz failed");
}

/** Compiles the native harnesses before the first timed run (cached by jskcov; an error names the missing packages). */
function buildHarnesses(fuzzers) {
  for (const kind of ["libfuzzer", "afl"]) {
    if (!fuzzers.some((name) => FUZZERS[name].engine === kind)) continue;
    const result = spawnSync(process.execPath, [NATIVE_BUILD, kind], { cwd: BENCH, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`building the ${kind} harness failed (leave out its fuzzers with --fuzzers):\n${result.stderr}`);
  }
}

function libraryVersion(name) {
  return JSON.parse(readFileSync(join(BENCH, "node_modules", name, "package.json"), "utf8")).version;
}

/** A fresh corpus directory holding the target's seeds (none with --empty-corpus). */
function seededCorpus(target, label) {
  const dir = mkdtempSync(join(WORKDIR, `${target.name}-${label}-`));
  if (emptyCorpus) mkdirSync(join(dir, "corpus"));
  else cpSync(join(BENCH, "seeds", target.name), join(dir, "corpus"), { recursive: true });
  mkdirSync(join(dir, "artifacts"));
  return { dir, corpus: join(dir, "corpus"), artifacts: join(dir, "artifacts") };
}

/** Runs a command to its end or until `seconds` pass (then kills its process group); lines of output as they come. */
function runProcess(command, args, { cwd, seconds, onLine, env = {} }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "", ...env } });
    let output = "";
    const feed = (stream) => {
      let pending = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        output += chunk;
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop();
        for (const line of lines) onLine?.(line, (performance.now() - started) / 1000);
      });
    };
    feed(child.stdout);
    feed(child.stderr);
    const kill = () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(kill, seconds * 1000);
    child.on("exit", (status, signal) => {
      clearTimeout(timer);
      kill(); // a worker or executor, if its parent left it behind
      resolve({ status, signal, output, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** `jskcov fuzz` for one library: the command up to `--`; the engine flags follow. */
function jskcovFuzzCommand(target, dirs, { engine = "builtin", cmp = true } = {}) {
  return [
    JSKCOV, "fuzz", "--engine", engine, "--root", BENCH, "--filter", `node_modules/${target.name}/**`, ...(cmp ? [] : ["--no-cmp"]),
    join(BENCH, "targets", `${target.name}.fuzz.js`), dirs.corpus, "--",
  ];
}

function statOf(output, name) {
  const match = new RegExp(`^stat::${name}:\\s*(\\d+)`, "m").exec(output);
  return match === null ? undefined : Number(match[1]);
}

/** The built-in engine's own count of the PCs that ran in the session (blind or not), from its summary line. */
function reportedPcs(output) {
  const match = /PCs covered: (\d+) of (\d+) registered/.exec(output);
  if (match === null) throw new Error(`no "PCs covered" line in jskcov fuzz's output:\n${output.slice(-2000)}`);
  return { enginePcs: Number(match[1]), registered: Number(match[2]) };
}

/** PCs of the library that the inputs in `dirs` reach, counted by `jskcov run` on a replay (hang inputs are left out). */
function coveredPcs(target, ...dirs) {
  const out = join(dirname(dirs[0]), "replay.kcov");
  const result = spawnSync(process.execPath, [
    JSKCOV, "run", "--root", BENCH, "--filter", `node_modules/${target.name}/**`, "--out", out, "--",
    join(BENCH, "replay.cjs"), join(BENCH, "targets", `${target.name}.fuzz.js`), ...dirs.filter((dir) => existsSync(dir)),
  ], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
  if (result.status !== 0) throw new Error(`replay of ${dirs.join(" ")} failed: ${result.stderr}`);
  const area = readFileSync(out);
  const blocks = JSON.parse(readFileSync(`${out}.blocks.json`, "utf8"));
  return { pcs: Number(area.readBigUInt64LE(0)), registered: registeredBlocks(blocks), keptInputs: Number(result.stdout.trim()) };
}

function registeredBlocks(blockMap) {
  const files = Array.isArray(blockMap) ? blockMap : (blockMap.files ?? []);
  return files.reduce((sum, file) => sum + (file.blockCount ?? file.blocks?.length ?? 0), 0);
}

/** libFuzzer's and jskcov's line for a finding. */
const FINDING_LINE = /ERROR: (jskcov|libFuzzer): /;
/** libFuzzer's exit statuses for a crash, a timeout and an out-of-memory input (jskcov uses the same). */
const FINDING_STATUSES = [77, 70, 71];

/**
 * The built-in engine: one run that stops at the first finding (time and executions to
 * it), one that goes on after findings for the whole time (PCs, executions, exec/s).
 */
async function runBuiltin(target, seed, seconds, { feedback, cmp, runs, cover: measureCover = true }) {
  const label = `builtin-${feedback ? "guided" : "blind"}${cmp ? "" : "-nocmp"}`;
  const flags = (dirs, limit = [`-max_total_time=${seconds}`]) => [
    `-seed=${seed}`, ...limit, `-use_feedback=${feedback ? 1 : 0}`,
    `-artifact_prefix=${dirs.artifacts}/`, "-print_final_stats=1", `-timeout=${HANG_SECONDS}`,
  ];
  // With an execution budget, the time is only a bound against a run that never ends.
  const findLimit = runs === undefined ? undefined : [`-runs=${runs}`, `-max_total_time=${10 * seconds}`];
  const find = seededCorpus(target, `${label}-find`);
  let startedAt;
  let foundAt;
  const first = await runProcess(process.execPath, [...jskcovFuzzCommand(target, find, { cmp }), ...flags(find, findLimit)], {
    cwd: BENCH,
    seconds: (runs === undefined ? 1 : 10) * seconds + 60,
    onLine: (line, at) => {
      if (/^#\d+\s+INITED/.test(line)) startedAt ??= at;
      if (FINDING_LINE.test(line)) foundAt ??= at;
    },
  });
  const found = FINDING_STATUSES.includes(first.status) && readdirSync(find.artifacts).length > 0 && foundAt !== undefined;
  if (!found && first.status !== 0) throw new Error(`jskcov fuzz (${label}, ${target.name}, seed ${seed}) exited with ${first.status}:\n${first.output.slice(-2000)}`);
  const finding = {
    found,
    secondsToFinding: found ? foundAt - (startedAt ?? 0) : undefined,
    executionsToFinding: found ? statOf(first.output, "number_of_executed_units") : undefined,
  };
  if (!measureCover) return finding;

  const cover = seededCorpus(target, `${label}-cover`);
  let coverStartedAt;
  const second = await runProcess(process.execPath, [...jskcovFuzzCommand(target, cover, { cmp }), ...flags(cover), "-ignore_crashes=1", "-ignore_timeouts=1"], {
    cwd: BENCH,
    seconds: seconds + 60,
    onLine: (line, at) => {
      if (/^#\d+\s+INITED/.test(line)) coverStartedAt ??= at;
    },
  });
  if (![0, ...FINDING_STATUSES].includes(second.status)) throw new Error(`jskcov fuzz (${label}, ${target.name}, seed ${seed}) exited with ${second.status}:\n${second.output.slice(-2000)}`);
  const executions = statOf(second.output, "number_of_executed_units");
  return {
    ...finding,
    executions,
    executionsPerSecond: executions / (second.seconds - (coverStartedAt ?? 0)),
    ...reportedPcs(second.output),
    ...coveredPcs(target, cover.corpus, cover.artifacts),
  };
}

/**
 * libFuzzer stops at its first finding (outside -fork mode), so, as jsfuzz, it is restarted
 * on its own corpus until the time is up; the first run gives the time and executions to
 * the first finding. Fuzzing time is counted from each run's INITED line to its end.
 */
async function runLibFuzzer(target, seed, seconds, { feedback }) {
  const dirs = seededCorpus(target, `libfuzzer-${feedback ? "guided" : "blind"}`);
  const started = performance.now();
  let finding;
  let executions = 0;
  let fuzzingSeconds = 0;
  for (let restart = 0, left = seconds; left >= 1; restart++, left = seconds - (performance.now() - started) / 1000) {
    let initedAt;
    let foundAt;
    const engineFlags = [
      `-seed=${seed + 1000 * restart}`, `-max_total_time=${Math.floor(left)}`, `-artifact_prefix=${dirs.artifacts}/`,
      "-print_final_stats=1", `-timeout=${HANG_SECONDS}`, ...(feedback ? [] : ["-use_feedback=0", "-keep_seed=1"]),
    ];
    const run = await runProcess(process.execPath, [...jskcovFuzzCommand(target, dirs, { engine: "libfuzzer", cmp: feedback }), ...engineFlags], {
      cwd: BENCH,
      seconds: left + 60,
      onLine: (line, at) => {
        if (/^#\d+\s+INITED/.test(line)) initedAt ??= at;
        if (FINDING_LINE.test(line)) foundAt ??= at;
      },
    });
    const found = FINDING_STATUSES.includes(run.status);
    if (!found && run.status !== 0) throw new Error(`libFuzzer (${target.name}, seed ${seed}) exited with ${run.status}:\n${run.output.slice(-2000)}`);
    const runExecutions = statOf(run.output, "number_of_executed_units") ?? 0;
    if (found && finding === undefined) {
      finding = { seconds: fuzzingSeconds + (foundAt ?? run.seconds) - (initedAt ?? 0), executions: executions + runExecutions };
    }
    executions += runExecutions;
    fuzzingSeconds += run.seconds - (initedAt ?? run.seconds);
    if (!found) break;
  }
  return {
    found: finding !== undefined,
    secondsToFinding: finding?.seconds,
    executionsToFinding: finding?.executions,
    executions,
    executionsPerSecond: executions / fuzzingSeconds,
    ...coveredPcs(target, dirs.corpus, dirs.artifacts),
  };
}

/** afl-fuzz's findings (crashes and hangs) with the time (ms since its fuzzing loop began) and executions in their names. */
function aflFindings(instance) {
  const findings = [];
  for (const folder of ["crashes", "hangs"]) {
    const dir = join(instance, folder);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const match = /,time:(\d+),execs:(\d+)/.exec(name);
      // src: the queue entry it was made from (000000: the seed), op: afl-fuzz's stage.
      const origin = /src:(\d+).*,op:([a-z0-9_]+)/.exec(name);
      if (match !== null) findings.push({ seconds: Number(match[1]) / 1000, executions: Number(match[2]), from: origin === null ? undefined : `src:${origin[1]} op:${origin[2]}` });
    }
  }
  return findings.sort((a, b) => a.seconds - b.seconds);
}

/** Queue cycles afl-fuzz completed (fuzzer_stats; none in -n mode). */
function aflCycles(instance) {
  const stats = join(instance, "fuzzer_stats");
  return existsSync(stats) ? Number(/^cycles_done\s*:\s*(\d+)/m.exec(readFileSync(stats, "utf8"))?.[1]) : undefined;
}

/** afl-fuzz's total executions: fuzzer_stats (instrumented mode), else the last row of plot_data (-n writes no fuzzer_stats). */
function aflExecutions(instance) {
  const stats = join(instance, "fuzzer_stats");
  if (existsSync(stats)) return Number(/^execs_done\s*:\s*(\d+)/m.exec(readFileSync(stats, "utf8"))[1]);
  const rows = readFileSync(join(instance, "plot_data"), "utf8").trim().split("\n").filter((row) => !row.startsWith("#"));
  return rows.length === 0 ? 0 : Number(rows.at(-1).split(",")[11]);
}

/**
 * afl-fuzz goes on after findings by itself: one run of -max_total_time (afl-fuzz's -V,
 * which counts from its fuzzing loop, after the executor's start and the seeds' dry run).
 * Blind is afl-fuzz's non-instrumented mode.
 */
async function runAfl(target, seed, seconds, { feedback }) {
  const dirs = seededCorpus(target, `afl-${feedback ? "guided" : "blind"}`);
  const output = join(dirs.dir, "afl-out");
  const engineFlags = [`-seed=${seed}`, `-max_total_time=${seconds}`, `-timeout=${HANG_SECONDS}`, `-artifact_prefix=${dirs.artifacts}/`, "-o", output, ...(feedback ? [] : ["-n"])];
  const env = { AFL_NO_UI: "1", AFL_NO_AFFINITY: "1", ...(feedback ? {} : { AFL_DUMB_FORKSRV: "1" }) };
  const run = await runProcess(process.execPath, [...jskcovFuzzCommand(target, dirs, { engine: "afl", cmp: feedback }), ...engineFlags], { cwd: BENCH, seconds: seconds + 90, env });
  // afl-fuzz's instance directory: <out>/default, or <out> itself in -n mode.
  const instance = existsSync(join(output, "default")) ? join(output, "default") : output;
  if (run.status !== 0 || !existsSync(join(instance, "plot_data"))) throw new Error(`afl-fuzz (${target.name}, seed ${seed}) exited with ${run.status}:\n${run.output.slice(-2000)}`);
  const first = aflFindings(instance)[0];
  const executions = aflExecutions(instance);
  return {
    found: first !== undefined,
    secondsToFinding: first?.seconds,
    executionsToFinding: first?.executions,
    firstFindingFrom: first?.from,
    queueCycles: aflCycles(instance),
    executions,
    executionsPerSecond: executions / seconds,
    ...coveredPcs(target, join(instance, "queue"), join(instance, "crashes")),
  };
}

async function runJsfuzz(target, seconds) {
  const dirs = seededCorpus(target, "jsfuzz");
  const started = performance.now();
  let finding;
  let startedAt;
  let lastCount = 0;
  let executions = 0;
  let fuzzingSeconds = 0;
  let startupTimeouts = 0;
  // Restarted after each finding (it stops there) until the time is up, on the same corpus.
  for (let left = seconds; left > 0.5; left = seconds - (performance.now() - started) / 1000) {
    const offset = (performance.now() - started) / 1000;
    // jsfuzz resolves the target against its working directory, even an absolute path.
    // It runs jsfuzz-count.cjs, which runs the library's target and counts its calls.
    const targetPath = relative(dirs.artifacts, join(BENCH, "jsfuzz-count.cjs"));
    const countFile = join(dirs.dir, "calls");
    rmSync(countFile, { force: true });
    const calls = () => (existsSync(countFile) ? Number(readFileSync(countFile, "utf8")) : 0);
    let sawFinding = false;
    let timedOut = false;
    let readAt;
    let findingLine;
    const run = await runProcess(process.execPath, [JSFUZZ, targetPath, dirs.corpus, `--timeout=${HANG_SECONDS}`], {
      cwd: dirs.artifacts,
      seconds: left,
      env: { JSFUZZ_TARGET: join(BENCH, "targets", `${target.name}.fuzz.js`), JSFUZZ_COUNT_FILE: countFile },
      onLine: (line, at) => {
        const status = /^#(\d+) /.exec(line);
        if (status) lastCount = Number(status[1]);
        if (/^#0 READ/.test(line)) {
          readAt ??= at;
          startedAt ??= offset + at;
        }
        if (!/^(crash was written to |timeout reached)/.test(line)) return;
        if (line.startsWith("timeout reached")) timedOut = true;
        sawFinding = true;
        findingLine ??= offset + at - (startedAt ?? 0);
      },
    });
    // The worker's count, written when the finding threw, is exact; the status line is a lower bound.
    const runExecutions = Math.max(lastCount, calls());
    // jsfuzz's clock for an input starts before its worker has loaded (and istanbul has
    // instrumented) the target: under load that takes longer than -timeout, and jsfuzz
    // reports a timeout before any input ran (no execution counted: its first completed one
    // prints NEW). That is its start-up, not the library's bug: not a finding.
    const startupTimeout = timedOut && runExecutions === 0;
    if (startupTimeout) startupTimeouts++;
    if (sawFinding && !startupTimeout) finding ??= { seconds: findingLine, executions: executions + runExecutions };
    if (run.signal !== "SIGKILL" && !sawFinding) throw new Error(`jsfuzz (${target.name}) stopped without a finding:\n${run.output.slice(-2000)}`);
    executions += runExecutions;
    fuzzingSeconds += run.seconds - (readAt ?? run.seconds);
    lastCount = 0;
    if (run.signal === "SIGKILL") break;
  }
  return {
    found: finding !== undefined,
    secondsToFinding: finding?.seconds,
    executionsToFinding: finding?.executions,
    startupTimeouts,
    executions,
    executionsPerSecond: fuzzingSeconds > 0 ? executions / fuzzingSeconds : undefined,
    ...coveredPcs(target, dirs.corpus, dirs.artifacts),
  };
}

function median(values) {
  const sorted = values.filter((v) => v !== undefined && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median over all seeds, counting a run without a finding as "more than the time": undefined if half or more found nothing. */
function medianToFinding(runs, key) {
  const found = runs.filter((r) => r.found);
  if (found.length * 2 <= runs.length) return undefined;
  return median(runs.map((r) => (r.found ? r[key] : Infinity)));
}

function summarize(results, options) {
  const rows = [];
  for (const target of options.targets) {
    for (const fuzzer of options.fuzzers) {
      const runs = results.filter((r) => r.target === target.name && r.fuzzer === fuzzer);
      rows.push({
        target: target.name,
        fuzzer,
        found: `${runs.filter((r) => r.found).length}/${runs.length}`,
        secondsToFinding: medianToFinding(runs, "secondsToFinding"),
        executionsToFinding: medianToFinding(runs, "executionsToFinding"),
        pcs: median(runs.map((r) => r.pcs)),
        enginePcs: median(runs.map((r) => r.enginePcs)),
        registered: runs[0]?.registered,
        executions: median(runs.map((r) => r.executions)),
        executionsPerSecond: median(runs.map((r) => r.executionsPerSecond)),
      });
    }
  }
  return rows;
}

/** Whether this checkout's harness passes comparisons on to libFuzzer and afl-fuzz (their guided runs then trace comparisons). */
const COMPARISON_BRIDGE = existsSync(join(REPO, "native/compare-bridge.c"));

/**
 * The issue's speed target: libFuzzer and AFL++ within 1.5x of the built-in engine's exec/s
 * (medians of the same run, same library). The built-in engine is compared twice: as it
 * runs by default (guided, with comparison tracing) and coverage only (no-cmp), since
 * comparison tracing is most of the difference in cost and the native engines have it only
 * with the comparison bridge.
 */
const SPEED_TARGET = 1.5;

function speedRows(rows, options) {
  const out = [];
  for (const target of options.targets) {
    const of = (fuzzer) => rows.find((r) => r.target === target.name && r.fuzzer === fuzzer)?.executionsPerSecond;
    for (const native of ["libfuzzer", "afl"]) {
      const speed = of(native);
      if (speed === undefined) continue;
      for (const builtinFuzzer of ["guided", "no-cmp"]) {
        const builtin = of(builtinFuzzer);
        if (builtin === undefined) continue;
        out.push({ target: target.name, native, builtinFuzzer, builtin, speed, ratio: builtin / speed, met: builtin / speed <= SPEED_TARGET });
      }
    }
  }
  return out;
}

/**
 * Issue 9's claim, per library: a guided built-in engine against the blind one (and
 * coverage only against blind, where only the kcov feedback differs): fewer seconds and
 * fewer executions to the first finding, more PCs of the kept inputs. A median of a few
 * seeds can be luck, so each comparison also gives the quartiles over the seeds, the
 * Vargha-Delaney A12 (the probability that a run of the fuzzer needs less than a run of
 * blind, ties counting half: 0.5 is no difference, 0.71 and above a large effect) and the
 * two-sided p of the Mann-Whitney U test (Klees et al., "Evaluating Fuzz Testing", 2018).
 * A run without a finding counts as more than any run with one. "beats" needs p < 0.05.
 */
/** Each guided fuzzer and the same engine blind, compared by guidanceRows (issue 9: the built-in engine; issue 10: the native ones). */
const BLIND_OF = [["guided", "blind"], ["no-cmp", "blind"], ["libfuzzer", "libfuzzer-blind"], ["afl", "afl-blind"]];

function guidanceRows(rows, results, options) {
  const out = [];
  const values = (target, fuzzer, key) => results.filter((r) => r.target === target && r.fuzzer === fuzzer).map((r) => (r.found ? r[key] : Infinity));
  const pcs = (target, fuzzer) => results.filter((r) => r.target === target && r.fuzzer === fuzzer && r.pcs !== undefined).map((r) => r.pcs);
  for (const target of options.targets) {
    for (const [fuzzer, blindFuzzer] of BLIND_OF) {
      const row = rows.find((r) => r.target === target.name && r.fuzzer === fuzzer);
      const blind = rows.find((r) => r.target === target.name && r.fuzzer === blindFuzzer);
      if (row === undefined || blind === undefined) continue;
      const compare = (key) => ({ ...lessThan(values(target.name, fuzzer, key), values(target.name, blindFuzzer, key)), quartiles: quartiles(values(target.name, fuzzer, key)), blindQuartiles: quartiles(values(target.name, blindFuzzer, key)) });
      // PCs: more is better, so blind's PCs below the fuzzer's.
      const morePcs = lessThan(pcs(target.name, blindFuzzer), pcs(target.name, fuzzer));
      out.push({ target: target.name, fuzzer, blindFuzzer, row, blind, seconds: compare("secondsToFinding"), executions: compare("executionsToFinding"), pcs: { ...morePcs, won: row.pcs > blind.pcs } });
    }
  }
  return out;
}

/** The 25th, 50th and 75th percentiles (linear interpolation; Infinity stays Infinity). */
function quartiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const at = (q) => {
    const position = q * (sorted.length - 1);
    const low = Math.floor(position);
    const fraction = position - low;
    if (fraction === 0) return sorted[low];
    if (sorted[low + 1] === Infinity) return Infinity;
    return sorted[low] + (sorted[low + 1] - sorted[low]) * fraction;
  };
  return [at(0.25), at(0.5), at(0.75)];
}

/**
 * Whether the values `xs` tend to be below `ys`: A12 = P(x < y) + P(x = y) / 2, and the
 * two-sided p of the Mann-Whitney U test (normal approximation with the tie correction and
 * a continuity correction; fine from about 8 values a side). `won`: A12 > 0.5 and p < 0.05.
 */
function lessThan(xs, ys) {
  if (xs.length === 0 || ys.length === 0) return { a12: undefined, p: undefined, won: false };
  let u = 0;
  for (const x of xs) for (const y of ys) u += x < y ? 1 : x === y ? 0.5 : 0;
  const n1 = xs.length;
  const n2 = ys.length;
  const n = n1 + n2;
  const ties = new Map();
  for (const v of [...xs, ...ys]) ties.set(v, (ties.get(v) ?? 0) + 1);
  const tieTerm = [...ties.values()].reduce((sum, t) => sum + t ** 3 - t, 0) / (n * (n - 1));
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm);
  const mean = (n1 * n2) / 2;
  const z = variance > 0 ? Math.max(0, Math.abs(u - mean) - 0.5) / Math.sqrt(variance) : 0;
  const p = Math.min(1, 2 * (1 - normalCdf(z)));
  const a12 = u / (n1 * n2);
  return { a12, p, won: a12 > 0.5 && p < 0.05 };
}

/** The standard normal distribution function (Abramowitz and Stegun 26.2.17, error below 1e-7). */
function normalCdf(z) {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const density = Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
  const tail = density * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return z >= 0 ? 1 - tail : tail;
}

function markdown(rows, speed, options, versions, run, guidance) {
  const command = `node bench/fuzz/run.mjs --time ${options.seconds} --seeds ${options.seeds}${options.emptyCorpus ? " --empty-corpus" : ""}` +
    (options.runs === undefined ? "" : ` --runs ${options.runs}`) + (options.coverSeeds < options.seeds ? ` --cover-seeds ${options.coverSeeds}` : "") +
    (options.fuzzers.length < Object.keys(FUZZERS).length ? ` --fuzzers ${options.fuzzers.join(",")}` : "") +
    (options.targets.length < TARGETS.length ? ` --targets ${options.targets.map((t) => t.name).join(",")}` : "");
  const time = (v) => (v === undefined ? `> ${options.seconds} s` : v.toFixed(1));
  const count = (v) => (v === undefined ? "-" : String(Math.round(v)));
  const lines = [
    `Medians over ${options.seeds} seed(s), ${options.seconds} s per run, ${options.emptyCorpus ? "from an empty corpus" : "from the seed corpus"}; ` +
      `one machine, one run (\`${command}\`).` +
      (options.runs === undefined ? "" : ` The built-in engine's runs to the first finding had a budget of ${options.runs} executions (a bound of ${10 * options.seconds} s), not ${options.seconds} s.`) +
      (options.coverSeeds < options.seeds ? ` Its PCs and executions after ${options.seconds} s are from seeds 1-${options.coverSeeds}.` : ""),
    "",
    `Run: ${run.start} to ${run.end}, commit ${run.commit}, Node ${process.version}, ${run.cores} cores; load average (1, 5, 15 min) ` +
      `${run.loadStart} at the start and ${run.loadEnd} at the end.`,
    "",
    "| library | fuzzer | found | time to first finding (s) | executions to first finding | PCs of the kept inputs after the time (of registered) | PCs that ran (built-in engine's count) | executions in the time | exec/s |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.target} ${versions[row.target]} | ${row.fuzzer} | ${row.found} | ${time(row.secondsToFinding)} | ${count(row.executionsToFinding)} | ` +
        `${count(row.pcs)} (of ${row.registered ?? "-"}) | ${count(row.enginePcs)} | ${count(row.executions)} | ${count(row.executionsPerSecond)} |`,
    );
  }
  if (guidance.length > 0) {
    const limit = options.runs === undefined ? `> ${options.seconds} s` : `> ${options.runs}`;
    const number = (v, digits) => (v === undefined ? "-" : v === Infinity ? "none" : v.toFixed(digits));
    const spread = (q, digits) => (q === undefined ? "-" : `${number(q[1], digits)} [${number(q[0], digits)}-${number(q[2], digits)}]`);
    const test = (c) => `${c.a12 === undefined ? "-" : c.a12.toFixed(2)} / ${c.p === undefined ? "-" : c.p < 0.001 ? "<0.001" : c.p.toFixed(3)} | ${c.won ? "yes" : "**no**"}`;
    lines.push(
      "",
      `Guidance against blind (issue 9; libFuzzer and AFL++ against their own blind runs, issue 10): median [quartiles] over the seeds (a run without a finding counts as ${limit}: "none"), ` +
        "A12 (the probability that a run needs less than a blind run; PCs: more) and the two-sided p of the Mann-Whitney U test; " +
        '"beats" when A12 > 0.5 and p < 0.05:',
      "",
      "| library | fuzzer, vs | executions to first finding, vs blind | A12 / p | beats | time to first finding (s), vs blind | A12 / p | beats | PCs of the kept inputs, vs blind | A12 / p | beats |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const g of guidance) {
      lines.push(
        `| ${g.target} | ${g.fuzzer} vs ${g.blindFuzzer} | ${spread(g.executions.quartiles, 0)} vs ${spread(g.executions.blindQuartiles, 0)} | ${test(g.executions)} | ` +
          `${spread(g.seconds.quartiles, 2)} vs ${spread(g.seconds.blindQuartiles, 2)} | ${test(g.seconds)} | ` +
          `${count(g.row.pcs)} vs ${count(g.blind.pcs)} | ${test(g.pcs)} |`,
      );
    }
  }
  if (speed.length > 0) {
    lines.push(
      "",
      `Speed target: libFuzzer and AFL++ within ${SPEED_TARGET}x of the built-in engine's exec/s (medians of the same run; ` +
        (COMPARISON_BRIDGE
          ? "libFuzzer and AFL++ trace comparisons too (the harness's comparison bridge); the built-in engine is shown as it runs by default, guided, and coverage only, no-cmp):"
          : "libFuzzer and AFL++ run without comparison tracing (no comparison bridge in this checkout), so the built-in engine is shown as it runs by default, guided, and with the same instrumentation, no-cmp):"),
      "",
      "| library | engine | built-in run | built-in exec/s | engine exec/s | built-in / engine | within 1.5x |",
      "| --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const s of speed) {
      lines.push(`| ${s.target} | ${s.native} | ${s.builtinFuzzer} | ${Math.round(s.builtin)} | ${Math.round(s.speed)} | ${s.ratio.toFixed(2)}x | ${s.met ? "yes" : "**no**"} |`);
    }
  }
  return lines.join("\n") + "\n";
}

async function main() {
  const options = parseOptions();
  emptyCorpus = options.emptyCorpus;
  if (!existsSync(JSKCOV)) throw new Error(`${JSKCOV} is missing: run 'npm run build' first`);
  installBenchPackages();
  buildHarnesses(options.fuzzers);
  mkdirSync(WORKDIR, { recursive: true });
  const versions = Object.fromEntries(options.targets.map((t) => [t.name, libraryVersion(t.name)]));
  const load = () => loadavg().map((v) => v.toFixed(2)).join(", ");
  const utc = () => new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO, encoding: "utf8" }).stdout?.trim() || "unknown";
  const run = { start: utc(), loadStart: load(), commit, cores: availableParallelism() };
  const results = [];
  try {
    for (let seed = 1; seed <= options.seeds; seed++) {
      for (const target of options.targets) {
        // Rotate the order per seed, so drift in the machine's load does not favour one fuzzer.
        const order = options.fuzzers.map((_, i) => options.fuzzers[(i + seed) % options.fuzzers.length]);
        for (const fuzzer of order) {
          const result = await FUZZERS[fuzzer].run(target, seed, options.seconds, { runs: options.runs, cover: seed <= options.coverSeeds });
          results.push({ target: target.name, fuzzer, seed, load: loadavg()[0], ...result });
          // Kept as it goes, so that a long run that fails later loses nothing measured.
          writeFileSync(join(WORKDIR, "..", `fuzz-${process.pid}-results.json`), JSON.stringify(results, null, 2) + "\n");
          console.log(
            `${target.name} ${fuzzer} seed ${seed}: ` +
              (result.found ? `finding after ${result.secondsToFinding.toFixed(2)} s, ${result.executionsToFinding} executions` : "no finding") +
              (result.pcs === undefined ? "" : `; ${result.pcs} PCs of ${result.registered} after ${options.seconds} s (${result.executions} executions, ${Math.round(result.executionsPerSecond ?? 0)}/s)`) +
              ` (load ${loadavg()[0].toFixed(1)})`,
          );
        }
      }
    }
  } finally {
    rmSync(WORKDIR, { recursive: true, force: true });
  }
  rmSync(join(WORKDIR, "..", `fuzz-${process.pid}-results.json`), { force: true });
  Object.assign(run, { end: utc(), loadEnd: load() });
  const rows = summarize(results, options);
  const speed = speedRows(rows, options);
  const guidance = guidanceRows(rows, results, options);
  const table = markdown(rows, speed, options, versions, run, guidance);
  process.stdout.write("\n" + table);
  if (options.write) {
    // An execution budget is another measurement than the time-limited full run: its own files.
    const nativeOnly = options.fuzzers.every((fuzzer) => ["libfuzzer", "afl"].includes(FUZZERS[fuzzer].engine));
    const name = options.emptyCorpus ? "results-empty-corpus" : nativeOnly ? "results-native" : options.runs !== undefined ? "results-budget" : "results";
    const summary = { options: { seconds: options.seconds, seeds: options.seeds, runs: options.runs, coverSeeds: options.coverSeeds, emptyCorpus: options.emptyCorpus, fuzzers: options.fuzzers }, run, comparisonBridge: COMPARISON_BRIDGE, versions, targets: options.targets, results, rows, speed, guidance: guidance.map(({ row, blind, ...g }) => g) };
    writeFileSync(join(BENCH, `${name}.json`), JSON.stringify(summary, null, 2) + "\n");
    writeFileSync(join(BENCH, `${name}.md`), table);
    console.log(`wrote ${relative(REPO, join(BENCH, `${name}.json`))} and ${name}.md`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
