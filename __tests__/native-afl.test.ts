// The real afl-fuzz (AFL++ 4.04c, Debian's afl++) running JavaScript targets through
// native/harness.c's forkserver and the persistent executor: findings saved by afl-fuzz
// and as crash-/timeout-<sha1>, its timeouts and hangs, -M/-S instances sharing one
// output directory, afl-tmin and afl-cmin.

import * as fs from "node:fs";
import * as path from "node:path";
import { aflCommand, saveAflFindings } from "../fuzz/engines/afl";
import { cleanUp, expectAllGone, filesIn, harness, invocationFor, requireFuzzBuild, runHarness, session, workDir } from "./native-helpers";

jest.setTimeout(240_000);

let afl: string;

beforeAll(() => {
  requireFuzzBuild();
  afl = harness("afl");
});
afterEach(cleanUp);

/** afl-fuzz's environment for tests: no UI, no CPU pinning (CI machines are shared). */
const AFL_TEST_ENV: NodeJS.ProcessEnv = {
  AFL_NO_UI: "1",
  AFL_NO_AFFINITY: "1",
  AFL_SKIP_CPUFREQ: "1",
  AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: "1",
  AFL_FORKSRV_INIT_TMOUT: "60000",
  // afl-cmin refuses any path under /tmp (its awk cannot make temp files safely there), and a
  // clone of this repository, where the tests' private work dirs live, may well be under /tmp.
  AFL_ALLOW_TMP: "1",
  AFL_DEBUG_CHILD: "1", // the harness's stderr (the executors it starts) reaches the test
};

function seedDir(texts: string[]): string {
  const dir = workDir();
  texts.forEach((text, i) => fs.writeFileSync(path.join(dir, `seed-${i}`), text));
  return dir;
}

/** Runs `tool args -- <harness>` for `target` with the executor's environment. */
async function runWithHarness(tool: string, target: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const cwd = workDir();
  const invocation = invocationFor(target);
  const env = session().environment(invocation, {}, { ...AFL_TEST_ENV, ...extraEnv });
  const run = await runHarness(tool, [...args, "--", afl], { cwd, env });
  return { ...run, cwd };
}

test("afl-fuzz finds the planted bug within a fixed budget; the crash is saved by afl-fuzz and as crash-<sha1>", async () => {
  const out = path.join(workDir(), "out");
  const seeds = seedDir(["aaaa"]);
  const run = await runWithHarness("afl-fuzz", "planted-bug.js", ["-i", seeds, "-o", out, "-D", "-V", "180", "-s", "1"], { AFL_BENCH_UNTIL_CRASH: "1" });
  const crashes = filesIn(path.join(out, "default", "crashes"), "id:");
  expect(crashes.length).toBeGreaterThan(0);
  // On a loaded machine afl-fuzz's kill for a timeout can land just after a run ended and
  // take the next input with it (the persistent pid races afl-fuzz's timer): look for the bug.
  const crashTexts = crashes.map((name) => fs.readFileSync(path.join(out, "default", "crashes", name)).subarray(0, 4).toString("latin1"));
  expect(crashTexts).toContain("FUZZ");
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

test("afl-fuzz's timeout kills the executor, the hang is saved, and the harness restarts the executor", async () => {
  const out = path.join(workDir(), "out");
  const seeds = seedDir(["HANF"]); // one bit from the hang
  const run = await runWithHarness("afl-fuzz", "hangs.js", ["-i", seeds, "-o", out, "-t", "1000", "-V", "40", "-s", "1"]);
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
  await expectAllGone([...main.executorPids, ...secondary.executorPids]);
});

test("afl-tmin shrinks a crashing input to the four bytes that matter", async () => {
  const dir = workDir();
  fs.writeFileSync(path.join(dir, "crash"), "FUZZ-tail-bytes");
  const run = await runWithHarness("afl-tmin", "planted-bug.js", ["-t", "20000", "-i", path.join(dir, "crash"), "-o", path.join(dir, "min")]);
  expect(run.output).toContain("crash");
  expect(fs.readFileSync(path.join(dir, "min"), "latin1")).toBe("FUZZ");
});

test("afl-cmin keeps one input per distinct coverage", async () => {
  const dir = workDir();
  const inputs = seedDir(["aaaa", "bbbb", "Faaa", "Fbbb", "FUaa", "FUZa"]);
  const run = await runWithHarness("afl-cmin", "planted-bug.js", ["-t", "20000", "-i", inputs, "-o", path.join(dir, "min")]);
  expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.any(String) });
  const kept = filesIn(path.join(dir, "min")).map((name) => fs.readFileSync(path.join(dir, "min", name), "latin1")).sort();
  expect(kept).toHaveLength(4);
  expect(kept).toEqual(expect.arrayContaining(["FUaa", "FUZa"]));
});

test("the shared flags become afl-fuzz options; afl-fuzz's own options pass through", () => {
  const invocation = invocationFor("planted-bug.js", ["-timeout=3", "-max_total_time=60", "-seed=5", "-use_feedback=0", "-S", "s1", "-o", "shared"]);
  const command = aflCommand(invocation, "seeds");
  expect(command.args).toEqual(["-i", "seeds", "-t", "3000", "-V", "60", "-s", "5", "-S", "s1", "-o", "shared"]);
  expect(command.env).toEqual({ JSKCOV_FEEDBACK: "0" });
  expect(command.outputDir).toBe("shared");
  expect(() => aflCommand(invocationFor("planted-bug.js", ["-jobs=4"]), "seeds")).toThrow(/-jobs' has no afl-fuzz equivalent/);
});
