// Cost of an execution through the native engines, measured side by side, in rounds that
// alternate the paths (the machine's load changes during a run; medians are reported):
//   in-process   the executor's own work per input (target call + collect() into the
//                file-backed area), in one Node process (in-process.cjs under jskcov run);
//   round trip   harness -> executor -> harness, timed by the harness itself around each run
//                (JSKCOV_HARNESS_STATS=1): request, the executor's work, reply, feedback;
//   libFuzzer    the real libFuzzer driving the executor through native/harness.c
//                (wall time of -runs=N minus that of -runs=0, per run): adds its mutation and
//                its scan of the counters to the round trip;
//   AFL++        afl-fuzz -E N on the same target (wall time of -E 2000+N minus -E 2000, per run).
// What the harness adds is the round trip minus in-process.
//
//   npm run build && node bench/native/round-trip.mjs [--runs 50000] [--rounds 3]

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");
const require = createRequire(import.meta.url);
const { buildHarness } = require(join(REPO, "dist/fuzz/engines/native-build.js"));
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
  const aflEnv = { ...env, AFL_NO_UI: "1", AFL_NO_AFFINITY: "1", AFL_SKIP_CPUFREQ: "1", AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: "1", AFL_FORKSRV_INIT_TMOUT: "60000" };
  const aflSeconds = (executions, round) => {
    const out = join(work, `afl-${round}-${executions}`);
    const run = timed("afl-fuzz", ["-i", join(work, "seeds"), "-o", out, "-E", String(executions), "-s", "1", "-t", "5000", "--", afl], { cwd: work, env: aflEnv });
    rmSync(out, { recursive: true, force: true });
    return run.seconds;
  };

  const measured = { inProcess: [], roundTrip: [], libFuzzer: [], afl: [] };
  for (let round = 0; round < rounds; round++) {
    const inProcessArgs = [jskcov, "run", "--quiet", "--no-cache", "--root", HERE, "--out", join(work, "kcov.out"), "--", join(HERE, "in-process.cjs"), String(runs)];
    measured.inProcess.push(Number(timed(process.execPath, inProcessArgs, { cwd: work }).result.stdout));

    const startup = timed(libFuzzer, ["-runs=0"], { cwd: work, env }).seconds; // start-up and the empty input only
    const fuzzing = timed(libFuzzer, [`-runs=${runs}`, "-max_len=8", "-seed=1"], { cwd: work, env: { ...env, JSKCOV_HARNESS_STATS: "1" } });
    measured.libFuzzer.push(((fuzzing.seconds - startup) * 1e6) / runs);
    measured.roundTrip.push(Number(/([\d.]+) us per round trip/.exec(fuzzing.result.stderr)[1]));

    measured.afl.push(((aflSeconds(AFL_WARM_UP + runs, round) - aflSeconds(AFL_WARM_UP, round)) * 1e6) / runs);
  }

  const row = (name, list) => `| ${name} | ${median(list).toFixed(1)} | ${Math.round(1e6 / median(list))} | ${list.map((us) => us.toFixed(1)).join(", ")} |`;
  const added = measured.roundTrip.map((us, i) => us - measured.inProcess[i]);
  process.stdout.write(
    [
      `runs: ${runs} per path and round, ${rounds} rounds, empty target, node ${process.version}, load average ${(await import("node:os")).loadavg()[0].toFixed(1)}`,
      "",
      "| path | µs per execution (median) | executions/s | each round |",
      "|---|---|---|---|",
      row("in-process (target + collect into the file area)", measured.inProcess),
      row("round trip harness -> executor -> harness", measured.roundTrip),
      row("libFuzzer -> harness -> executor", measured.libFuzzer),
      row("afl-fuzz -> harness -> executor", measured.afl),
      "",
      `added by the harness (round trip - in-process, same round): median ${median(added).toFixed(1)} µs; each round ${added.map((us) => us.toFixed(1)).join(", ")}`,
      "",
    ].join("\n"),
  );
} finally {
  session.close();
  rmSync(work, { recursive: true, force: true });
}
