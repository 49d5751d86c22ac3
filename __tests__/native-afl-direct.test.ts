// The direct AFL++ mode (the default; JSKCOV_AFL_DIRECT=0 turns it off; docs/executor-protocol.md): the executor reads
// afl-fuzz's requests, writes its pid and each run's wait status, reads the input from
// afl-fuzz's shared memory and writes afl-fuzz's bitmap itself (native/afl-direct.c), while
// native/harness.c supervises. Each fault with the real afl-fuzz (AFL++ 4.04c): a JavaScript
// crash, afl-fuzz's timeout kill, the executor's death, restarts, a long run's status written
// by the harness, and a SIGKILLed harness.

import * as fs from "node:fs";
import * as path from "node:path";
import { buildAflDirectAddon } from "../fuzz/engines/native-build";
import { AFL_TEST_ENV, REPO, TARGETS, cleanUp, expectAllGone, filesIn, harness, invocationFor, requireFuzzBuild, runHarness, session, shmEntries, workDir } from "./native-helpers";

jest.setTimeout(240_000);

let afl: string;
let addon: string;

beforeAll(() => {
  requireFuzzBuild();
  afl = harness("afl");
  addon = buildAflDirectAddon(path.join(REPO, "node_modules", ".cache", "babel-plugin-kcov-tests"));
});
afterEach(cleanUp);

function seedDir(texts: string[]): string {
  const dir = workDir();
  texts.forEach((text, i) => fs.writeFileSync(path.join(dir, `seed-${i}`), text));
  return dir;
}

/** afl-fuzz on the harness for `target`, in the direct mode (the default) unless JSKCOV_AFL_DIRECT=0. */
async function aflFuzz(target: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, onOutput?: (output: string, kill: (signal: NodeJS.Signals) => void) => void) {
  const cwd = workDir();
  const out = path.join(cwd, "out");
  const env = session().environment(invocationFor(target), {}, { ...AFL_TEST_ENV, AFL_DEBUG_CHILD: "1", JSKCOV_AFL_DIRECT_ADDON: addon, ...extraEnv });
  const run = await runHarness("afl-fuzz", ["-o", out, ...args, "--", afl], { cwd, env, onOutput });
  const instance = path.join(out, "default");
  const stats = fs.existsSync(path.join(instance, "fuzzer_stats")) ? fs.readFileSync(path.join(instance, "fuzzer_stats"), "utf8") : "";
  const stat = (name: string) => Number(new RegExp(`^${name}\\s*:\\s*(\\d+)`, "m").exec(stats)?.[1]);
  const files = (folder: string) => (fs.existsSync(path.join(instance, folder)) ? filesIn(path.join(instance, folder), "id:").map((name) => fs.readFileSync(path.join(instance, folder, name))) : []);
  const direct = [...run.output.matchAll(/jskcov-harness: executor (\d+) serves afl-fuzz directly/g)].map((match) => Number(match[1]));
  return { ...run, cwd, stat, files, direct };
}

test("the planted bug is found and saved as afl-fuzz's crash, with the JavaScript stack in the log", async () => {
  // -t 10000: a loaded machine's slow run is no timeout (each one would cost an executor start).
  const run = await aflFuzz("planted-bug.js", ["-i", seedDir(["aaaa"]), "-D", "-t", "10000", "-E", "20000", "-s", "1"], { AFL_BENCH_UNTIL_CRASH: "1" });
  expect(run.direct).toHaveLength(1);
  const crashes = run.files("crashes");
  expect(crashes.length).toBeGreaterThan(0);
  expect(new Set(crashes.map((crash) => crash.subarray(0, 4).toString("latin1")))).toEqual(new Set(["FUZZ"]));
  expect(run.output).toContain("Error: planted bug: the input starts with FUZZ");
  // The steps towards it are in afl-fuzz's queue: the bitmap the executor writes guided it.
  expect(run.files("queue").some((entry) => entry.toString("latin1").startsWith("FU"))).toBe(true);
  await expectAllGone(run.executorPids);
});

test("afl-showmap gets the same bitmap from the executor as from the harness, input by input", async () => {
  const inputs = seedDir(["aaaa", "Faaa", "FUaa", "FUZa", "xyz"]);
  const maps: Record<string, string[]> = {};
  for (const direct of ["1", "0"]) {
    const cwd = workDir();
    const out = path.join(cwd, "maps");
    const env = session().environment(invocationFor("planted-bug.js"), {}, { ...AFL_TEST_ENV, AFL_DEBUG_CHILD: "1", JSKCOV_AFL_DIRECT: direct, JSKCOV_AFL_DIRECT_ADDON: addon });
    const run = await runHarness("afl-showmap", ["-i", inputs, "-o", out, "-t", "10000", "--", afl], { cwd, env });
    expect(/serves afl-fuzz directly/.test(run.output)).toBe(direct === "1");
    maps[direct] = filesIn(out).map((name) => `${name}: ${fs.readFileSync(path.join(out, name), "utf8")}`);
    await expectAllGone(run.executorPids);
  }
  expect(maps["1"]).toHaveLength(5);
  expect(new Set(maps["1"]).size).toBeGreaterThan(3); // the inputs reach different blocks
  expect(maps["1"]).toEqual(maps["0"]);
});

test("afl-fuzz's timeout kills the executor, the harness reports it, the hang is saved, and the next executor serves on", async () => {
  const run = await aflFuzz("hangs.js", ["-i", seedDir(["HANF"]), "-t", "1000", "-V", "40", "-s", "1"]);
  expect(run.files("hangs").map((hang) => hang.toString("latin1"))).toContain("HANG");
  expect(run.stat("execs_done")).toBeGreaterThan(50); // it went on after the hang
  expect(run.direct.length).toBeGreaterThan(1); // a new executor after each kill, serving directly again
  expect(run.output).toMatch(/executor \d+ ended in direct state 2 \(wait status 0x9\)/); // killed mid-run: SIGKILL
  await expectAllGone(run.executorPids);
});

test("an executor that dies (abort) or exits mid-run is the input's crash", async () => {
  const run = await aflFuzz("dies.js", ["-i", seedDir(["ABRT", "EXIT"]), "-E", "300", "-s", "1"], { AFL_IGNORE_SEED_PROBLEMS: "1" });
  // afl-fuzz's dry run of the seeds meets both deaths; each was told to it as that run's status.
  expect(run.output).toMatch(/executor \d+ ended in direct state 2 \(wait status 0x6\)/);
  expect(run.output).toMatch(/executor \d+ ended in direct state 2 \(wait status 0x300\)/);
  expect(run.direct.length).toBeGreaterThanOrEqual(3);
  await expectAllGone(run.executorPids);
});

/**
 * How the executors ended while afl-fuzz ran on ("0 (wait status 0x0)": between runs, on
 * their own), from the harness's verbose lines. The last executor may instead be killed by
 * afl-fuzz itself, which SIGKILLs the pid it knows when it stops (-E reached), in whatever
 * state that executor is in: under load, before it has seen afl-fuzz go.
 */
function restartStates(output: string): string[] {
  const ends = [...output.matchAll(/ended in direct state (\d \(wait status 0x[0-9a-f]+\))/g)].map((end) => end[1]);
  if (ends.at(-1)?.endsWith("(wait status 0x9)")) ends.pop();
  return ends;
}

test("restarts after JSKCOV_EXECUTOR_MAX_RUNS come between runs; each next executor serves afl-fuzz on", async () => {
  const run = await aflFuzz("planted-bug.js", ["-i", seedDir(["aaaa"]), "-D", "-t", "10000", "-E", "3000", "-s", "1"], { JSKCOV_EXECUTOR_MAX_RUNS: "500" });
  expect(run.status).toBe(0);
  expect(run.stat("execs_done")).toBeGreaterThanOrEqual(3000);
  expect(run.direct.length).toBeGreaterThanOrEqual(6);
  expect(restartStates(run.output)).toContain("0 (wait status 0x0)");
  expect(restartStates(run.output).filter((state) => /^[123] /.test(state))).toEqual([]);
  await expectAllGone(run.executorPids);
});

test("restarts for memory (JSKCOV_EXECUTOR_MAX_RSS_MB, checked every 64 runs) come between runs too; each next executor serves on", async () => {
  // Every executor is past 1 MB: each one exits after its 64th run.
  const run = await aflFuzz("planted-bug.js", ["-i", seedDir(["aaaa"]), "-t", "10000", "-E", "1000", "-s", "1"], { JSKCOV_EXECUTOR_MAX_RSS_MB: "1" });
  expect(run.status).toBe(0);
  expect(run.stat("execs_done")).toBeGreaterThanOrEqual(1000);
  expect(run.direct.length).toBeGreaterThanOrEqual(1000 / 64 - 1);
  expect(restartStates(run.output)).toContain("0 (wait status 0x0)");
  expect(restartStates(run.output).filter((state) => /^[123] /.test(state))).toEqual([]);
  await expectAllGone(run.executorPids);
});

/*
 * An executor killed at the worst moment of the exchange (JSKCOV_AFL_DIRECT_KILL_AT, a test
 * hook of native/afl-direct.c: it SIGKILLs itself right after the step), as afl-fuzz's timer
 * or a kill from outside could: just after reading a request whose pid afl-fuzz already had
 * (state 4: the harness must not wait for that request again), just after its pid went out
 * (state 2: only the status is missing), just after writing a run's status and the next pid
 * (state 5: the harness sees from the pipes that afl-fuzz has them), just before asking the
 * harness for its pid (state 6: afl-fuzz waits for the pid), just after the status of the run
 * before a restart went to the harness (state 2, the status passed on). Each kill is that
 * run's crash; afl-fuzz stays in step with the next executor to the end of its budget. The
 * last two failed ("Fork server is misbehaving") while the executor wrote those words itself.
 */
test.each([
  ["request:30", 4, {}],
  ["pid:30", 2, { JSKCOV_AFL_MIN_TIMEOUT_MS: "0" }], // every status through the harness: each run's pid is written apart
  ["status:30", 5, {}],
  // A kill from outside before the pid went out: afl-fuzz still waits for the pid.
  ["before-pid:30", 6, { JSKCOV_AFL_MIN_TIMEOUT_MS: "0" }],
  // The status of the run before a restart (JSKCOV_EXECUTOR_MAX_RUNS), and no pid after it.
  ["status:30", 2, { JSKCOV_EXECUTOR_MAX_RUNS: "30" }],
])("an executor killed right after a step (JSKCOV_AFL_DIRECT_KILL_AT=%s) leaves afl-fuzz in step (direct state %d)", async (killAt, state, env) => {
  const executions = 200;
  // The early pid's bound is the -t given (10 s): every run of this target is far shorter, so statuses go with the next pid.
  const run = await aflFuzz("planted-bug.js", ["-i", seedDir(["aaaa"]), "-t", "10000", "-E", String(executions), "-s", "1"], {
    JSKCOV_AFL_DIRECT_KILL_AT: killAt,
    JSKCOV_AFL_MIN_TIMEOUT_MS: "10000",
    AFL_IGNORE_SEED_PROBLEMS: "1",
    ...env,
  });
  expect(run.output).not.toMatch(/PROGRAM ABORT|misbehaving|Unable to communicate/);
  expect(run.status).toBe(0);
  expect(run.stat("execs_done")).toBeGreaterThanOrEqual(executions);
  expect(run.output).toMatch(new RegExp(`ended in direct state ${state} \\(wait status 0x9\\)`));
  expect(run.direct.length).toBeGreaterThan(3);
  await expectAllGone(run.executorPids);
});

test("JSKCOV_HARNESS_STATS counts the direct mode's runs from the executors' control pages (printed at afl-fuzz's AFL_KILL_SIGNAL=15); the piped protocol's per round trip", async () => {
  for (const direct of ["1", "0"]) {
    const run = await aflFuzz("planted-bug.js", ["-i", seedDir(["aaaa"]), "-t", "10000", "-E", "300", "-s", "1"], {
      JSKCOV_AFL_DIRECT: direct,
      JSKCOV_HARNESS_STATS: "1",
      JSKCOV_EXECUTOR_MAX_RUNS: "100",
      AFL_KILL_SIGNAL: "15",
    });
    expect(run.status).toBe(0);
    const executions = run.stat("execs_done");
    expect(executions).toBeGreaterThanOrEqual(300);
    if (direct === "1") {
      const line = /direct AFL\+\+ mode: (\d+) runs served by (\d+) executors .* (\d+) long runs' statuses and reported (\d+) deaths/.exec(run.output);
      expect(line).not.toBeNull();
      const [, runs, executors, , deaths] = line!.map(Number);
      // Every run afl-fuzz made, across the restarts every 100 runs (its fuzzer_stats may miss the last one).
      expect(runs).toBeGreaterThanOrEqual(executions);
      expect(runs).toBeLessThanOrEqual(executions + 1);
      expect(executors).toBeGreaterThanOrEqual(Math.floor(executions / 100));
      expect(deaths).toBe(0);
    } else {
      const runs = Number(/jskcov-harness: (\d+) runs, [\d.]+ us per round trip/.exec(run.output)?.[1]);
      expect(runs).toBeGreaterThanOrEqual(executions);
      expect(runs).toBeLessThanOrEqual(executions + 1);
    }
    await expectAllGone(run.executorPids);
  }
});

test("-use_feedback=0 (JSKCOV_FEEDBACK=0) and a harness without the addon keep the piped protocol, and say why", async () => {
  const blind = await aflFuzz("planted-bug.js", ["-i", seedDir(["aaaa"]), "-E", "30"], { JSKCOV_FEEDBACK: "0" });
  const noAddon = await aflFuzz("planted-bug.js", ["-i", seedDir(["aaaa"]), "-E", "30"], { JSKCOV_AFL_DIRECT_ADDON: "" });
  for (const run of [blind, noAddon]) {
    expect(run.status).toBe(0);
    expect(run.direct).toEqual([]);
    expect(run.stat("execs_done")).toBeGreaterThanOrEqual(30);
    await expectAllGone(run.executorPids);
  }
  expect(blind.output).toContain("jskcov-harness: the piped protocol serves afl-fuzz: -use_feedback=0 (JSKCOV_FEEDBACK=0)");
  expect(noAddon.output).toContain("jskcov-harness: the piped protocol serves afl-fuzz: JSKCOV_AFL_DIRECT_ADDON (the executor's addon; jskcov fuzz --engine afl sets it) is not set");
});

test("JSKCOV_AFL_DIRECT that is not 0 or 1 is an error naming it, before any executor starts", async () => {
  const run = await aflFuzz("planted-bug.js", ["-i", seedDir(["aaaa"]), "-E", "10"], { JSKCOV_AFL_DIRECT: "yes" });
  expect(run.output).toContain("JSKCOV_AFL_DIRECT must be 1 (the direct AFL++ mode, the default) or 0 (the piped protocol), got 'yes'");
  expect(run.executorPids).toEqual([]);
});

test("with every run's status written by the harness (JSKCOV_AFL_MIN_TIMEOUT_MS=0), the exchange stays in step and the bug is found", async () => {
  const run = await aflFuzz("planted-bug.js", ["-i", seedDir(["aaaa"]), "-D", "-t", "10000", "-E", "30000", "-s", "1"], { AFL_BENCH_UNTIL_CRASH: "1", JSKCOV_AFL_MIN_TIMEOUT_MS: "0" });
  expect(run.status).toBe(0);
  expect(run.direct.length).toBeGreaterThanOrEqual(1);
  expect(new Set(run.files("crashes").map((crash) => crash.subarray(0, 4).toString("latin1")))).toEqual(new Set(["FUZZ"]));
  await expectAllGone(run.executorPids);
});

test("a SIGKILLed harness leaves no Node process and no /dev/shm file behind", async () => {
  const shmBefore = shmEntries();
  let killed = false;
  const run = await aflFuzz("hangs.js", ["-i", seedDir(["HANG"]), "-t", "600000", "-V", "60", "-s", "1"], {}, (output) => {
    const serving = /jskcov-harness: executor (\d+) serves afl-fuzz directly/.exec(output);
    if (killed || serving === null) return;
    killed = true;
    // The harness is the executor's parent; afl-fuzz's dry run of "HANG" keeps the executor in its endless loop.
    const harnessPid = Number(fs.readFileSync(`/proc/${serving[1]}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1]);
    setTimeout(() => process.kill(harnessPid, "SIGKILL"), 300);
  });
  expect(killed).toBe(true);
  expect(run.executorPids).toHaveLength(1);
  await expectAllGone(run.executorPids);
  const added = shmEntries().filter((name) => !shmBefore.includes(name) && !name.startsWith("jskcov-fuzz-"));
  expect(added).toEqual([]);
});

test("jskcov fuzz --engine afl builds the addon, serves directly by default and saves the bug as crash-<sha1>; with JSKCOV_AFL_DIRECT=0, the harness serves", async () => {
  const jskcov = path.join(REPO, "dist", "cli", "jskcov.js");
  const target = path.join(TARGETS, "planted-bug.js");
  for (const direct of [undefined, "0"]) {
    const cwd = workDir();
    const args = [jskcov, "fuzz", "--engine", "afl", "--root", TARGETS, "--no-cache", "--no-cmp", target, seedDir(["aaaa"]), "--", "-D", "-o", path.join(cwd, "out"), "-runs=30000", "-seed=1", `-artifact_prefix=${cwd}/`];
    const env = { ...process.env, ...AFL_TEST_ENV, AFL_DEBUG_CHILD: "1", AFL_BENCH_UNTIL_CRASH: "1", JSKCOV_AFL_DIRECT: direct };
    const run = await runHarness(process.execPath, args, { cwd, env });
    expect(run.status).toBe(0);
    expect(/serves afl-fuzz directly/.test(run.output)).toBe(direct === undefined);
    const artifacts = filesIn(cwd, "crash-");
    expect(artifacts.length).toBeGreaterThan(0);
    for (const name of artifacts) expect(fs.readFileSync(path.join(cwd, name)).subarray(0, 4).toString("latin1")).toBe("FUZZ");
    await expectAllGone(run.executorPids);
  }
});

test("the command -print_command=1 prints runs afl-fuzz on the harness by hand in the direct mode, and the bug is found", async () => {
  const jskcov = path.join(REPO, "dist", "cli", "jskcov.js");
  const cwd = workDir();
  const out = path.join(cwd, "out");
  const args = [jskcov, "fuzz", "--engine", "afl", "--root", TARGETS, "--no-cache", "--no-cmp", path.join(TARGETS, "planted-bug.js"), seedDir(["aaaa"]), "--", "-print_command=1", "-D", "-o", out, "-runs=30000", "-seed=1"];
  const printed = await runHarness(process.execPath, args, { cwd, env: { ...process.env, ...AFL_TEST_ENV } });
  expect(printed.status).toBe(0);
  expect(printed.output).toMatch(/^export JSKCOV_AFL_DIRECT_ADDON=.*\.node$/m);
  expect(printed.executorPids).toEqual([]); // printed, not run
  const run = await runHarness("sh", ["-c", printed.output], { cwd, env: { ...process.env, ...AFL_TEST_ENV, AFL_DEBUG_CHILD: "1", AFL_BENCH_UNTIL_CRASH: "1" } });
  expect(run.status).toBe(0);
  expect(run.output).toMatch(/jskcov-harness: executor \d+ serves afl-fuzz directly/);
  const crashes = filesIn(path.join(out, "default", "crashes"), "id:").map((name) => fs.readFileSync(path.join(out, "default", "crashes", name)).subarray(0, 4).toString("latin1"));
  expect(new Set(crashes)).toEqual(new Set(["FUZZ"]));
  await expectAllGone(run.executorPids);
});
