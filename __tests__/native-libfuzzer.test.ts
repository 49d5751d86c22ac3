// The real libFuzzer (clang's libclang_rt.fuzzer, linked into native/harness.c) fuzzing
// JavaScript targets through the persistent executor: findings and their artifacts, the
// faults of docs/executor-protocol.md, and libFuzzer's own modes.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { libFuzzerCommand } from "../fuzz/engines/libfuzzer";
import {
  cleanUp,
  executorPidsIn,
  expectAllGone,
  filesIn,
  harness,
  invocationFor,
  requireFuzzBuild,
  runHarness,
  session,
  shmEntries,
  workDir,
} from "./native-helpers";

jest.setTimeout(240_000);

let libFuzzer: string;

beforeAll(() => {
  requireFuzzBuild();
  libFuzzer = harness("libfuzzer");
});
afterEach(cleanUp);

/** Runs the libFuzzer harness on `target` with libFuzzer `args` in a fresh directory. */
async function fuzz(target: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, onOutput?: Parameters<typeof runHarness>[2]["onOutput"]) {
  const cwd = workDir();
  const invocation = invocationFor(target, args);
  const command = libFuzzerCommand(invocation);
  const env = session().environment(invocation, {}, { ...command.env, ...extraEnv });
  const run = await runHarness(libFuzzer, command.args, { cwd, env, onOutput });
  return { ...run, cwd };
}

test("finds the planted bug within a fixed budget, prints the JavaScript stack and saves crash-<sha1>", async () => {
  const corpus = workDir();
  const run = await fuzz("planted-bug.js", ["-seed=1", "-runs=300000", corpus]);
  expect(run.output).toContain("jskcov: the fuzz target threw (JavaScript):");
  expect(run.output).toMatch(/Error: planted bug: the input starts with FUZZ\n\s+at Object\.fuzz \(.*planted-bug\.js:8:\d+\)/);
  expect(run.output).toContain("ERROR: libFuzzer: deadly signal");
  const crashes = filesIn(run.cwd, "crash-");
  expect(crashes).toHaveLength(1);
  expect(fs.readFileSync(path.join(run.cwd, crashes[0])).subarray(0, 4).toString("latin1")).toBe("FUZZ");
  // The steps that led there are in the first corpus directory: coverage guided libFuzzer.
  const saved = filesIn(corpus).map((name) => fs.readFileSync(path.join(corpus, name), "latin1"));
  for (const step of ["F", "FU"]) expect(saved.some((text) => text.startsWith(step) && !text.startsWith(`${step}${"FUZZ"[step.length]}`))).toBe(true);
  await expectAllGone(run.executorPids);
});

/** A corpus directory holding one seed: libFuzzer writes artifacts for seeds, not for inputs given as files. */
function corpusWith(text: string): string {
  const corpus = workDir();
  fs.writeFileSync(path.join(corpus, "seed"), text);
  return corpus;
}

test("a hang: the harness kills the executor at -timeout, then libFuzzer saves timeout-<sha1> and exits 70", async () => {
  const run = await fuzz("hangs.js", ["-timeout=2", "-runs=10", corpusWith("HANG")]);
  // The harness's deadline came first (its watchdog, not libFuzzer's _Exit, ended the executor)...
  expect(run.output).toMatch(new RegExp(`jskcov: the input ran past the deadline \\(-timeout=2 s\\): the harness killed executor ${run.executorPids[0]}\n`));
  // ...and libFuzzer's own report follows it.
  expect(run.output.indexOf("ERROR: libFuzzer: timeout after")).toBeGreaterThan(run.output.indexOf("the harness killed executor"));
  expect(run.status).toBe(70); // libFuzzer's -timeout_exitcode
  const timeouts = filesIn(run.cwd, "timeout-");
  expect(timeouts).toHaveLength(1);
  expect(fs.readFileSync(path.join(run.cwd, timeouts[0]), "latin1")).toBe("HANG");
  expect(run.executorPids).toHaveLength(1);
  await expectAllGone(run.executorPids);
});

test("-rss_limit_mb covers the executor's memory: past it, libFuzzer's out-of-memory report, oom-<sha1> and exit 71", async () => {
  const run = await fuzz("grows-memory.js", ["-rss_limit_mb=200", "-runs=10", corpusWith("GROW")]);
  expect(run.output).toMatch(new RegExp(`jskcov: executor ${run.executorPids[0]} reached a peak RSS of \\d+ MB, past -rss_limit_mb=200\n`));
  expect(run.output).toMatch(/==\d+== ERROR: libFuzzer: out-of-memory \(used: \d+Mb; exceeds: 200Mb\)/);
  expect(run.output).toContain("SUMMARY: libFuzzer: out-of-memory");
  expect(run.status).toBe(71); // libFuzzer's exit status for an out-of-memory
  // Named as libFuzzer names its artifacts: oom- and the SHA-1 of the input.
  expect(filesIn(run.cwd, "oom-")).toEqual([`oom-${createHash("sha1").update("GROW").digest("hex")}`]);
  expect(filesIn(run.cwd, "crash-")).toEqual([]);
  await expectAllGone(run.executorPids);
});

test("-rss_limit_mb=0 turns the limit off, and -artifact_prefix / -exact_artifact_path place oom-<sha1> as libFuzzer's other artifacts", async () => {
  const unlimited = await fuzz("grows-memory.js", ["-rss_limit_mb=0", "-runs=10", corpusWith("GROW")]);
  expect(unlimited.status).toBe(0);
  expect(unlimited.output).not.toContain("out-of-memory");
  expect(unlimited.output).toMatch(/Done 10 runs/);
  const dir = workDir();
  const prefixed = await fuzz("grows-memory.js", ["-rss_limit_mb=200", "-runs=10", `-artifact_prefix=${dir}/x-`, corpusWith("GROW")]);
  expect(prefixed.status).toBe(71);
  expect(filesIn(dir, "x-oom-")).toHaveLength(1);
  const exact = path.join(workDir(), "the-oom-input");
  const exactRun = await fuzz("grows-memory.js", ["-rss_limit_mb=200", "-runs=10", `-exact_artifact_path=${exact}`, corpusWith("GROW")]);
  expect(exactRun.status).toBe(71);
  expect(fs.readFileSync(exact, "latin1")).toBe("GROW");
  await expectAllGone([...unlimited.executorPids, ...prefixed.executorPids, ...exactRun.executorPids]);
});

test("an executor restart does not count against the input's -timeout, even when start-up takes longer than it", async () => {
  // slow-start.js takes 2.5 s to load; every run asks for a restart, each inside libFuzzer's
  // timed callback; -timeout=1 is shorter than one start.
  const run = await fuzz("slow-start.js", ["-timeout=1", "-runs=4", corpusWith("x")], { JSKCOV_EXECUTOR_MAX_RUNS: "1" });
  expect(run.output).not.toContain("ERROR: libFuzzer: timeout");
  expect(run.output).toMatch(/Done 4 runs/);
  expect(run.status).toBe(0);
  expect(run.executorPids.length).toBeGreaterThanOrEqual(4);
  expect(filesIn(run.cwd, "timeout-")).toEqual([]);
  await expectAllGone(run.executorPids);
});

test("with restarts, a real hang is still libFuzzer's timeout after -timeout of the input's own time", async () => {
  const run = await fuzz("hangs.js", ["-timeout=2", "-runs=10", corpusWith("HANG")], { JSKCOV_EXECUTOR_MAX_RUNS: "1" });
  expect(run.output).toContain("ERROR: libFuzzer: timeout after");
  expect(run.status).toBe(70);
  expect(filesIn(run.cwd, "timeout-").map((name) => fs.readFileSync(path.join(run.cwd, name), "latin1"))).toEqual(["HANG"]);
  await expectAllGone(run.executorPids);
});

test("a SIGKILLed harness leaves no Node process and no /dev/shm file behind", async () => {
  const cwd = workDir();
  const input = path.join(cwd, "hang-input");
  fs.writeFileSync(input, "HANG");
  const shmBefore = shmEntries();
  let killed = false;
  const run = await fuzz("hangs.js", ["-timeout=600", input], {}, (output, kill) => {
    if (!killed && /executor \d+ up/.test(output)) {
      killed = true;
      setTimeout(() => kill("SIGKILL"), 300); // while the executor is in the endless loop
    }
  });
  expect(run.signal).toBe("SIGKILL");
  expect(run.executorPids).toHaveLength(1);
  await expectAllGone(run.executorPids);
  // Only what was added counts, and not the built-in engine's session directories: /dev/shm
  // is shared with whatever else runs meanwhile (other test files, other fuzzing sessions),
  // which adds and removes those; no process of this test makes one.
  const added = shmEntries().filter((name) => !shmBefore.includes(name) && !name.startsWith("jskcov-fuzz-"));
  expect(added).toEqual([]);
});

test("an executor that dies (abort) or exits is the input's crash, with the cause in the log", async () => {
  for (const [text, cause] of [["ABRT", /was killed by signal 6 \(.*\) while it ran this input/], ["EXIT", /exited with status 3 while it ran this input/]] as const) {
    const run = await fuzz("dies.js", ["-runs=10", corpusWith(text)]);
    expect(run.output).toMatch(cause);
    const crashes = filesIn(run.cwd, "crash-");
    expect(crashes).toHaveLength(1);
    expect(fs.readFileSync(path.join(run.cwd, crashes[0]), "latin1")).toBe(text);
    await expectAllGone(run.executorPids);
  }
});

test("on one CPU (taskset, or afl-fuzz's own binding) the harness never spins: every wait for a reply blocks at once", async () => {
  const cwd = workDir();
  const invocation = invocationFor("planted-bug.js", ["-seed=1", "-runs=200"]);
  const command = libFuzzerCommand(invocation);
  const env = session().environment(invocation, {}, { ...command.env, JSKCOV_HARNESS_STATS: "1" });
  const run = await runHarness("taskset", ["-c", "0", libFuzzer, ...command.args], { cwd, env });
  expect(run.status).toBe(0);
  expect(run.output).toMatch(/jskcov-harness: 200 runs, .*; waits for a reply: 0 met by the spin, 0 outlasted it, 200 did not spin/);
  await expectAllGone(run.executorPids);
});

/** Runs reports-cpus.js for 200 runs under `taskset -c 0` with `extraEnv`: the run and what the executor reported. */
async function runOnCpu0(extraEnv: NodeJS.ProcessEnv) {
  const cwd = workDir();
  const report = path.join(cwd, "cpus.json");
  const invocation = invocationFor("reports-cpus.js", ["-seed=1", "-runs=200"]);
  const command = libFuzzerCommand(invocation);
  const env = session().environment(invocation, {}, { ...command.env, JSKCOV_HARNESS_STATS: "1", CPUS_REPORT_FILE: report, ...extraEnv });
  const run = await runHarness("taskset", ["-c", "0", libFuzzer, ...command.args], { cwd, env });
  return { run, report: fs.existsSync(report) ? (JSON.parse(fs.readFileSync(report, "utf8")) as { cpus: string; ownCpu: string | null }) : undefined };
}

test("by default the executor shares the harness's CPUs: under taskset -c 0, CPU 0, and it is not told to spin", async () => {
  const { run, report } = await runOnCpu0({});
  expect(run.status).toBe(0);
  expect(run.output).toContain("jskcov-harness: the executor shares the harness's CPUs (one)");
  expect(report).toEqual({ cpus: "0", ownCpu: null });
  await expectAllGone(run.executorPids);
});

(os.cpus().length >= 2 ? test : test.skip)("JSKCOV_EXECUTOR_CPU=1 binds the executor to CPU 1, and both sides wait for each other by spinning", async () => {
  const { run, report } = await runOnCpu0({ JSKCOV_EXECUTOR_CPU: "1" });
  expect(run.status).toBe(0);
  expect(run.output).toContain("jskcov-harness: the executor runs on CPU 1 (JSKCOV_EXECUTOR_CPU), the harness on another CPU");
  expect(report).toEqual({ cpus: "1", ownCpu: "1" });
  // The harness is on one CPU, but the executor is not on it: its first wait spins (later
  // ones may not, depending on the machine's load).
  const waits = /waits for a reply: (\d+) met by the spin, (\d+) outlasted it, (\d+) did not spin/.exec(run.output);
  expect(waits).not.toBeNull();
  expect(Number(waits![1]) + Number(waits![2])).toBeGreaterThan(0);
  await expectAllGone(run.executorPids);
});

test("JSKCOV_EXECUTOR_CPU that is not 'shared' or a CPU number is an error naming it", async () => {
  for (const value of ["two", "1x", "100000"]) {
    const { run, report } = await runOnCpu0({ JSKCOV_EXECUTOR_CPU: value });
    expect(run.status).toBe(1);
    expect(run.output).toMatch(new RegExp(`JSKCOV_EXECUTOR_CPU must be 'shared' or a CPU number from 0 to \\d+, got '${value}'`));
    expect(report).toBeUndefined();
  }
});

test("an executor that cannot start is a clear error, not a finding", async () => {
  const run = await fuzz("fails-to-load.js", ["-runs=10"]);
  expect(run.output).toContain("this target fails to load on purpose");
  expect(run.output).toContain("jskcov-harness: the executor did not start: it exited with status 3 before its hello");
  expect(run.status).toBe(1);
  expect(filesIn(run.cwd, "crash-")).toEqual([]);
});

test("executor restarts lose no coverage: with a restart every 5000 runs libFuzzer takes the same path to the bug", async () => {
  const args = ["-seed=1", "-runs=300000", "-reload=0"];
  const steady = await fuzz("planted-bug.js", args);
  const restarting = await fuzz("planted-bug.js", args, { JSKCOV_EXECUTOR_MAX_RUNS: "5000" });
  // libFuzzer is deterministic for a seed: the same coverage gives the same inputs, in the same order.
  const progress = (output: string) => output.split("\n").filter((line) => /^#\d+\s+(NEW|REDUCE)/.test(line)).map((line) => line.replace(/exec\/s: \d+ rss: \d+Mb/, ""));
  expect(steady.executorPids).toHaveLength(1);
  expect(restarting.executorPids.length).toBeGreaterThan(2);
  expect(progress(steady.output).length).toBeGreaterThanOrEqual(3);
  expect(progress(restarting.output)).toEqual(progress(steady.output));
  expect(filesIn(restarting.cwd, "crash-")).toEqual(filesIn(steady.cwd, "crash-"));
  expect(filesIn(steady.cwd, "crash-")).toHaveLength(1);
  await expectAllGone(restarting.executorPids);
});

test("restarts for memory (JSKCOV_EXECUTOR_MAX_RSS_MB) lose no coverage either, and an executor's exit writes no coverage dump", async () => {
  const args = ["-seed=1", "-runs=1000"];
  const steady = await fuzz("planted-bug.js", args);
  const cwd = workDir();
  const invocation = invocationFor("planted-bug.js", args);
  // Any Node process is above 1 MB: the executor asks for a restart at each check (every 64 runs).
  const env = session().environment(invocation, { maxRssMb: 1 });
  const dump = path.join(cwd, "kcov.out"); // where the preload would write an executor's dump
  env.JSKCOV_RUN_CONFIG = JSON.stringify({ ...JSON.parse(env.JSKCOV_RUN_CONFIG as string), out: dump });
  const restarting = await runHarness(libFuzzer, libFuzzerCommand(invocation).args, { cwd, env });
  // Every status line, the last one (DONE: features and corpus after 1000 runs) included.
  const progress = (output: string) => output.split("\n").filter((line) => /^#\d+\s+(INITED|NEW|REDUCE|DONE)/.test(line)).map((line) => line.replace(/exec\/s: \d+ rss: \d+Mb/, ""));
  expect(restarting.executorPids.length).toBeGreaterThanOrEqual(Math.floor(1000 / 64));
  expect(progress(steady.output).map((line) => /^#\d+\s+(\w+)/.exec(line)?.[1])).toEqual(["INITED", "NEW", "DONE"]);
  expect(progress(restarting.output)).toEqual(progress(steady.output));
  // The preload of `jskcov run` writes no dump for executors (their coverage went to libFuzzer).
  expect(fs.existsSync(dump)).toBe(false);
  await expectAllGone(restarting.executorPids);
});

test("-merge=1 keeps one input per new coverage in the first corpus directory", async () => {
  const cwd = workDir();
  const [merged, inputs] = [path.join(cwd, "merged"), path.join(cwd, "inputs")];
  fs.mkdirSync(merged);
  fs.mkdirSync(inputs);
  const texts = ["aaaa", "bbbb", "Faaa", "Fbbb", "FUaa", "FUZa"];
  texts.forEach((text, i) => fs.writeFileSync(path.join(inputs, `input-${i}`), text));
  const run = await fuzz("planted-bug.js", ["-merge=1", merged, inputs]);
  expect(run.status).toBe(0);
  const kept = filesIn(merged).map((name) => fs.readFileSync(path.join(merged, name), "latin1")).sort();
  // One of the two inputs that reach no branch, one of the two "F" inputs, "FU" and "FUZ".
  expect(kept).toHaveLength(4);
  expect(kept).toEqual(expect.arrayContaining(["FUaa", "FUZa"]));
});

test("-minimize_crash=1 shrinks a crashing input to the four bytes that matter", async () => {
  const cwd = workDir();
  const input = path.join(cwd, "crash-input");
  fs.writeFileSync(input, "FUZZ-tail-bytes");
  const run = await fuzz("planted-bug.js", ["-minimize_crash=1", "-runs=2000", `-artifact_prefix=${cwd}/`, input]);
  expect(run.output).toContain("CRASH_MIN: minimizing crash input");
  const minimized = filesIn(cwd, "minimized-from-").map((name) => fs.readFileSync(path.join(cwd, name), "latin1"));
  expect(minimized.length).toBeGreaterThan(0);
  expect(minimized.map((text) => text.length).sort((a, b) => a - b)[0]).toBe(4);
});

test("-fork=1 runs the fuzzing in a child libFuzzer, which finds and saves the bug", async () => {
  const corpus = workDir();
  const run = await fuzz("planted-bug.js", ["-fork=1", "-seed=3", "-runs=300000", corpus]);
  expect(run.output).toMatch(/INFO: -fork=1: fuzzing in separate process\(s\)/);
  expect(run.output).toContain("planted bug: the input starts with FUZZ");
  const crashes = filesIn(run.cwd, "crash-");
  expect(crashes).toHaveLength(1);
  expect(fs.readFileSync(path.join(run.cwd, crashes[0])).subarray(0, 4).toString("latin1")).toBe("FUZZ");
});

test("-jobs=2 -workers=2: each job fuzzes in its own libFuzzer with its own executor, saves the bug, and leaves no process", async () => {
  const corpus = workDir();
  const run = await fuzz("planted-bug.js", ["-jobs=2", "-workers=2", "-seed=1", "-runs=300000", corpus]);
  expect(run.output).toMatch(/Job 0 exited with exit code/);
  expect(run.output).toMatch(/Job 1 exited with exit code/);
  const logs = filesIn(run.cwd, "fuzz-").map((name) => fs.readFileSync(path.join(run.cwd, name), "utf8"));
  expect(logs).toHaveLength(2);
  for (const log of logs) expect(log).toContain("Error: planted bug: the input starts with FUZZ");
  const crashes = filesIn(run.cwd, "crash-");
  expect(crashes.length).toBeGreaterThanOrEqual(1);
  for (const crash of crashes) expect(fs.readFileSync(path.join(run.cwd, crash)).subarray(0, 4).toString("latin1")).toBe("FUZZ");
  // Each job's harness starts one executor; the orchestrating process (which prints the
  // jobs' logs when they end) starts none.
  const jobExecutors = logs.flatMap(executorPidsIn);
  const jobHarnesses = logs.flatMap((log) => [...log.matchAll(/^==(\d+)== jskcov:/gm)].map((match) => Number(match[1])));
  expect(jobExecutors).toHaveLength(2);
  expect(run.executorPids.sort()).toEqual([...jobExecutors].sort());
  expect(new Set(jobHarnesses).size).toBe(2);
  await expectAllGone([...jobExecutors, ...jobHarnesses]);
});

test("jskcov fuzz --engine libfuzzer runs libFuzzer on the target and exits with its crash status", async () => {
  const cwd = workDir();
  const jskcov = path.join(__dirname, "..", "dist", "cli", "jskcov.js");
  const run = await runHarness(
    process.execPath,
    [jskcov, "fuzz", "--engine", "libfuzzer", "--root", path.join(__dirname, "native-targets"), "--no-cache", path.join(__dirname, "native-targets", "planted-bug.js"), "corpus", "--", "-seed=1", "-runs=300000", "-create_missing_dirs=1"],
    { cwd, env: process.env },
  );
  expect(run.output).toContain("planted bug: the input starts with FUZZ");
  expect(run.status).not.toBe(0);
  const crashes = filesIn(cwd, "crash-");
  expect(crashes).toHaveLength(1);
  expect(fs.readFileSync(path.join(cwd, crashes[0])).subarray(0, 4).toString("latin1")).toBe("FUZZ");
  await expectAllGone(run.executorPids);
});
