// Cost of an execution through the native engines, measured side by side in one run:
//   in-process   the executor's own work per input (target call + collect() into the
//                file-backed area), in one Node process (in-process.cjs under jskcov run);
//   libFuzzer    the real libFuzzer driving the executor through native/harness.c
//                (-runs=N on an empty target; wall time / N, Node's start-up subtracted);
//   AFL++        afl-fuzz -E N on the same target (execs_per_sec of its fuzzer_stats).
// The round trip harness -> executor -> harness is libFuzzer's time minus in-process's
// (it also contains libFuzzer's mutation and counter scan, so it is an upper bound).
//
//   npm run build && node bench/native/round-trip.mjs [--runs 200000]

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

const { values } = parseArgs({ options: { runs: { type: "string", default: "200000" } } });
const runs = Number(values.runs);
const target = join(HERE, "empty-target.cjs");
const invocation = {
  target,
  inputs: [],
  engineArgs: [],
  runConfig: { root: HERE, filter: ["**"], pcLayout: "full64", pcSeed: 0, pcSeedByFile: {}, counterMode: "hit", cacheDir: null, progress: false },
};

function seconds(command, args, options) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stderr}`);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}

const session = new NativeSession();
const work = mkdtempSync(join(tmpdir(), "jskcov-round-trip-"));
try {
  const env = session.environment(invocation);
  const jskcov = join(REPO, "dist/cli/jskcov.js");
  const inProcess = Number(
    seconds(process.execPath, [jskcov, "run", "--quiet", "--no-cache", "--root", HERE, "--out", join(work, "kcov.out"), "--", join(HERE, "in-process.cjs"), String(runs)], { cwd: work }).result.stdout,
  );

  const libFuzzer = buildHarness("libfuzzer");
  const startup = seconds(libFuzzer, ["-runs=0"], { cwd: work, env }).seconds; // start-up and the empty input only
  const fuzzing = seconds(libFuzzer, [`-runs=${runs}`, "-max_len=8", "-seed=1"], { cwd: work, env }).seconds;
  const libFuzzerMicroseconds = ((fuzzing - startup) * 1e6) / runs;

  const afl = buildHarness("afl");
  let aflMicroseconds = NaN;
  mkdirSync(join(work, "seeds"));
  writeFileSync(join(work, "seeds", "seed"), "seed");
  const aflRun = spawnSync("afl-fuzz", ["-i", join(work, "seeds"), "-o", join(work, "afl"), "-E", String(Math.min(runs, 50000)), "-s", "1", "--", afl], {
    cwd: work,
    encoding: "utf8",
    env: { ...env, AFL_NO_UI: "1", AFL_NO_AFFINITY: "1", AFL_SKIP_CPUFREQ: "1", AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: "1", AFL_FORKSRV_INIT_TMOUT: "60000" },
  });
  if (aflRun.status === 0) {
    const stats = readFileSync(join(work, "afl", "default", "fuzzer_stats"), "utf8");
    aflMicroseconds = 1e6 / Number(/execs_per_sec\s*:\s*([\d.]+)/.exec(stats)[1]);
  }

  const row = (name, us) => `| ${name} | ${us.toFixed(1)} | ${Math.round(1e6 / us)} |`;
  process.stdout.write(
    [
      `runs: ${runs} (AFL++: ${Math.min(runs, 50000)}), empty target, node ${process.version}`,
      "",
      "| path | µs per execution | executions/s |",
      "|---|---|---|",
      row("in-process (target + collect into the file area)", inProcess),
      row("libFuzzer -> harness -> executor", libFuzzerMicroseconds),
      Number.isNaN(aflMicroseconds) ? "| afl-fuzz (failed to run) | | |" : row("afl-fuzz -> harness -> executor", aflMicroseconds),
      "",
      `round trip added by the harness (libFuzzer - in-process): ${(libFuzzerMicroseconds - inProcess).toFixed(1)} µs`,
      "",
    ].join("\n"),
  );
} finally {
  session.close();
  rmSync(work, { recursive: true, force: true });
}
