// The fuzzing benchmark: real npm libraries at versions with known, public bugs that a
// fuzzer can reach, each fuzzed by (a) jskcov's built-in engine guided by the kcov buffer,
// (b) the same engine blind (-use_feedback=0) and (c) jsfuzz (istanbul-guided), in the same
// run, interleaved, with several seeds. Per (library, fuzzer, seed) it measures:
// - time and executions to the first finding: a run that stops at the first finding, at
//   most --time seconds; the time is from the fuzzer's first status line (libFuzzer's
//   INITED, jsfuzz's READ: loading the target and the seeds is not counted) to the finding;
// - PCs covered after --time seconds, by a run that goes on after findings: the library's
//   kcov blocks that ran, as `jskcov fuzz` counts them (its summary line, for the blind run
//   too); for jsfuzz, which counts istanbul statements instead, its corpus and findings are
//   replayed once under `jskcov run --filter <the library>` (replay.cjs), so the unit is the
//   same. (jsfuzz keeps every input that reaches new istanbul coverage.)
// jsfuzz stops at its first finding and has no seed or time flags: it is restarted on its
// own corpus until the time is up. Its executions are the counts on its last status line
// before a finding or the end (it prints one at each new input and a pulse every few
// seconds), so they are a lower bound.
//
//   npm run bench:fuzz                          full run, writes bench/fuzz/results.{json,md}
//   node bench/fuzz/run.mjs --time 10 --seeds 1 --targets qs --no-write
//   node bench/fuzz/run.mjs --help

import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = join(BENCH, "..", "..");
const JSKCOV = join(REPO, "dist/cli/jskcov.js");
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

const FUZZERS = ["guided", "blind", "jsfuzz"];

/** An input running longer than this is a hang (a timeout finding), for every fuzzer. */
const HANG_SECONDS = 3;

/** --empty-corpus: every fuzzer starts from an empty corpus instead of seeds/<library>. */
let emptyCorpus = false;

const USAGE = `usage: node bench/fuzz/run.mjs [--time S] [--seeds N] [--targets a,b] [--fuzzers guided,blind,jsfuzz] [--empty-corpus] [--no-write]
targets: ${TARGETS.map((t) => t.name).join(", ")}`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      time: { type: "string", default: "20" },
      seeds: { type: "string", default: "3" },
      targets: { type: "string" },
      fuzzers: { type: "string" },
      "empty-corpus": { type: "boolean", default: false },
      "no-write": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${values[name]}"`);
    return n;
  };
  const pick = (name, all) => {
    if (values[name] === undefined) return all;
    const names = values[name].split(",").filter(Boolean);
    for (const n of names) if (!all.includes(n)) throw new Error(`--${name}: unknown "${n}"; known: ${all.join(", ")}`);
    return names;
  };
  return {
    seconds: positive("time"),
    seeds: positive("seeds"),
    targets: TARGETS.filter((t) => pick("targets", TARGETS.map((x) => x.name)).includes(t.name)),
    fuzzers: pick("fuzzers", FUZZERS),
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

function libraryVersion(name) {
  return JSON.parse(readFileSync(join(BENCH, "node_modules", name, "package.json"), "utf8")).version;
}

/** A fresh corpus directory holding the target's seeds (none with --empty-corpus). */
function seededCorpus(target, label) {
  const dir = mkdtempSync(join(WORKDIR, `${target.name}-${label}-`));
  if (emptyCorpus) mkdirSync(join(dir, "corpus"));
  else cpSync(join(BENCH, "seeds", target.name), join(dir, "corpus"), { recursive: true });
  mkdirSync(join(dir, "artifacts"));
  return { corpus: join(dir, "corpus"), artifacts: join(dir, "artifacts") };
}

/** Runs a command to its end or until `seconds` pass (then kills its process group); lines of output as they come. */
function runProcess(command, args, { cwd, seconds, onLine }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
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
      kill(); // jsfuzz's worker, if its parent left it behind
      resolve({ status, signal, output, seconds: (performance.now() - started) / 1000 });
    });
  });
}

function jskcovFuzzArgs(target, dirs, seed, { feedback, seconds, goOn }) {
  return [
    JSKCOV, "fuzz", "--root", BENCH, "--filter", `node_modules/${target.name}/**`,
    join(BENCH, "targets", `${target.name}.fuzz.js`), dirs.corpus, "--",
    `-seed=${seed}`, `-max_total_time=${seconds}`, `-use_feedback=${feedback ? 1 : 0}`,
    `-artifact_prefix=${dirs.artifacts}/`, "-print_final_stats=1", `-timeout=${HANG_SECONDS}`,
    ...(goOn ? ["-ignore_crashes=1", "-ignore_timeouts=1"] : []),
  ];
}

function statOf(output, name) {
  const match = new RegExp(`^stat::${name}:\\s*(\\d+)`, "m").exec(output);
  return match === null ? undefined : Number(match[1]);
}

/** The engine's own count of the PCs that ran in the session (blind or not), from its summary line. */
function reportedPcs(output) {
  const match = /PCs covered: (\d+) of (\d+) registered/.exec(output);
  if (match === null) throw new Error(`no "PCs covered" line in jskcov fuzz's output:\n${output.slice(-2000)}`);
  return { pcs: Number(match[1]), registered: Number(match[2]) };
}

/** PCs of the library that the inputs in `dirs` reach, counted by `jskcov run` on a replay. */
function coveredPcs(target, ...dirs) {
  const corpus = dirs[0];
  const out = join(dirname(corpus), "replay.kcov");
  const result = spawnSync(process.execPath, [
    JSKCOV, "run", "--root", BENCH, "--filter", `node_modules/${target.name}/**`, "--out", out, "--",
    join(BENCH, "replay.cjs"), join(BENCH, "targets", `${target.name}.fuzz.js`), ...dirs,
  ], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  if (result.status !== 0) throw new Error(`replay of ${corpus} failed: ${result.stderr}`);
  const area = readFileSync(out);
  const blocks = JSON.parse(readFileSync(`${out}.blocks.json`, "utf8"));
  return { pcs: Number(area.readBigUInt64LE(0)), registered: registeredBlocks(blocks), inputs: Number(result.stdout.trim()) };
}

function registeredBlocks(blockMap) {
  const files = Array.isArray(blockMap) ? blockMap : (blockMap.files ?? []);
  return files.reduce((sum, file) => sum + (file.blockCount ?? file.blocks?.length ?? 0), 0);
}

async function runJskcov(target, seed, feedback, seconds) {
  const label = feedback ? "guided" : "blind";
  const find = seededCorpus(target, `${label}-find`);
  let startedAt;
  let foundAt;
  const first = await runProcess(process.execPath, jskcovFuzzArgs(target, find, seed, { feedback, seconds, goOn: false }), {
    cwd: BENCH,
    seconds: seconds + 30,
    onLine: (line, at) => {
      if (/^#\d+\s+INITED/.test(line)) startedAt ??= at;
      if (/ERROR: (jskcov|libFuzzer): /.test(line)) foundAt ??= at;
    },
  });
  // A crash (77) or a hang (70) is a finding.
  const found = [70, 77].includes(first.status) && readdirSync(find.artifacts).length > 0 && foundAt !== undefined;
  if (!found && first.status !== 0) throw new Error(`jskcov fuzz (${label}, ${target.name}, seed ${seed}) exited with ${first.status}:\n${first.output.slice(-2000)}`);
  const cover = seededCorpus(target, `${label}-cover`);
  const second = await runProcess(process.execPath, jskcovFuzzArgs(target, cover, seed, { feedback, seconds, goOn: true }), { cwd: BENCH, seconds: seconds + 30 });
  if (![0, 70, 77].includes(second.status)) throw new Error(`jskcov fuzz (${label}, ${target.name}, seed ${seed}) exited with ${second.status}:\n${second.output.slice(-2000)}`);
  return {
    found,
    secondsToFinding: found ? foundAt - (startedAt ?? 0) : undefined,
    executionsToFinding: found ? statOf(first.output, "number_of_executed_units") : undefined,
    executions: statOf(second.output, "number_of_executed_units"),
    ...reportedPcs(second.output),
  };
}

async function runJsfuzz(target, seconds) {
  const dirs = seededCorpus(target, "jsfuzz");
  const started = performance.now();
  let finding;
  let startedAt;
  let lastCount = 0;
  let executions = 0;
  // Restarted after each finding (it stops there) until the time is up, on the same corpus.
  for (let left = seconds; left > 0.5; left = seconds - (performance.now() - started) / 1000) {
    const offset = (performance.now() - started) / 1000;
    // jsfuzz resolves the target against its working directory, even an absolute path.
    const targetPath = relative(dirs.artifacts, join(BENCH, "targets", `${target.name}.fuzz.js`));
    let sawFinding = false;
    const run = await runProcess(process.execPath, [JSFUZZ, targetPath, dirs.corpus, `--timeout=${HANG_SECONDS}`], {
      cwd: dirs.artifacts,
      seconds: left,
      onLine: (line, at) => {
        const status = /^#(\d+) /.exec(line);
        if (status) lastCount = Number(status[1]);
        if (/^#0 READ/.test(line)) startedAt ??= offset + at;
        if (!/^(crash was written to |timeout reached)/.test(line)) return;
        sawFinding = true;
        finding ??= { seconds: offset + at - (startedAt ?? 0), executions: executions + lastCount };
      },
    });
    if (run.signal !== "SIGKILL" && !sawFinding) throw new Error(`jsfuzz (${target.name}) stopped without a finding:\n${run.output.slice(-2000)}`);
    executions += lastCount;
    lastCount = 0;
    if (run.signal === "SIGKILL") break;
  }
  return {
    found: finding !== undefined,
    secondsToFinding: finding?.seconds,
    executionsToFinding: finding?.executions,
    executions,
    ...coveredPcs(target, dirs.corpus, dirs.artifacts),
  };
}

function median(values) {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median over all seeds, counting a run without a finding as "more than the time": undefined if half or more found nothing. */
function medianToFinding(runs, key) {
  const found = runs.filter((r) => r.found);
  if (found.length * 2 <= runs.length) return undefined;
  const values = runs.map((r) => (r.found ? r[key] : Infinity));
  return median(values);
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
        registered: runs[0]?.registered,
        executions: median(runs.map((r) => r.executions)),
      });
    }
  }
  return rows;
}

function markdown(rows, options, versions) {
  const format = (v, digits = 1) => (v === undefined ? `> ${options.seconds} s` : v.toFixed(digits));
  const lines = [
    `Medians over ${options.seeds} seed(s), ${options.seconds} s per run, ${options.emptyCorpus ? "from an empty corpus" : "from the seed corpus"}; ` +
      `one machine, one run (\`node bench/fuzz/run.mjs --time ${options.seconds} --seeds ${options.seeds}${options.emptyCorpus ? " --empty-corpus" : ""}\`).`,
    "",
    "| library | fuzzer | found | time to first finding (s) | executions to first finding | PCs covered after the time (of registered) | executions in the time |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    const executionsToFinding = row.executionsToFinding === undefined ? "-" : String(Math.round(row.executionsToFinding));
    lines.push(
      `| ${row.target} ${versions[row.target]} | ${row.fuzzer} | ${row.found} | ${format(row.secondsToFinding)} | ${executionsToFinding} | ` +
        `${row.pcs ?? "-"} (of ${row.registered ?? "-"}) | ${row.executions === undefined ? "-" : Math.round(row.executions)} |`,
    );
  }
  return lines.join("\n") + "\n";
}

async function main() {
  const options = parseOptions();
  emptyCorpus = options.emptyCorpus;
  if (!existsSync(JSKCOV)) throw new Error(`${JSKCOV} is missing: run 'npm run build' first`);
  installBenchPackages();
  mkdirSync(WORKDIR, { recursive: true });
  const versions = Object.fromEntries(options.targets.map((t) => [t.name, libraryVersion(t.name)]));
  const results = [];
  try {
    for (let seed = 1; seed <= options.seeds; seed++) {
      for (const target of options.targets) {
        // Rotate the order per seed, so drift in the machine's load does not favour one fuzzer.
        const order = options.fuzzers.map((_, i) => options.fuzzers[(i + seed) % options.fuzzers.length]);
        for (const fuzzer of order) {
          const result =
            fuzzer === "jsfuzz" ? await runJsfuzz(target, options.seconds) : await runJskcov(target, seed, fuzzer === "guided", options.seconds);
          results.push({ target: target.name, fuzzer, seed, ...result });
          console.log(
            `${target.name} ${fuzzer} seed ${seed}: ` +
              (result.found ? `finding after ${result.secondsToFinding.toFixed(1)} s, ${result.executionsToFinding} executions` : "no finding") +
              `; ${result.pcs} PCs of ${result.registered} after ${options.seconds} s (${result.executions} executions)`,
          );
        }
      }
    }
  } finally {
    rmSync(WORKDIR, { recursive: true, force: true });
  }
  const rows = summarize(results, options);
  const table = markdown(rows, options, versions);
  process.stdout.write("\n" + table);
  if (options.write) {
    const name = options.emptyCorpus ? "results-empty-corpus" : "results";
    const summary = { options: { seconds: options.seconds, seeds: options.seeds, emptyCorpus: options.emptyCorpus }, versions, targets: options.targets, results, rows };
    writeFileSync(join(BENCH, `${name}.json`), JSON.stringify(summary, null, 2) + "\n");
    writeFileSync(join(BENCH, `${name}.md`), table);
    console.log(`wrote ${relative(REPO, join(BENCH, `${name}.json`))} and ${name}.md`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
