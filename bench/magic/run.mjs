// The magic-value benchmark: targets that coverage alone hardly gets past (a 4-byte magic
// number, a multi-byte string keyword, a length field that must match the input, a
// checksum compared against a field), each fuzzed with comparison feedback and with
// coverage only, several seeds, an execution budget per run. It reports the executions
// each fuzzer needs to solve each target (to reach the `throw` behind the check).
//
//   node bench/magic/run.mjs                  5 seeds, 200000 executions at most, writes results.{json,md}
//   node bench/magic/run.mjs --smoke          1 seed, 20000 executions, the built-in engine only, nothing written
//   node bench/magic/run.mjs --fuzzers cmp,no-cmp --seeds 3 --no-write
//   node bench/magic/run.mjs --help

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { listOption, positiveOption } from "../options.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = join(BENCH, "..", "..");
const JSKCOV = join(REPO, "dist/cli/jskcov.js");
const NATIVE_BUILD = join(REPO, "dist/fuzz/engines/native-build.js");
const WORKDIR = join(REPO, "bench/workdir", `magic-${process.pid}`);

/** The targets (targets/<name>.fuzz.js); each throws once solved. */
const TARGETS = [
  { name: "magic-number", check: "readUInt32BE(0) === 0xcafebabe" },
  { name: "keyword", check: 'the first 8 bytes (latin1) === "jskcov!?"' },
  { name: "length-field", check: "readUInt16BE(0) === data.length - 4, payload of 16 bytes or more" },
  { name: "checksum", check: "readUInt32LE(0) === FNV-1a of bytes 4.., 4 payload bytes or more" },
];

/**
 * The fuzzers. The built-in engine with comparison feedback (jskcov fuzz's default) and
 * with --no-cmp; libFuzzer and afl-fuzz as `jskcov fuzz --engine` runs them, with and
 * without --no-cmp (whether they get comparison records depends on the harness's bridge).
 */
const FUZZERS = {
  cmp: { engine: "builtin", cmp: true },
  "no-cmp": { engine: "builtin", cmp: false },
  libfuzzer: { engine: "libfuzzer", cmp: true },
  "libfuzzer-no-cmp": { engine: "libfuzzer", cmp: false },
  afl: { engine: "afl", cmp: true },
  "afl-no-cmp": { engine: "afl", cmp: false },
};

/** Whether this checkout's harness passes comparisons on to libFuzzer and afl-fuzz (native/compare-bridge.c). */
const COMPARISON_BRIDGE = existsSync(join(REPO, "native/compare-bridge.c"));
/** With the bridge, each native engine runs with and without it; without, --no-cmp changes nothing for them. */
const DEFAULT_FUZZERS = COMPARISON_BRIDGE ? Object.keys(FUZZERS) : ["cmp", "no-cmp", "libfuzzer", "afl"];

const USAGE = `usage: node bench/magic/run.mjs [--seeds N] [--budget EXECUTIONS] [--time-cap S] [--targets a,b] [--fuzzers a,b] [--no-write] [--smoke]
  --budget    executions per run at most (default 200000)
  --time-cap  seconds per run at most, for slow engines (default 30): a run cut by it counts as unsolved
  --smoke     --seeds 1 --budget 20000 --fuzzers cmp,no-cmp --no-write
targets: ${TARGETS.map((t) => t.name).join(", ")}
fuzzers: ${Object.keys(FUZZERS).join(", ")} (default: ${DEFAULT_FUZZERS.join(", ")})`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      seeds: { type: "string" },
      budget: { type: "string" },
      "time-cap": { type: "string" },
      targets: { type: "string" },
      fuzzers: { type: "string" },
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
    values.seeds ??= "1";
    values.budget ??= "20000";
    values.fuzzers ??= "cmp,no-cmp";
    values["no-write"] = true;
  }
  const positive = (name, fallback) => positiveOption(values, name, fallback);
  const pick = (name, known, fallback) => listOption(values, name, known, fallback);
  const fuzzers = pick("fuzzers", Object.keys(FUZZERS), DEFAULT_FUZZERS);
  return {
    seeds: positive("seeds", "5"),
    budget: positive("budget", "200000"),
    timeCap: positive("time-cap", "30"),
    targets: TARGETS.filter((t) => pick("targets", TARGETS.map((x) => x.name)).includes(t.name)),
    fuzzers: Object.keys(FUZZERS).filter((name) => fuzzers.includes(name)),
    write: !values["no-write"],
  };
}

/** Compiles the native harnesses before the first run (cached by jskcov; an error names the missing packages). */
function buildHarnesses(fuzzers) {
  for (const kind of ["libfuzzer", "afl"]) {
    if (!fuzzers.some((name) => FUZZERS[name].engine === kind)) continue;
    const result = spawnSync(process.execPath, [NATIVE_BUILD, kind], { cwd: BENCH, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`building the ${kind} harness failed (leave out its fuzzers with --fuzzers):\n${result.stderr}`);
  }
}

/** Runs a command to its end or until `seconds` pass (then kills its process group). */
function runProcess(command, args, { seconds, env = {} }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: BENCH, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "", ...env } });
    let output = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => (output += chunk));
    }
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
      kill();
      resolve({ status, signal, output });
    });
  });
}

function statOf(output, name) {
  const match = new RegExp(`^stat::${name}:\\s*(\\d+)`, "m").exec(output);
  return match === null ? undefined : Number(match[1]);
}

/** The first of afl-fuzz's crashes, with the executions in its name. */
function aflFirstCrash(output) {
  for (const instance of [join(output, "default"), output]) {
    const dir = join(instance, "crashes");
    if (!existsSync(dir)) continue;
    const executions = readdirSync(dir).map((name) => /,execs:(\d+)/.exec(name)).filter(Boolean).map((match) => Number(match[1]));
    if (executions.length > 0) return Math.min(...executions);
  }
  return undefined;
}

/** The executions afl-fuzz ran (fuzzer_stats, else plot_data's last row). */
function aflExecutions(output) {
  for (const instance of [join(output, "default"), output]) {
    const stats = join(instance, "fuzzer_stats");
    if (existsSync(stats)) return Number(/^execs_done\s*:\s*(\d+)/m.exec(readFileSync(stats, "utf8"))[1]);
    const plot = join(instance, "plot_data");
    if (existsSync(plot)) {
      const rows = readFileSync(plot, "utf8").trim().split("\n").filter((row) => !row.startsWith("#"));
      if (rows.length > 0) return Number(rows.at(-1).split(",")[11]);
    }
  }
  return undefined;
}

/**
 * One run from the same one-input seed corpus ("\n", the built-in engine's start from
 * nothing): stops at the first finding or after the budget. Returns whether it solved the
 * target and the executions it ran until then.
 */
async function solve(target, fuzzer, seed, options) {
  const { engine, cmp } = FUZZERS[fuzzer];
  const dir = mkdtempSync(join(WORKDIR, `${target.name}-${fuzzer}-`));
  const corpus = join(dir, "corpus");
  const artifacts = join(dir, "artifacts");
  mkdirSync(corpus);
  mkdirSync(artifacts);
  writeFileSync(join(corpus, "seed"), "\n");
  const aflOutput = join(dir, "afl-out");
  const args = [
    JSKCOV, "fuzz", "--engine", engine, "--root", BENCH, "--filter", `targets/${target.name}.fuzz.js`, ...(cmp ? [] : ["--no-cmp"]),
    join(BENCH, "targets", `${target.name}.fuzz.js`), corpus, "--",
    `-seed=${seed}`, `-runs=${options.budget}`, `-max_total_time=${options.timeCap}`, `-artifact_prefix=${artifacts}/`,
    ...(engine === "afl" ? ["-o", aflOutput] : ["-print_final_stats=1"]),
  ];
  const env = engine === "afl" ? { AFL_NO_UI: "1", AFL_NO_AFFINITY: "1", AFL_BENCH_UNTIL_CRASH: "1" } : {};
  const run = await runProcess(process.execPath, args, { seconds: options.timeCap + 60, env });
  if (engine === "afl") {
    if (run.status !== 0) throw new Error(`afl-fuzz (${target.name}, seed ${seed}) exited with ${run.status}:\n${run.output.slice(-2000)}`);
    const solvedAt = aflFirstCrash(aflOutput);
    return { solved: solvedAt !== undefined, executions: solvedAt ?? aflExecutions(aflOutput) };
  }
  const solved = run.status === 77 && /solved: /.test(run.output);
  if (!solved && run.status !== 0) throw new Error(`jskcov fuzz --engine ${engine} (${target.name}, seed ${seed}) exited with ${run.status}:\n${run.output.slice(-2000)}`);
  return { solved, executions: statOf(run.output, "number_of_executed_units") };
}

function median(values) {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The median executions to solve, an unsolved run counting as more than the budget; undefined if half or more are unsolved. */
function medianToSolve(runs) {
  if (runs.filter((r) => r.solved).length * 2 <= runs.length) return undefined;
  return median(runs.map((r) => (r.solved ? r.executions : Infinity)));
}

/** The 1-minute load average, to two decimals: the machine's load belongs with every figure. */
function load() {
  return loadavg()[0].toFixed(2);
}

function markdown(results, options, machine) {
  const command = `node bench/magic/run.mjs --seeds ${options.seeds} --budget ${options.budget} --time-cap ${options.timeCap} --fuzzers ${options.fuzzers.join(",")}`;
  const lines = [
    `${machine.date}, Node ${process.version}, load average ${machine.loadBefore} at the start and ${machine.loadAfter} at the end.`,
    "",
    `Executions to solve each target: median over ${options.seeds} seed(s), at most ${options.budget} executions or ${options.timeCap} s per run ` +
      `(\`${command}\`). "> N": half or more of the runs did not solve it; N is the median of the executions they ran. ` +
      (COMPARISON_BRIDGE ? "libFuzzer and AFL++ get comparisons through the harness's comparison bridge unless --no-cmp." : "No comparison bridge in this checkout: libFuzzer and AFL++ run on coverage only."),
    "",
    `| target | check | ${options.fuzzers.join(" | ")} |`,
    `| --- | --- | ${options.fuzzers.map(() => "---").join(" | ")} |`,
  ];
  for (const target of options.targets) {
    const cells = options.fuzzers.map((fuzzer) => {
      const runs = results.filter((r) => r.target === target.name && r.fuzzer === fuzzer);
      const solved = `${runs.filter((r) => r.solved).length}/${runs.length}`;
      const toSolve = medianToSolve(runs);
      return toSolve === undefined ? `> ${Math.round(median(runs.map((r) => r.executions)) ?? 0)} (${solved})` : `${Math.round(toSolve)} (${solved})`;
    });
    lines.push(`| ${target.name} | \`${target.check}\` | ${cells.join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}

async function main() {
  const options = parseOptions();
  if (!existsSync(JSKCOV)) throw new Error(`${JSKCOV} is missing: run 'npm run build' first`);
  buildHarnesses(options.fuzzers);
  mkdirSync(WORKDIR, { recursive: true });
  const machine = { date: new Date().toISOString().replace(/\.\d+Z$/, "Z"), loadBefore: load() };
  const results = [];
  try {
    for (let seed = 1; seed <= options.seeds; seed++) {
      for (const target of options.targets) {
        for (const fuzzer of options.fuzzers) {
          const result = await solve(target, fuzzer, seed, options);
          results.push({ target: target.name, fuzzer, seed, ...result });
          console.log(`${target.name} ${fuzzer} seed ${seed}: ${result.solved ? "solved after" : "not solved in"} ${result.executions} executions`);
        }
      }
    }
  } finally {
    rmSync(WORKDIR, { recursive: true, force: true });
  }
  machine.loadAfter = load();
  const table = markdown(results, options, machine);
  process.stdout.write("\n" + table);
  if (options.write) {
    writeFileSync(join(BENCH, "results.json"), JSON.stringify({ options, machine, comparisonBridge: COMPARISON_BRIDGE, results }, null, 2) + "\n");
    writeFileSync(join(BENCH, "results.md"), table);
    console.log(`wrote ${relative(REPO, join(BENCH, "results.json"))} and results.md`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
