// The real afl-fuzz (AFL++ 4.04c, Debian's afl++) running JavaScript targets through
// native/harness.c's forkserver and the persistent executor: findings saved by afl-fuzz
// and as crash-/timeout-<sha1>, its timeouts and hangs, -M/-S instances sharing one
// output directory, afl-tmin and afl-cmin.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Readable, Writable } from "node:stream";
import { aflCommand, saveAflFindings } from "../fuzz/engines/afl";
import { AFL_TEST_ENV, TARGETS, aflDirectAddon, cleanUp, executorPidsIn, expectAllGone, filesIn, harness, invocationFor, killAfterTest, requireFuzzBuild, runHarness, session, workDir } from "./native-helpers";

jest.setTimeout(240_000);

let afl: string;
/**
 * The tests' afl-fuzz environment, with the harness's stderr (the executors it starts) reaching
 * the test, and the executor's addon, so that the harness takes the direct AFL++ mode, its
 * default, wherever it applies (JSKCOV_AFL_DIRECT=0 is the piped protocol).
 */
let AFL_ENV: NodeJS.ProcessEnv;

beforeAll(() => {
  requireFuzzBuild();
  afl = harness("afl");
  AFL_ENV = { ...AFL_TEST_ENV, AFL_DEBUG_CHILD: "1", JSKCOV_AFL_DIRECT_ADDON: aflDirectAddon() };
});
afterEach(cleanUp);

function seedDir(texts: string[]): string {
  const dir = workDir();
  texts.forEach((text, i) => fs.writeFileSync(path.join(dir, `seed-${i}`), text));
  return dir;
}

/** What the harness said about how it serves afl-fuzz (JSKCOV_HARNESS_VERBOSE). */
const DIRECT = /jskcov-harness: executor \d+ serves afl-fuzz directly/;
const PIPED_BECAUSE = /jskcov-harness: the piped protocol serves afl-fuzz: (.*)/;

/** Runs `tool args -- <harness>` for `target` with the executor's environment. */
async function runWithHarness(tool: string, target: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const cwd = workDir();
  const invocation = invocationFor(target);
  const env = session().environment(invocation, {}, { ...AFL_ENV, ...extraEnv });
  const run = await runHarness(tool, [...args, "--", afl], { cwd, env });
  return { ...run, cwd };
}

// The direct mode's own tests are in native-afl-direct.test.ts; these two keep the piped protocol's (JSKCOV_AFL_DIRECT=0).
test("the piped protocol (JSKCOV_AFL_DIRECT=0): afl-fuzz finds the planted bug within a fixed budget; the crash is saved by afl-fuzz and as crash-<sha1>", async () => {
  const out = path.join(workDir(), "out");
  const seeds = seedDir(["aaaa"]);
  const run = await runWithHarness("afl-fuzz", "planted-bug.js", ["-i", seeds, "-o", out, "-D", "-V", "180", "-s", "1"], { AFL_BENCH_UNTIL_CRASH: "1", JSKCOV_AFL_DIRECT: "0" });
  expect(PIPED_BECAUSE.exec(run.output)?.[1]).toBe("JSKCOV_AFL_DIRECT=0");
  expect(run.output).not.toMatch(DIRECT);
  const crashes = filesIn(path.join(out, "default", "crashes"), "id:");
  expect(crashes.length).toBeGreaterThan(0);
  // Every crash is the bug: an executor afl-fuzz's timer killed never runs the next input.
  const crashTexts = crashes.map((name) => fs.readFileSync(path.join(out, "default", "crashes", name)).subarray(0, 4).toString("latin1"));
  expect(new Set(crashTexts)).toEqual(new Set(["FUZZ"]));
  // The steps towards it are in afl-fuzz's queue: coverage guided it.
  const queue = filesIn(path.join(out, "default", "queue"), "id:").map((name) => fs.readFileSync(path.join(out, "default", "queue", name), "latin1"));
  expect(queue.some((text) => text.startsWith("FU"))).toBe(true);
  const prefix = `${workDir()}/`;
  const saved = saveAflFindings(out, prefix, () => {});
  expect(saved.length).toBe(crashes.length);
  expect(saved.every((file) => /^crash-[0-9a-f]{40}$/.test(path.basename(file)))).toBe(true);
  expect(saved.map((file) => fs.readFileSync(file).subarray(0, 4).toString("latin1"))).toContain("FUZZ");
  await expectAllGone(run.executorPids);
});

test("the piped protocol (JSKCOV_AFL_DIRECT=0): afl-fuzz's timeout kills the executor, the hang is saved, and the harness restarts the executor", async () => {
  const out = path.join(workDir(), "out");
  const seeds = seedDir(["HANF"]); // one bit from the hang
  const run = await runWithHarness("afl-fuzz", "hangs.js", ["-i", seeds, "-o", out, "-t", "1000", "-V", "40", "-s", "1"], { JSKCOV_AFL_DIRECT: "0" });
  expect(PIPED_BECAUSE.exec(run.output)?.[1]).toBe("JSKCOV_AFL_DIRECT=0");
  const hangs = filesIn(path.join(out, "default", "hangs"), "id:");
  expect(hangs.length).toBeGreaterThan(0);
  expect(fs.readFileSync(path.join(out, "default", "hangs", hangs[0]), "latin1")).toBe("HANG");
  const stats = fs.readFileSync(path.join(out, "default", "fuzzer_stats"), "utf8");
  expect(Number(/execs_done\s*:\s*(\d+)/.exec(stats)?.[1])).toBeGreaterThan(50); // it went on after the hang
  expect(run.executorPids.length).toBeGreaterThan(1); // a new executor after each kill
  const saved = saveAflFindings(out, `${run.cwd}/`, () => {});
  expect(saved.map((file) => path.basename(file))).toContain(filesIn(run.cwd, "timeout-")[0]);
  await expectAllGone(run.executorPids);
});

/**
 * afl-fuzz's side of the forkserver protocol, driven step by step: the harness runs with its
 * control pipe on fd 198 and status pipe on fd 199, as under afl-fuzz, reading `inputPath`.
 */
function fakeAflFuzz(target: string, inputPath: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const env = { ...session().environment(invocationFor(target)), JSKCOV_HARNESS_VERBOSE: "1", ...extraEnv };
  const stdio: ("ignore" | "pipe")[] = Array.from({ length: 200 }, (_, fd) => (fd === 2 || fd >= 198 ? "pipe" : "ignore"));
  const child = killAfterTest(spawn(afl, [inputPath], { env, stdio }));
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const pipes = child.stdio as unknown as (Readable | Writable | null)[];
  const status = pipes[199] as Readable;
  const control = pipes[198] as Writable;
  let buffered = Buffer.alloc(0);
  const waiting: (() => void)[] = [];
  const chunkLengths: number[] = []; // what each read of the status pipe got: one write is one chunk
  status.on("data", (chunk: Buffer) => {
    chunkLengths.push(chunk.length);
    buffered = Buffer.concat([buffered, chunk]);
    waiting.splice(0).forEach((wake) => wake());
  });
  const readWord = async (): Promise<number> => {
    while (buffered.length < 4) await new Promise<void>((resolve) => waiting.push(resolve));
    const word = buffered.readUInt32LE(0);
    buffered = buffered.subarray(4);
    return word;
  };
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const request = (wasKilled: boolean) => {
    const word = Buffer.alloc(4);
    word.writeUInt32LE(wasKilled ? 1 : 0);
    control.write(word);
  };
  return {
    chunkLengths,
    hello: readWord,
    /** One run: afl-fuzz says whether it killed the last run's pid, gets the pid, then the wait status. */
    async run(wasKilled: boolean): Promise<{ pid: number; status: number }> {
      request(wasKilled);
      const pid = await readWord();
      return { pid, status: await readWord() };
    },
    /** The next word on the status pipe, read before afl-fuzz's next request is written. */
    wordBeforeRequest: readWord,
    /** A run whose pid has been read already: the request, then the wait status. */
    async runWithPidRead(wasKilled: boolean): Promise<number> {
      request(wasKilled);
      return readWord();
    },
    async close(): Promise<{ output: string; executorPids: number[] }> {
      control.end();
      await exited;
      return { output, executorPids: executorPidsIn(output) };
    },
  };
}

/** Waits until `pid` has died (a zombie not reaped yet counts): /proc shows its state. */
async function waitForDeath(pid: number): Promise<void> {
  const state = () => (fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] : "gone");
  while (!["Z", "X", "gone"].includes(state())) await new Promise((resolve) => setTimeout(resolve, 20));
}

test("afl-fuzz's timeout kill landing after the run replied is no false crash of the next input", async () => {
  const input = path.join(workDir(), "input");
  // An input that never crashes and takes 30 ms, longer than afl-fuzz's shortest timeout
  // (5 ms; only a run that long can time out): the harness keeps the next pid until
  // afl-fuzz's next request, which says whether afl-fuzz killed this one.
  fs.writeFileSync(input, "SLOW");
  const fuzzer = fakeAflFuzz("protocol.js", input);
  await fuzzer.hello();
  const first = await fuzzer.run(false);
  expect(first.status).toBe(0);
  // afl-fuzz's timer expired just as the run replied: it kills the pid it was given, reads
  // the run's status, and tells the harness so with the next run's "was killed" word.
  process.kill(first.pid, "SIGKILL");
  await waitForDeath(first.pid);
  const next = await fuzzer.run(true);
  expect(next.pid).not.toBe(first.pid); // a new executor runs it
  expect(next.status).toBe(0); // not the dead executor's SIGKILL, reported as this input's crash
  const after = await fuzzer.run(false);
  expect(after).toEqual({ pid: next.pid, status: 0 });
  const { executorPids } = await fuzzer.close();
  expect(executorPids).toEqual([first.pid, next.pid]);
  await expectAllGone(executorPids);
});

test("after a run too short for afl-fuzz's timer to expire, the next run's pid is sent before afl-fuzz asks for it", async () => {
  const input = path.join(workDir(), "input");
  fs.writeFileSync(input, "fine");
  // Every timeout of this afl-fuzz is at least 10 minutes: every run here is far shorter.
  const fuzzer = fakeAflFuzz("protocol.js", input, { JSKCOV_AFL_MIN_TIMEOUT_MS: "600000" });
  await fuzzer.hello();
  const first = await fuzzer.run(false);
  expect(first.status).toBe(0);
  for (let i = 0; i < 5; i++) {
    // The pid is on the status pipe with no request written: afl-fuzz's read of it does not wait.
    expect(await fuzzer.wordBeforeRequest()).toBe(first.pid);
    expect(await fuzzer.runWithPidRead(false)).toBe(0);
  }
  // A crash is reported as before, and the pid after it is the same executor's (a
  // JavaScript crash does not end the executor).
  fs.writeFileSync(input, "CRASH");
  expect(await fuzzer.wordBeforeRequest()).toBe(first.pid);
  expect(await fuzzer.runWithPidRead(false)).toBe(6); // SIGABRT, as afl-fuzz is told for a JavaScript crash
  expect(await fuzzer.wordBeforeRequest()).toBe(first.pid);
  // The hello, the first pid (asked for), then each status with the next pid: one write each.
  // A loaded machine may hand two writes to one read, but a read never ends inside a write.
  const ends = (lengths: number[]) => lengths.map((_, i) => lengths.slice(0, i + 1).reduce((a, b) => a + b));
  const writeEnds = ends([4, 4, 8, 8, 8, 8, 8, 8, 8]);
  const readEnds = ends(fuzzer.chunkLengths);
  expect(readEnds.filter((end) => !writeEnds.includes(end))).toEqual([]);
  expect(readEnds.at(-1)).toBe(writeEnds.at(-1));
  const { output, executorPids } = await fuzzer.close();
  expect(output).toContain("protocol test crash");
  expect(executorPids).toEqual([first.pid]);
  await expectAllGone(executorPids);
});

test("JSKCOV_AFL_MIN_TIMEOUT_MS that is not a number of milliseconds is an error naming it", async () => {
  const run = await runWithHarness("afl-fuzz", "planted-bug.js", ["-i", seedDir(["aaaa"]), "-o", path.join(workDir(), "out"), "-E", "10"], { JSKCOV_AFL_MIN_TIMEOUT_MS: "5ms" });
  expect(run.output).toContain("JSKCOV_AFL_MIN_TIMEOUT_MS must be 0..86400000 (milliseconds), got '5ms'");
});

test("under afl-fuzz, JSKCOV_EXECUTOR_CPU that is not 'shared' or a CPU number is an error naming it, before any executor starts", async () => {
  const run = await runWithHarness("afl-fuzz", "planted-bug.js", ["-i", seedDir(["aaaa"]), "-o", path.join(workDir(), "out"), "-E", "10"], { JSKCOV_EXECUTOR_CPU: "cpu1" });
  expect(run.output).toMatch(/JSKCOV_EXECUTOR_CPU must be 'shared' or a CPU number from 0 to \d+, got 'cpu1'/);
  expect(run.executorPids).toEqual([]);
});

test("-M and -S instances share one output directory", async () => {
  const out = path.join(workDir(), "out");
  const seeds = seedDir(["aaaa"]);
  const [main, secondary] = await Promise.all([
    runWithHarness("afl-fuzz", "planted-bug.js", ["-i", seeds, "-o", out, "-M", "main", "-V", "20"]),
    runWithHarness("afl-fuzz", "planted-bug.js", ["-i", seeds, "-o", out, "-S", "second", "-V", "20"]),
  ]);
  for (const instance of ["main", "second"]) {
    const stats = fs.readFileSync(path.join(out, instance, "fuzzer_stats"), "utf8");
    expect(Number(/execs_done\s*:\s*(\d+)/.exec(stats)?.[1])).toBeGreaterThan(0);
  }
  expect(main.output).not.toContain("PROGRAM ABORT");
  expect(secondary.output).not.toContain("PROGRAM ABORT");
  expect(main.output).toMatch(DIRECT); // the default
  expect(secondary.output).toMatch(DIRECT);
  await expectAllGone([...main.executorPids, ...secondary.executorPids]);
});

/** The queue entries of one instance, by file name. */
function queueOf(out: string, instance: string): Map<string, Buffer> {
  const dir = path.join(out, instance, "queue");
  return new Map(filesIn(dir, "id:").map((name) => [name, fs.readFileSync(path.join(dir, name))]));
}

/**
 * afl-fuzz shares queue entries, not crashes: an instance imports the other instances'
 * queue entries that are new to it (a -S instance only from a running -M one; the -M one
 * from every instance), running each through its own harness. So: -S "second" runs from
 * "aaaa" until it has found the bug (its queue then holds the steps F, FU, FUZ; -D, the
 * deterministic stages, gets it there within the budget); then -M
 * "main" starts from the unrelated "zzzz" with AFL_IMPORT_FIRST=1, imports those steps as
 * `sync:second` entries, and finds the bug from one of them.
 */
function expectSharedThroughSync(out: string) {
  const second = queueOf(out, "second");
  const main = queueOf(out, "main");
  const imported = [...main].filter(([name]) => name.includes(",sync:second,"));
  expect(imported.length).toBeGreaterThan(0);
  const secondContents = new Set([...second.values()].map((bytes) => bytes.toString("hex")));
  for (const [, bytes] of imported) expect(secondContents).toContain(bytes.toString("hex"));
  expect(imported.some(([, bytes]) => bytes.subarray(0, 3).toString("latin1") === "FUZ")).toBe(true);
  const importedIds = new Set(imported.map(([name]) => /^id:(\d+)/.exec(name)![1]));
  const crashes = filesIn(path.join(out, "main", "crashes"), "id:");
  expect(crashes.length).toBeGreaterThan(0);
  expect(crashes.map((name) => fs.readFileSync(path.join(out, "main", "crashes", name)).subarray(0, 4).toString("latin1"))).toContain("FUZZ");
  // The crash was found by mutating an imported entry, not on main's own path.
  expect(crashes.some((name) => importedIds.has(/,src:(\d+)/.exec(name)?.[1] ?? ""))).toBe(true);
}

test("-S and -M instances of afl-fuzz on the harness share corpus entries through the sync directory", async () => {
  const out = path.join(workDir(), "out");
  const second = await runWithHarness("afl-fuzz", "planted-bug.js", ["-i", seedDir(["aaaa"]), "-o", out, "-S", "second", "-D", "-E", "40000", "-s", "1"], { AFL_BENCH_UNTIL_CRASH: "1" });
  expect(filesIn(path.join(out, "second", "crashes"), "id:").length).toBeGreaterThan(0);
  const main = await runWithHarness("afl-fuzz", "planted-bug.js", ["-i", seedDir(["zzzz"]), "-o", out, "-M", "main", "-E", "20000", "-s", "1"], {
    AFL_BENCH_UNTIL_CRASH: "1",
    AFL_IMPORT_FIRST: "1",
  });
  expectSharedThroughSync(out);
  expect(second.output).toMatch(DIRECT);
  expect(main.output).toMatch(DIRECT);
  await expectAllGone([...second.executorPids, ...main.executorPids]);
});

test("jskcov fuzz --engine afl -S / -M: the same sharing, and each run saves every instance's crashes as crash-<sha1>", async () => {
  const jskcov = path.join(__dirname, "..", "dist", "cli", "jskcov.js");
  const cwd = workDir();
  const out = path.join(cwd, "out");
  const fuzz = (seed: string, role: string[], env: NodeJS.ProcessEnv) => {
    const target = path.join(TARGETS, "planted-bug.js");
    const args = [jskcov, "fuzz", "--engine", "afl", "--root", TARGETS, "--no-cache", "--no-cmp", target, seedDir([seed]), "--", ...role, "-o", out, "-seed=1"];
    return runHarness(process.execPath, [...args, "-artifact_prefix=" + cwd + "/"], { cwd, env: { ...process.env, ...AFL_ENV, AFL_BENCH_UNTIL_CRASH: "1", ...env } });
  };
  const second = await fuzz("aaaa", ["-S", "second", "-D", "-runs=40000"], {});
  expect(second.status).toBe(0);
  const main = await fuzz("zzzz", ["-M", "main", "-runs=20000"], { AFL_IMPORT_FIRST: "1" });
  expect(main.status).toBe(0);
  expectSharedThroughSync(out);
  expect(second.output).toMatch(DIRECT); // jskcov fuzz --engine afl builds the addon and sets it
  expect(main.output).toMatch(DIRECT);
  const artifacts = filesIn(cwd, "crash-");
  expect(artifacts.length).toBeGreaterThanOrEqual(2); // second's crash and main's (different inputs)
  expect(artifacts.map((name) => fs.readFileSync(path.join(cwd, name)).subarray(0, 4).toString("latin1"))).toEqual(artifacts.map(() => "FUZZ"));
  await expectAllGone([...second.executorPids, ...main.executorPids]);
});

test("jskcov fuzz --engine afl -- -n (non-instrumented): the harness's forkserver runs the inputs through the piped protocol, and crashes are saved as crash-<sha1> too", async () => {
  const jskcov = path.join(__dirname, "..", "dist", "cli", "jskcov.js");
  const cwd = workDir();
  const out = path.join(cwd, "out");
  const target = path.join(TARGETS, "planted-bug.js");
  // "FUZY" is one bit from the bug: blind havoc finds it within the budget.
  const args = [jskcov, "fuzz", "--engine", "afl", "--root", TARGETS, "--no-cache", "--no-cmp", target, seedDir(["FUZY"]), "--", "-n", "-o", out, "-runs=5000", "-seed=1", `-artifact_prefix=${cwd}/`];
  const run = await runHarness(process.execPath, args, { cwd, env: { ...process.env, ...AFL_ENV } });
  expect(run.status).toBe(0);
  // afl-fuzz's -n mode writes crashes/ in the output directory itself, with no instance directory.
  const crashes = filesIn(path.join(out, "crashes"), "id:");
  expect(crashes.length).toBeGreaterThan(0);
  expect(run.executorPids).toHaveLength(1); // one persistent executor (AFL_DUMB_FORKSRV=1), not one Node per input
  // afl-fuzz -n shares no bitmap (nor the input) with its target: the direct mode cannot apply.
  expect(PIPED_BECAUSE.exec(run.output)?.[1]).toBe("no bitmap in shared memory (__AFL_SHM_ID: afl-fuzz's non-instrumented mode, -n)");
  const artifacts = filesIn(cwd, "crash-");
  expect(artifacts.length).toBe(new Set(crashes.map((name) => fs.readFileSync(path.join(out, "crashes", name)).toString("hex"))).size);
  for (const name of artifacts) expect(fs.readFileSync(path.join(cwd, name)).subarray(0, 4).toString("latin1")).toBe("FUZZ");
  await expectAllGone(run.executorPids);
});

test("afl-tmin shrinks a crashing input to the four bytes that matter (in the direct mode, the default)", async () => {
  const dir = workDir();
  fs.writeFileSync(path.join(dir, "crash"), "FUZZ-tail-bytes");
  const run = await runWithHarness("afl-tmin", "planted-bug.js", ["-t", "20000", "-i", path.join(dir, "crash"), "-o", path.join(dir, "min")]);
  expect(run.output).toContain("crash");
  expect(fs.readFileSync(path.join(dir, "min"), "latin1")).toBe("FUZZ");
  expect(run.output).toMatch(DIRECT);
  await expectAllGone(run.executorPids);
});

test("afl-cmin keeps one input per distinct coverage (afl-showmap in the direct mode, the default)", async () => {
  const dir = workDir();
  const inputs = seedDir(["aaaa", "bbbb", "Faaa", "Fbbb", "FUaa", "FUZa"]);
  const run = await runWithHarness("afl-cmin", "planted-bug.js", ["-t", "20000", "-i", inputs, "-o", path.join(dir, "min")]);
  expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.any(String) });
  const kept = filesIn(path.join(dir, "min")).map((name) => fs.readFileSync(path.join(dir, "min", name), "latin1")).sort();
  expect(kept).toHaveLength(4);
  expect(kept).toEqual(expect.arrayContaining(["FUaa", "FUZa"]));
  expect(run.output).toMatch(DIRECT);
  await expectAllGone(run.executorPids);
});

test("the shared flags become afl-fuzz options; afl-fuzz's own options pass through", () => {
  const invocation = invocationFor("planted-bug.js", ["-timeout=3", "-max_total_time=60", "-seed=5", "-use_feedback=0", "-S", "s1", "-o", "shared"]);
  const command = aflCommand(invocation, "seeds");
  expect(command.args).toEqual(["-i", "seeds", "-G", "4096", "-t", "3000", "-V", "60", "-s", "5", "-S", "s1", "-o", "shared"]);
  expect(command.env).toEqual({ JSKCOV_FEEDBACK: "0" });
  expect(command.outputDir).toBe("shared");
  expect(() => aflCommand(invocationFor("planted-bug.js", ["-jobs=4"]), "seeds")).toThrow(/-jobs' has no afl-fuzz equivalent/);
});

test("the shared flags keep libFuzzer's meaning for afl-fuzz: -seed=0 picks a seed, -max_total_time<=0 is no limit, unsigned flags refuse negatives", () => {
  const argsOf = (engineArgs: string[]) => aflCommand(invocationFor("planted-bug.js", engineArgs), "seeds").args;
  expect(argsOf(["-seed=0"])).not.toContain("-s"); // afl-fuzz's -s 0 would fix the seed
  expect(argsOf(["-max_total_time=0"])).not.toContain("-V");
  expect(argsOf(["-max_total_time=-3"])).not.toContain("-V");
  expect(() => argsOf(["-seed=-1"])).toThrow("engine flag '-seed' needs a whole number, got '-1'");
  expect(() => argsOf(["-max_len=-1"])).toThrow("engine flag '-max_len' needs a whole number, got '-1'");
  expect(() => argsOf(["-runs=abc"])).toThrow("engine flag '-runs' needs an integer, got 'abc'");
});

test("-max_len has libFuzzer's meaning and default: -G is the given length, else the largest seed of afl-fuzz's -i, at least 4096", () => {
  const seeds = seedDir(["a", "b".repeat(5000)]);
  fs.mkdirSync(path.join(seeds, "deeper"));
  fs.writeFileSync(path.join(seeds, "deeper", "largest"), Buffer.alloc(6000)); // afl-fuzz's -i reads subdirectories too
  const gOf = (engineArgs: string[], seedDirectory: string) => {
    const args = aflCommand(invocationFor("planted-bug.js", engineArgs), seedDirectory).args;
    return args.flatMap((arg, i) => (arg === "-G" ? [args[i + 1]] : []));
  };
  expect(gOf([], seeds)).toEqual(["6000"]);
  expect(gOf(["-max_len=0"], seeds)).toEqual(["6000"]); // 0: libFuzzer's default rule
  expect(gOf([], seedDir(["small"]))).toEqual(["4096"]);
  expect(gOf([], path.join(seeds, "missing"))).toEqual(["4096"]); // a printed command's SEED_DIR
  expect(gOf(["-max_len=100"], seeds)).toEqual(["100"]);
  expect(gOf(["-G", "77"], seeds)).toEqual(["77"]); // afl-fuzz's own option wins
  expect(gOf(["-i", seedDir(["c".repeat(4500)])], seeds)).toEqual(["4500"]); // the -i afl-fuzz reads
});

test("jskcov fuzz --engine afl: afl-fuzz generates inputs up to the largest seed, as libFuzzer, not afl-fuzz's 1 MiB", async () => {
  const jskcov = path.join(__dirname, "..", "dist", "cli", "jskcov.js");
  const cwd = workDir();
  const seeds = seedDir(["aaaa", "z".repeat(5000)]);
  const target = path.join(TARGETS, "planted-bug.js");
  const args = [jskcov, "fuzz", "--engine", "afl", "--root", TARGETS, "--no-cache", "--no-cmp", target, seeds, "--", "-o", path.join(cwd, "out"), "-runs=200", "-seed=1"];
  const run = await runHarness(process.execPath, args, { cwd, env: { ...process.env, ...AFL_ENV } });
  expect(run.status).toBe(0);
  expect(run.output).toContain("Generating fuzz data with a length of min=1 max=5000"); // afl-fuzz's own report of -G
  await expectAllGone(run.executorPids);
});
