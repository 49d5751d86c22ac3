// The comparison bridge (native/compare-bridge.c) with the real engines: libFuzzer's own
// compare hooks and AFL++'s cmplog solve a 4-byte magic number and a string keyword that
// coverage alone gives no step towards, within a budget in which they find nothing
// without comparison records.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { aflCommand, seedDirectory } from "../fuzz/engines/afl";
import { libFuzzerCommand } from "../fuzz/engines/libfuzzer";
import { AFL_TEST_ENV, aflDirectAddon, cleanUp, expectAllGone, filesIn, harness, invocationFor, requireFuzzBuild, runHarness, session, workDir } from "./native-helpers";

jest.setTimeout(240_000);

let libFuzzer: string;
let afl: string;

beforeAll(() => {
  requireFuzzBuild();
  libFuzzer = harness("libfuzzer");
  afl = harness("afl");
});
afterEach(cleanUp);

const MAGIC_NUMBER = Buffer.from([0xca, 0xfe, 0xba, 0xbe]);
const KEYWORD = Buffer.from("jskcov:magic", "latin1");
const TARGETS: [string, Buffer][] = [
  ["magic-number.js", MAGIC_NUMBER],
  ["keyword.js", KEYWORD],
];

function invocation(target: string, traceCmp: boolean, engineArgs: string[] = []) {
  const base = invocationFor(target, engineArgs);
  return { ...base, runConfig: { ...base.runConfig, traceCmp } };
}

/** libFuzzer with a fixed seed and budget; `extraEnv` can override the harness's settings. */
async function libFuzzerRun(target: string, traceCmp: boolean, extraEnv: NodeJS.ProcessEnv = {}) {
  const cwd = workDir();
  const fuzzing = invocation(target, traceCmp, ["-seed=1", "-runs=20000"]);
  const command = libFuzzerCommand(fuzzing);
  const run = await runHarness(libFuzzer, command.args, { cwd, env: session().environment(fuzzing, {}, { ...command.env, ...extraEnv }) });
  await expectAllGone(run.executorPids);
  return { ...run, crashes: filesIn(cwd, "crash-").map((name) => fs.readFileSync(path.join(cwd, name))) };
}

describe.each(TARGETS)("libFuzzer on %s (-seed=1 -runs=20000)", (target, secret) => {
  test("finds it with the comparison bridge: the crash starts with the secret", async () => {
    const run = await libFuzzerRun(target, true);
    expect(run.status).toBe(77); // libFuzzer's -error_exitcode
    expect(run.output).toContain("jskcov: the fuzz target threw (JavaScript):");
    expect(run.crashes).toHaveLength(1);
    expect(run.crashes[0].subarray(0, secret.length)).toEqual(secret);
  });

  test("finds nothing without comparison tracing", async () => {
    const run = await libFuzzerRun(target, false);
    expect(run.output).toMatch(/Done 20000 runs/);
    expect(run.crashes).toEqual([]);
  });

  test("finds nothing when the target records comparisons but the harness does not pass them on", async () => {
    const run = await libFuzzerRun(target, true, { JSKCOV_TRACE_CMP: "0" });
    expect(run.output).toMatch(/Done 20000 runs/);
    expect(run.crashes).toEqual([]);
  });
});

/** The tests' afl-fuzz environment, stopping at the first crash, with the harness's stderr and the direct mode's addon (as jskcov fuzz sets it). */
let AFL_ENV: NodeJS.ProcessEnv;
beforeAll(() => {
  AFL_ENV = { ...AFL_TEST_ENV, AFL_BENCH_UNTIL_CRASH: "1", AFL_DEBUG_CHILD: "1", JSKCOV_AFL_DIRECT_ADDON: aflDirectAddon() };
});

/**
 * afl-fuzz with a fixed seed and a budget of executions (-E counts the main forkserver's,
 * so cmplog's own runs come on top), a generous -t so that a loaded machine gives no
 * false timeouts, one seed of 16 bytes. Returns the crashing inputs afl-fuzz saved.
 */
async function aflRun(target: string, traceCmp: boolean) {
  const cwd = workDir();
  const seeds = path.join(cwd, "seeds");
  fs.mkdirSync(seeds);
  fs.writeFileSync(path.join(seeds, "seed"), "aaaaaaaaaaaaaaaa");
  const fuzzing = invocation(target, traceCmp, ["-seed=1", "-runs=3000", "-timeout=10", "-o", path.join(cwd, "out")]);
  const command = aflCommand(fuzzing, seeds);
  const run = await runHarness("afl-fuzz", [...command.args, "--", afl], { cwd, env: session().environment(fuzzing, {}, { ...AFL_ENV, ...command.env }) });
  const crashDir = path.join(cwd, "out", "default", "crashes");
  const crashes = fs.existsSync(crashDir) ? filesIn(crashDir, "id:").map((name) => fs.readFileSync(path.join(crashDir, name))) : [];
  const stats = path.join(cwd, "out", "default", "fuzzer_stats");
  const executions = fs.existsSync(stats) ? Number(/^execs_done\s*:\s*(\d+)/m.exec(fs.readFileSync(stats, "utf8"))?.[1]) : 0;
  return { ...run, args: command.args, crashes, executions };
}

describe.each(TARGETS)("AFL++ on %s (-s 1 -E 3000)", (target, secret) => {
  test("finds it with cmplog (-c 0: the harness is its own cmplog binary)", async () => {
    const run = await aflRun(target, true);
    expect(run.args).toEqual(expect.arrayContaining(["-c", "0"]));
    expect(run.output).toContain("Spawning cmplog forkserver");
    // The main forkserver in the direct mode (the default); the cmplog one keeps the piped protocol.
    expect(run.output).toMatch(/jskcov-harness: executor \d+ serves afl-fuzz directly/);
    expect(run.output).toContain("jskcov-harness: the piped protocol serves afl-fuzz: the cmplog instance (-c): its comparisons go through the harness");
    expect(run.crashes.map((crash) => crash.subarray(0, secret.length))).toContainEqual(secret);
  });

  test("does not find it without comparison tracing", async () => {
    const run = await aflRun(target, false);
    expect(run.args).not.toContain("-c");
    expect(run.output).not.toContain("Spawning cmplog forkserver");
    expect(run.executions).toBeGreaterThanOrEqual(3000); // the whole budget ran
    expect(run.crashes.map((crash) => crash.subarray(0, secret.length))).not.toContainEqual(secret);
  });
});

test("jskcov fuzz passes -c 0 to afl-fuzz with comparison tracing, and no -c with --no-cmp or a -c of the user's", () => {
  expect(aflCommand(invocation("keyword.js", true), "seeds").args).toEqual(["-i", "seeds", "-o", "afl-out", "-t", "5000", "-G", "4096", "-c", "0"]);
  expect(aflCommand(invocation("keyword.js", false), "seeds").args).toEqual(["-i", "seeds", "-o", "afl-out", "-t", "5000", "-G", "4096"]);
  expect(aflCommand(invocation("keyword.js", true, ["-c", "./cmplog-build"]), "seeds").args).toEqual(["-i", "seeds", "-o", "afl-out", "-t", "5000", "-G", "4096", "-c", "./cmplog-build"]);
});

describe("jskcov fuzz --engine libfuzzer", () => {
  const jskcov = path.join(__dirname, "..", "dist", "cli", "jskcov.js");
  const targets = path.join(__dirname, "native-targets");
  async function fuzzCommand(options: string[]) {
    const cwd = workDir();
    const run = await runHarness(
      process.execPath,
      [jskcov, "fuzz", "--engine", "libfuzzer", "--root", targets, "--no-cache", ...options, path.join(targets, "magic-number.js"), "--", "-seed=1", "-runs=20000"],
      { cwd, env: process.env },
    );
    await expectAllGone(run.executorPids);
    return { ...run, crashes: filesIn(cwd, "crash-").map((name) => fs.readFileSync(path.join(cwd, name))) };
  }

  test("passes comparisons on by default: the magic number is found (exit 77)", async () => {
    const run = await fuzzCommand([]);
    expect(run.status).toBe(77);
    expect(run.crashes.map((crash) => crash.subarray(0, 4))).toEqual([MAGIC_NUMBER]);
  });

  test("--no-cmp turns them off: nothing is found in the same budget (exit 0)", async () => {
    const run = await fuzzCommand(["--no-cmp"]);
    expect(run.status).toBe(0);
    expect(run.crashes).toEqual([]);
  });
});

describe("jskcov fuzz --engine afl from a one-byte seed (afl-fuzz's cmplog skips inputs under 4 bytes)", () => {
  const jskcov = path.join(__dirname, "..", "dist", "cli", "jskcov.js");
  const targets = path.join(__dirname, "native-targets");

  async function fuzzFromNewline(options: string[]) {
    const cwd = workDir();
    const corpus = path.join(cwd, "corpus");
    fs.mkdirSync(corpus);
    fs.writeFileSync(path.join(corpus, "seed"), "\n");
    const out = path.join(cwd, "out");
    const run = await runHarness(
      process.execPath,
      [jskcov, "fuzz", "--engine", "afl", "--root", targets, "--no-cache", ...options, path.join(targets, "keyword.js"), corpus, "--", "-seed=1", "-runs=3000", "-timeout=10", "-o", out],
      { cwd, env: { ...process.env, ...AFL_ENV } },
    );
    await expectAllGone(run.executorPids);
    const crashDir = path.join(out, "default", "crashes");
    const crashes = fs.existsSync(crashDir) ? filesIn(crashDir, "id:").map((name) => fs.readFileSync(path.join(crashDir, name))) : [];
    return { ...run, crashes, seed: fs.readFileSync(path.join(corpus, "seed")), queued: filesIn(path.join(out, "default", "queue"), "id:000000") };
  }

  test("the seed goes to afl-fuzz zero-padded to 4 bytes, so cmplog runs on it and the keyword is found", async () => {
    const run = await fuzzFromNewline([]);
    expect(run.output).toContain("1 seed(s) of");
    expect(run.output).toContain("zero-padded to 4 bytes");
    expect(run.crashes.map((crash) => crash.subarray(0, KEYWORD.length))).toContainEqual(KEYWORD);
    expect(run.seed).toEqual(Buffer.from("\n")); // the user's corpus is not touched
  });

  test("--no-cmp passes the seed as it is (and finds nothing)", async () => {
    const run = await fuzzFromNewline(["--no-cmp"]);
    expect(run.output).not.toContain("zero-padded");
    expect(run.crashes).toEqual([]);
  });
});

test("seedDirectory: with comparisons, a session copy of the corpus with seeds under 4 bytes zero-padded; without, the corpus itself", () => {
  const corpus = path.join(workDir(), "corpus");
  fs.mkdirSync(path.join(corpus, "nested"), { recursive: true });
  fs.writeFileSync(path.join(corpus, "short"), "ab");
  fs.writeFileSync(path.join(corpus, "nested", "empty"), "");
  fs.writeFileSync(path.join(corpus, "long"), "abcdef");
  const withCmp = { ...invocation("keyword.js", true), inputs: [corpus] };
  const lines: string[] = [];
  const seeds = seedDirectory(withCmp, session(), (line) => lines.push(line));
  expect(seeds).not.toBe(corpus);
  expect(fs.readFileSync(path.join(seeds, "short"))).toEqual(Buffer.from("ab\0\0"));
  expect(fs.readFileSync(path.join(seeds, "nested", "empty"))).toEqual(Buffer.alloc(4));
  expect(fs.readFileSync(path.join(seeds, "long"))).toEqual(Buffer.from("abcdef"));
  expect(fs.readFileSync(path.join(corpus, "short"))).toEqual(Buffer.from("ab"));
  expect(lines).toEqual([expect.stringContaining("2 seed(s) of")]);
  expect(seedDirectory({ ...invocation("keyword.js", false), inputs: [corpus] }, session())).toBe(corpus);
  fs.writeFileSync(path.join(corpus, "short"), "abcd");
  fs.writeFileSync(path.join(corpus, "nested", "empty"), "wxyz");
  expect(seedDirectory(withCmp, session())).toBe(corpus);
  // No corpus: one seed, a newline, padded only with comparisons.
  expect(fs.readFileSync(path.join(seedDirectory(invocation("keyword.js", true), session()), "empty-seed"))).toEqual(Buffer.from("\n\0\0\0"));
  expect(fs.readFileSync(path.join(seedDirectory(invocation("keyword.js", false), session()), "empty-seed"))).toEqual(Buffer.from("\n"));
});

/**
 * The bridge on its own, compiled with __tests__/native-targets/compare-bridge-check.c:
 * known records in, the exact calls (libFuzzer) or cmplog map entries (AFL++) out.
 */
describe("what the bridge hands each engine for known records", () => {
  const MASK = (1n << 64n) - 1n;
  /** splitmix64's finalizer, as the bridge keys sites. */
  function siteHash(pc: bigint): bigint {
    let x = pc;
    x ^= x >> 30n;
    x = (x * 0xbf58476d1ce4e5b9n) & MASK;
    x ^= x >> 27n;
    x = (x * 0x94d049bb133111ebn) & MASK;
    return x ^ (x >> 31n);
  }
  const hex = (text: string, length = text.length) => Buffer.concat([Buffer.from(text, "latin1"), Buffer.alloc(Math.max(0, length - text.length))]).toString("hex");

  function runCheck(mode: "LIBFUZZER" | "AFL"): string[] {
    const compiler = ["clang", "clang-14", "cc"].find((candidate) => spawnSync(candidate, ["--version"]).status === 0);
    if (compiler === undefined) throw new Error("no C compiler (clang, clang-14 or cc) to build the check");
    const binary = path.join(workDir(), "check");
    const native = path.join(__dirname, "..", "native");
    execFileSync(compiler, ["-O2", "-std=gnu11", `-DJSKCOV_${mode}`, path.join(__dirname, "native-targets", "compare-bridge-check.c"), path.join(native, "compare-bridge.c"), "-o", binary]);
    return execFileSync(binary, { encoding: "utf8" }).trim().split("\n");
  }

  test("libFuzzer: cmp hooks by width and CONST, from the site's sled slot; memcmp/memmem with the site's hash", () => {
    const slot = (pc: bigint) => siteHash(pc) % 512n;
    const pc = (site: bigint) => siteHash(site).toString(16);
    expect(runCheck("LIBFUZZER")).toEqual([
      `cmp4 const=1 cafebabe 1234 slot=${slot(0x1000n)}`,
      `cmp2 const=0 ff 1 slot=${slot(0x2000n)}`,
      `cmp8 const=1 10000000000 7 slot=${slot(0x1000n)}`,
      // startsWith: the receiver's first bytes against the argument
      `memcmp pc=${pc(0x3000n)} n=2 ${hex("ab")} ${hex("PK")} result=1`,
      // includes: the argument is a word to find in the receiver
      `memmem pc=${pc(0x4000n)} ${hex("xxxxxx")} ${hex("key")}`,
      // ===: both operands over the longer length, the shorter zero-padded
      `memcmp pc=${pc(0x5000n)} n=12 ${hex("aaaa", 12)} ${hex("jskcov:magic")} result=-1`,
      // endsWith: the receiver's last bytes
      `memcmp pc=${pc(0x6000n)} n=3 ${hex("ent")} ${hex("end")} result=1`,
    ]);
  });

  test("AFL++ 4.04c cmplog: headers (hits:24 id:24 shape:5 type:2 attribute:4) and logs, twice each", () => {
    const key = (pc: bigint) => Number(siteHash(pc) % 65536n);
    const header = (hits: number, shape: number, type: 1 | 2, attribute: number) =>
      ((BigInt(hits) | (BigInt(shape) << 48n) | (BigInt(type) << 53n) | (BigInt(attribute) << 55n))).toString(16).padStart(16, "0");
    const u64 = (value: bigint) => Buffer.from(new BigUint64Array([value]).buffer).toString("hex");
    const ins = (v0: bigint, v1: bigint) => u64(v0) + u64(v1) + u64(0n) + u64(0n);
    const rtn = (v0: string, v1: string, length: number) => {
      const lengthByte = (0x80 + length).toString(16);
      return hex(v0, 31) + lengthByte + hex(v1, 31) + lengthByte;
    };
    const entries: [number, string[]][] = [
      // one site, a 4-byte and an 8-byte record: the shape grows to 8 bytes (7)
      [key(0x1000n), [header(4, 7, 1, 1), ins(0xcafebaben, 0x1234n), ins(1n << 40n, 7n), ins(0xcafebaben, 0x1234n), ins(1n << 40n, 7n)]],
      [key(0x2000n), [header(2, 1, 1, 1), ins(0xffn, 1n), ins(0xffn, 1n)]],
      [key(0x3000n), [header(2, 1, 2, 0), rtn("ab", "PK", 2), rtn("ab", "PK", 2)]],
      [key(0x4000n), [header(2, 5, 2, 0), rtn("xxxxxx", "key", 6), rtn("xxxxxx", "key", 6)]],
      [key(0x5000n), [header(2, 11, 2, 0), rtn("aaaa", "jskcov:magic", 12), rtn("aaaa", "jskcov:magic", 12)]],
      [key(0x6000n), [header(2, 2, 2, 0), rtn("ent", "end", 3), rtn("ent", "end", 3)]],
    ];
    const expected = entries
      .sort(([a], [b]) => a - b)
      .flatMap(([at, [head, ...logs]]) => [`header ${at} ${head}`, ...logs.map((log, slot) => `log ${at} ${slot} ${log}`)]);
    expect(runCheck("AFL")).toEqual(expected);
  });
});
