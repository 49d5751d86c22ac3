// Cost of an execution through the native engines, measured side by side, in rounds that
// alternate the paths (the machine's load changes during a run; medians are reported):
//   in-process   the executor's own work per input (target call + collect() into the
//                file-backed area), in one Node process (in-process.cjs under jskcov run);
//   round trip   harness -> executor -> harness, timed by the harness itself around each run
//                (JSKCOV_HARNESS_STATS=1): request, the executor's work, reply, feedback;
//                with the CPU time the executor and the harness (libFuzzer included) spent;
//                once as shipped (each side polls up to JSKCOV_SPIN_US before blocking) and
//                once with JSKCOV_SPIN_US=0 (both block at once: a wake-up per message);
//   libFuzzer    the real libFuzzer driving the executor through native/harness.c
//                (wall time of -runs=N minus that of -runs=0, per run): adds its mutation and
//                its scan of the counters to the round trip;
//   AFL++        afl-fuzz -E N on the same target (wall time of -E 2000+N minus -E 2000, per run),
//                through the piped protocol (JSKCOV_AFL_DIRECT=0) in three placements (docs/executor-protocol.md, "Where the executor runs"):
//                afl-fuzz's own binding, what `jskcov fuzz --engine afl` gets by default (all
//                three processes on one core, no spin); AFL_NO_AFFINITY=1 (nothing bound, both
//                sides spin); afl-fuzz -b 0 with JSKCOV_EXECUTOR_CPU=1 (the executor alone on
//                CPU 1, spinning, and the harness spinning for it);
//                And the direct AFL++ mode (the default since session 8; default placement: the
//                executor speaks afl-fuzz's exchange itself, docs/executor-protocol.md).
//   afl-fuzz's floor  the same afl-fuzz command, default placement, on targets with no
//                JavaScript (bench/native/afl-floor.mjs): AFL++'s own persistent mode
//                (afl-floor-persistent.c, afl-cc, four switches per execution as through the
//                harness) and a forkserver that runs each input itself (afl-floor-direct.c,
//                two switches): what afl-fuzz costs per execution here before any harness.
// What the harness adds is the round trip minus in-process. The machine's load makes wall
// times swing; CPU times (in-process, executor, harness) are the steadier figures: the CPU
// the two-process path adds per run is executor + harness - in-process (an upper bound,
// since the harness's share includes libFuzzer's own mutation and counter scan).
//
//   npm run build && node bench/native/round-trip.mjs [--runs 50000] [--rounds 3]

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { buildFloorTarget } from "./afl-floor.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");
const require = createRequire(import.meta.url);
const { buildAflDirectAddon, buildHarness } = require(join(REPO, "dist/fuzz/engines/native-build.js"));
const { NativeSession } = require(join(REPO, "dist/fuzz/engines/native-session.js"));

const { values } = parseArgs({ options: { runs: { type: "string", default: "50000" }, rounds: { type: "string", default: "3" } } });
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const AFL_WARM_UP = 2000; // afl-fuzz's calibration and first stages, subtracted
const target = join(HERE, "empty-target.cjs");
const invocation = {
  target,
  inputs: [],
  engineArgs: [],
  runConfig: { root: HERE, filter: ["**"], pcLayout: "full64", pcSeed: 0, pcSeedByFile: {}, counterMode: "hit", cacheDir: null, progress: false },
};

function timed(command, args, options) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stderr}`);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

const session = new NativeSession();
const work = mkdtempSync(join(tmpdir(), "jskcov-round-trip-"));
try {
  const env = session.environment(invocation);
  const jskcov = join(REPO, "dist/cli/jskcov.js");
  const libFuzzer = buildHarness("libfuzzer");
  const afl = buildHarness("afl");
  mkdirSync(join(work, "seeds"));
  writeFileSync(join(work, "seeds", "seed"), "seed");
  const aflEnv = { ...env, AFL_NO_UI: "1", AFL_SKIP_CPUFREQ: "1", AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: "1", AFL_FORKSRV_INIT_TMOUT: "60000" };
  const AFL_PLACEMENTS = {
    afl: { env: { JSKCOV_AFL_DIRECT: "0" }, args: [] },
    aflNoAffinity: { env: { JSKCOV_AFL_DIRECT: "0", AFL_NO_AFFINITY: "1" }, args: [] },
    aflExecutorCpu: { env: { JSKCOV_AFL_DIRECT: "0", JSKCOV_EXECUTOR_CPU: "1" }, args: ["-b", "0"] },
    aflDirect: { env: { JSKCOV_AFL_DIRECT: "1", JSKCOV_AFL_DIRECT_ADDON: buildAflDirectAddon() }, args: [] },
    aflPersistentFloor: { env: {}, args: [], target: buildFloorTarget("persistent") },
    aflDirectFloor: { env: {}, args: [], target: buildFloorTarget("direct") },
  };
  const aflSeconds = (placement, executions, round) => {
    const out = join(work, `afl-${round}-${executions}`);
    const { env: placementEnv, args, target: aflTarget = afl } = AFL_PLACEMENTS[placement];
    const run = timed("afl-fuzz", [...args, "-i", join(work, "seeds"), "-o", out, "-E", String(executions), "-s", "1", "-t", "5000", "--", aflTarget], { cwd: work, env: { ...aflEnv, ...placementEnv } });
    rmSync(out, { recursive: true, force: true });
    return run.seconds;
  };

  const measured = { inProcess: [], inProcessCpu: [], roundTrip: [], roundTripNoSpin: [], executorCpu: [], harnessCpu: [], libFuzzer: [], afl: [], aflNoAffinity: [], aflExecutorCpu: [], aflDirect: [], aflPersistentFloor: [], aflDirectFloor: [] };
  const spinsMet = [];
  const roundTripOf = (stderr) => {
    const stats = /([\d.]+) us per round trip .*CPU per run: harness ([\d.]+) us, executor ([\d.]+) us; waits for a reply: (\d+) met by the spin, (\d+) outlasted it, (\d+) did not spin/.exec(stderr);
    if (stats === null) throw new Error(`no round-trip figures in the harness's output:\n${stderr}`);
    const [, perRun, harness, executor, met, outlasted, skipped] = stats.map(Number);
    return { perRun, harness, executor, metShare: met / (met + outlasted + skipped) };
  };
  for (let round = 0; round < rounds; round++) {
    const inProcessArgs = [jskcov, "run", "--quiet", "--no-cache", "--root", HERE, "--out", join(work, "kcov.out"), "--", join(HERE, "in-process.cjs"), String(runs)];
    const [wall, cpu] = timed(process.execPath, inProcessArgs, { cwd: work }).result.stdout.trim().split(" ").map(Number);
    measured.inProcess.push(wall);
    measured.inProcessCpu.push(cpu);

    const startup = timed(libFuzzer, ["-runs=0"], { cwd: work, env }).seconds; // start-up and the empty input only
    const fuzzing = timed(libFuzzer, [`-runs=${runs}`, "-max_len=8", "-seed=1"], { cwd: work, env: { ...env, JSKCOV_HARNESS_STATS: "1" } });
    measured.libFuzzer.push(((fuzzing.seconds - startup) * 1e6) / runs);
    const stats = roundTripOf(fuzzing.result.stderr);
    measured.roundTrip.push(stats.perRun);
    measured.harnessCpu.push(stats.harness);
    measured.executorCpu.push(stats.executor);
    spinsMet.push(stats.metShare);
    const noSpin = timed(libFuzzer, [`-runs=${runs}`, "-max_len=8", "-seed=1"], { cwd: work, env: { ...env, JSKCOV_HARNESS_STATS: "1", JSKCOV_SPIN_US: "0" } });
    measured.roundTripNoSpin.push(roundTripOf(noSpin.result.stderr).perRun);

    for (const placement of Object.keys(AFL_PLACEMENTS)) {
      measured[placement].push(((aflSeconds(placement, AFL_WARM_UP + runs, round) - aflSeconds(placement, AFL_WARM_UP, round)) * 1e6) / runs);
    }
  }

  const row = (name, list) => `| ${name} | ${median(list).toFixed(1)} | ${Math.round(1e6 / median(list))} | ${list.map((us) => us.toFixed(1)).join(", ")} |`;
  const perRound = (f) => measured.inProcess.map((_, i) => f(i));
  const addedWall = perRound((i) => measured.roundTrip[i] - measured.inProcess[i]);
  const addedNoSpin = perRound((i) => measured.roundTripNoSpin[i] - measured.inProcess[i]);
  const addedCpu = perRound((i) => measured.executorCpu[i] + measured.harnessCpu[i] - measured.inProcessCpu[i]);
  const each = (list) => list.map((us) => us.toFixed(1)).join(", ");
  process.stdout.write(
    [
      `runs: ${runs} per path and round, ${rounds} rounds, empty target, node ${process.version}, load average ${loadavg()[0].toFixed(1)}`,
      "",
      "| path | µs per execution (median) | executions/s | each round |",
      "|---|---|---|---|",
      row("in-process (target + collect into the file area), wall", measured.inProcess),
      row("round trip harness -> executor -> harness, wall", measured.roundTrip),
      row("the same with JSKCOV_SPIN_US=0 (block at once), wall", measured.roundTripNoSpin),
      row("libFuzzer -> harness -> executor, wall", measured.libFuzzer),
      row("afl-fuzz -> harness -> executor (JSKCOV_AFL_DIRECT=0), afl-fuzz's binding (one core), wall", measured.afl),
      row("the same, AFL_NO_AFFINITY=1 (nothing bound), wall", measured.aflNoAffinity),
      row("the same, afl-fuzz -b 0 and JSKCOV_EXECUTOR_CPU=1, wall", measured.aflExecutorCpu),
      row("afl-fuzz -> executor, the direct AFL++ mode (the default: two switches), wall", measured.aflDirect),
      row("afl-fuzz's floor: afl-cc persistent mode, no JavaScript (four switches), wall", measured.aflPersistentFloor),
      row("afl-fuzz's floor: a forkserver running each input itself (two switches), wall", measured.aflDirectFloor),
      row("in-process, CPU", measured.inProcessCpu),
      row("executor under libFuzzer, CPU", measured.executorCpu),
      row("harness with libFuzzer, CPU", measured.harnessCpu),
      "",
      `added by the harness, wall (round trip - in-process, same round): median ${median(addedWall).toFixed(1)} µs; each round ${each(addedWall)}`,
      `added by the harness, CPU (executor + harness - in-process, same round): median ${median(addedCpu).toFixed(1)} µs; each round ${each(addedCpu)}`,
      `added with JSKCOV_SPIN_US=0, wall (same round): median ${median(addedNoSpin).toFixed(1)} µs; each round ${each(addedNoSpin)}`,
      `the harness's waits for a reply that its spin met: ${spinsMet.map((share) => `${(100 * share).toFixed(0)}%`).join(", ")}`,
      "",
    ].join("\n"),
  );
} finally {
  session.close();
  rmSync(work, { recursive: true, force: true });
}
