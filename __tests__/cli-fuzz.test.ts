// End-to-end tests of `jskcov fuzz` with the built-in engine: real processes through the
// CLI, deterministic seeds and fixed execution budgets (no timing assertions). What is
// asserted is what a user relies on: the artifact a finding leaves, its bytes, the exit
// status, and whether coverage guidance finds what blind mutation does not.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { JSKCOV, REPO, eventually, expectStatus, isRunning, jskcov, makeProject, removeProjects, requireBuild, type Result } from "./cli-helpers";
import { sha1Hex } from "../fuzz/findings";

beforeAll(requireBuild);
afterAll(removeProjects);

/** A bug behind four nested byte comparisons: about 2^-32 per blind try. */
const PLANTED_BUG = `module.exports.fuzz = function (data) {
  if (data.length >= 4 && data[0] === 0x46) {
    if (data[1] === 0x55) {
      if (data[2] === 0x5a) {
        if (data[3] === 0x5a) throw new Error("planted bug");
      }
    }
  }
};
`;

function artifacts(dir: string, prefix: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.startsWith(prefix));
}

/** The one artifact of that kind; checks that its name is the SHA-1 of its bytes. */
function onlyArtifact(dir: string, prefix: string): Buffer {
  const found = artifacts(dir, prefix);
  expect(found).toHaveLength(1);
  const data = fs.readFileSync(path.join(dir, found[0]));
  expect(found[0]).toBe(`${prefix}${sha1Hex(data)}`);
  return data;
}

/** Runs `jskcov fuzz`; the tests' -artifact_prefix=out/ must exist, as in libFuzzer. */
function fuzz(dir: string, args: string[]): Result {
  fs.mkdirSync(path.join(dir, "out"), { recursive: true });
  return jskcov(dir, ["fuzz", ...args]);
}

describe("coverage guidance", () => {
  const budget = "-runs=60000";

  test("finds a bug behind nested branches within the budget, with feedback", () => {
    const dir = makeProject({ "target.js": PLANTED_BUG });
    const result = fuzz(dir, ["target.js", "--", "-seed=1", budget, "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(onlyArtifact(path.join(dir, "out"), "crash-").subarray(0, 4).toString("latin1")).toBe("FUZZ");
    expect(result.stderr).toContain("Error: planted bug");
    expect(result.stderr).toMatch(/^#\d+\tNEW {4}cov: \d+ ft: \d+ corp: \d+\/\d+b exec\/s: \d+ rss: \d+Mb L: \d+\/4096 MS: \d+ [A-Za-z]+-/m);
  });

  test("does not find it blind (-use_feedback=0) in the same budget", () => {
    const dir = makeProject({ "target.js": PLANTED_BUG });
    const result = fuzz(dir, ["target.js", "--", "-seed=1", budget, "-use_feedback=0", "-artifact_prefix=out/"]);
    expectStatus(result, 0);
    expect(result.stderr).toMatch(/^#60000\tDONE {3}cov: /m);
    expect(fs.readdirSync(path.join(dir, "out"))).toEqual([]);
  });

  test("a given -seed repeats the run: the same executions and the same crash input", () => {
    const dir = makeProject({ "target.js": PLANTED_BUG });
    const runs = [1, 2].map(() => fuzz(dir, ["target.js", "--", "-seed=7", budget]));
    for (const run of runs) expectStatus(run, 77);
    const executions = runs.map((run) => /jskcov fuzz: (\d+) executions/.exec(run.stderr)?.[1]);
    expect(executions[0]).toBeDefined();
    expect(executions[1]).toBe(executions[0]);
    expect(artifacts(dir, "crash-")).toHaveLength(1);
  });

  test("count mode (the default): hit-count buckets are features, so a bug that needs many loop rounds is found", () => {
    const dir = makeProject({
      "target.js":
        "module.exports.fuzz = (data) => {\n  let rising = 0;\n  for (let i = 1; i < data.length; i++) {\n    if (data[i] > data[i - 1]) rising++;\n  }\n" +
        "  if (rising >= 40) throw new Error('counted to 40');\n};\n",
    });
    const args = ["target.js", "--", "-seed=1", "-runs=30000", "-artifact_prefix=out/"];
    const counted = fuzz(dir, args);
    expectStatus(counted, 77);
    expect(counted.stderr).toContain("Error: counted to 40");
    // The same budget without buckets: hit mode, and count mode with -use_counters=0.
    expectStatus(fuzz(dir, ["--counter-mode", "hit", ...args]), 0);
    expectStatus(fuzz(dir, ["--counter-mode", "count", ...args, "-use_counters=0"]), 0);
    expect(artifacts(path.join(dir, "out"), "crash-")).toHaveLength(1);
  });

  test("new inputs go to the first corpus directory, named by their SHA-1", () => {
    const dir = makeProject({ "target.js": PLANTED_BUG, "seeds/a": "A" });
    const result = fuzz(dir, ["target.js", "corpus", "seeds", "--", "-seed=1", "-runs=2000", "-create_missing_dirs=1"]);
    expect([0, 77]).toContain(result.status);
    const saved = fs.readdirSync(path.join(dir, "corpus"));
    expect(saved.length).toBeGreaterThan(0);
    for (const name of saved) expect(name).toBe(sha1Hex(fs.readFileSync(path.join(dir, "corpus", name))));
    expect(fs.readdirSync(path.join(dir, "seeds"))).toEqual(["a"]);
  });

  test("every NEW input is in the corpus directory when the session ends: one file per NEW line", () => {
    const dir = makeProject({ "target.js": PLANTED_BUG, "seeds/a": "A" });
    // No REDUCE, so no file is replaced: one file per NEW line.
    const result = fuzz(dir, ["target.js", "corpus", "seeds", "--", "-seed=1", "-runs=3000", "-reduce_inputs=0", "-create_missing_dirs=1"]);
    expect([0, 77]).toContain(result.status);
    const newLines = result.stderr.match(/^#\d+\s+NEW /gm) ?? [];
    expect(newLines.length).toBeGreaterThan(1);
    expect(fs.readdirSync(path.join(dir, "corpus"))).toHaveLength(newLines.length);
  });
});

describe("findings: artifact and exit status", () => {
  test("an exception: crash-<sha1>, status 77 (-error_exitcode), the stack printed", () => {
    const dir = makeProject({
      "target.js": "module.exports.fuzz = (data) => { if (data[0] === 0x43) explode(data); };\nfunction explode() { throw new TypeError('boom'); }\n",
      "inputs/crash": "C",
    });
    const result = fuzz(dir, ["--regression", "target.js", "inputs", "--", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(onlyArtifact(path.join(dir, "out"), "crash-").toString()).toBe("C");
    expect(result.stderr).toMatch(/TypeError: boom\n\s+at explode \(.*target\.js:2:/);
    expect(fuzz(dir, ["target.js", "inputs/crash", "--", "-error_exitcode=9"]).status).toBe(9);
  });

  test("a hang: timeout-<sha1>, status 70 (-timeout_exitcode)", () => {
    const dir = makeProject({ "target.js": "module.exports.fuzz = (data) => { if (data[0] === 0x48) for (;;) {} };\n", "inputs/ok": "a", "inputs/hang": "H" });
    const result = fuzz(dir, ["--regression", "target.js", "inputs", "--", "-timeout=1", "-artifact_prefix=out/"]);
    expectStatus(result, 70);
    expect(onlyArtifact(path.join(dir, "out"), "timeout-").toString()).toBe("H");
    expect(result.stderr).toContain("ERROR: libFuzzer: timeout after 1 seconds");
    expect(result.stderr).toContain("SUMMARY: libFuzzer: timeout");
  });

  test.each([
    ["a hang", "for (;;) {}", ["-timeout=1"], 70, "timeout-"],
    ["process.abort()", "process.abort()", [], 77, "crash-"],
  ])("while fuzzing, %s: the artifact is exactly the mutated input the target was running", (_, death, flags, status, prefix) => {
    // The target writes the input it is about to die on; the artifact must hold the same bytes.
    const target = `const fs = require("node:fs");
module.exports.fuzz = (data) => {
  if (data.length >= 3 && data[0] === 0x48 && data[2] !== 0x48) {
    fs.writeFileSync(__dirname + "/dying-input", data);
    ${death};
  }
};
`;
    const dir = makeProject({ "target.js": target, "seeds/h": "HH" });
    const result = fuzz(dir, ["target.js", "seeds", "--", "-seed=1", "-runs=50000", "-artifact_prefix=out/", ...flags]);
    expectStatus(result, status);
    const dying = fs.readFileSync(path.join(dir, "dying-input"));
    expect(dying.length).toBeGreaterThanOrEqual(3);
    expect(onlyArtifact(path.join(dir, "out"), prefix)).toEqual(dying);
  });

  test("running out of memory: oom-<sha1>, status 71", () => {
    const dir = makeProject({
      "target.js": "const keep = [];\nmodule.exports.fuzz = (data) => { if (data[0] === 0x4f) for (;;) keep.push(new Array(1e5).fill(1)); };\n",
      "inputs/oom": "O",
    });
    const result = fuzz(dir, ["--regression", "target.js", "inputs", "--", "-rss_limit_mb=160", "-artifact_prefix=out/"]);
    expectStatus(result, 71);
    expect(onlyArtifact(path.join(dir, "out"), "oom-").toString()).toBe("O");
    expect(result.stderr).toContain("ERROR: libFuzzer: out-of-memory");
  });

  test("process.abort(): a deadly signal, crash-<sha1>, status 77", () => {
    const dir = makeProject({ "target.js": "module.exports.fuzz = (data) => { if (data[0] === 0x41) process.abort(); };\n", "inputs/abort": "A" });
    const result = fuzz(dir, ["--regression", "target.js", "inputs", "--", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(onlyArtifact(path.join(dir, "out"), "crash-").toString()).toBe("A");
    expect(result.stderr).toContain("ERROR: libFuzzer: deadly signal");
  });

  test("process.exit() in the target: 'fuzz target exited', crash-<sha1>, status 77", () => {
    const dir = makeProject({ "target.js": "module.exports.fuzz = (data) => { if (data[0] === 0x45) process.exit(0); };\n", "inputs/exit": "E" });
    const result = fuzz(dir, ["--regression", "target.js", "inputs", "--", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(onlyArtifact(path.join(dir, "out"), "crash-").toString()).toBe("E");
    expect(result.stderr).toContain("ERROR: libFuzzer: fuzz target exited");
  });

  test("-ignore_timeouts=1: the timeout is saved, a new executor goes on with the corpus, the status is still 70", () => {
    const dir = makeProject({
      "target.js": "module.exports.fuzz = (data) => { if (data.toString() === 'HANG!') for (;;) {} };\n",
      "corpus/hang": "HANG!",
      "corpus/a": "a",
    });
    const result = fuzz(dir, ["target.js", "corpus", "--", "-seed=1", "-runs=300", "-timeout=1", "-ignore_timeouts=1", "-artifact_prefix=out/"]);
    expectStatus(result, 70);
    expect(onlyArtifact(path.join(dir, "out"), "timeout-").toString()).toBe("HANG!");
    expect(result.stderr).toContain("starting a new executor after the timeout");
    expect(result.stderr).toMatch(/^#300\tDONE {3}/m);
  });

  test("-ignore_crashes=1: one bug hit on every input is saved once, and its repeats are counted in a line now and then, not one each", () => {
    const dir = makeProject({ "target.js": "module.exports.fuzz = () => { throw new Error('always'); };\n", "corpus/a": "a" });
    const result = fuzz(dir, ["target.js", "corpus", "--", "-seed=1", "-runs=300", "-ignore_crashes=1", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(artifacts(path.join(dir, "out"), "crash-")).toHaveLength(1);
    const repeats = [...result.stderr.matchAll(/not saved again \((\d+) time\(s\) so far\)/g)].map((match) => Number(match[1]));
    // 299 repeats: a line at the 1st, 2nd, 4th, ... 256th.
    expect(repeats).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256]);
  });
});

describe("regression mode", () => {
  const target = "module.exports.fuzz = (data) => { if (data.toString().startsWith('bad')) throw new Error('regression: ' + data); };\n";

  test("replays a corpus once each: status 0 when nothing fails", () => {
    const dir = makeProject({ "target.js": target, "corpus/1": "one", "corpus/2": "two", "corpus/3": "three" });
    const result = fuzz(dir, ["target.js", "corpus", "--", "-runs=0"]);
    expectStatus(result, 0);
    expect(result.stderr.match(/^Executed .*corpus\/\d in \d+ ms$/gm)).toHaveLength(3);
    expect(result.stderr).toContain("fuzzing was not performed");
  });

  test("fails on a crashing input, reports every crash, runs the inputs after it", () => {
    const dir = makeProject({ "target.js": target, "corpus/1": "one", "corpus/2": "bad-a", "corpus/3": "three", "corpus/4": "bad-b" });
    const result = fuzz(dir, ["--regression", "target.js", "corpus", "--", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(result.stderr).toContain("Error: regression: bad-a");
    expect(result.stderr).toContain("Executed");
    // libFuzzer's "Running: FILE" before each input: a crash's report follows the input's name.
    expect(result.stderr).toContain("jskcov: Running 4 inputs 1 time(s) each.");
    const named = result.stderr.split(/^(?=Running: )/m).slice(1);
    expect(named.map((part) => part.split("\n")[0])).toEqual([1, 2, 3, 4].map((n) => `Running: ${path.join(dir, "corpus", String(n))}`));
    expect(named[1]).toContain("Error: regression: bad-a");
    expect(named[3]).toContain("not saved again");
    expect(named[0]).not.toContain("Error: regression");
    expect(result.stderr).toMatch(/corpus\/3 in/);
    // Same top frames: one finding, saved once.
    expect(artifacts(path.join(dir, "out"), "crash-")).toHaveLength(1);
    expect(result.stderr).toContain("not saved again");
  });

  test("-exact_artifact_path keeps the first finding, whose status the run exits with", () => {
    const dir = makeProject({ "target.js": target, "corpus/1": "bad-first", "corpus/2": "fine", "corpus/3": "bad-second" });
    const twoCrashes = "module.exports.fuzz = (data) => { const s = data.toString(); if (s === 'bad-first') throw new Error('one'); if (s === 'bad-second') null.x; };\n";
    fs.writeFileSync(path.join(dir, "target.js"), twoCrashes);
    fs.mkdirSync(path.join(dir, "found"));
    const result = fuzz(dir, ["--regression", "target.js", "corpus", "--", "-exact_artifact_path=found/the.crash"]);
    expectStatus(result, 77);
    expect(result.stderr).toContain("TypeError: Cannot read properties of null");
    expect(result.stderr).toContain("-exact_artifact_path found/the.crash holds the session's first finding; this one is not saved");
    expect(fs.readFileSync(path.join(dir, "found/the.crash"), "latin1")).toBe("bad-first");
  });

  test("input files given: replayed without fuzzing", () => {
    const dir = makeProject({ "target.js": target, "crash-1": "bad!", "ok": "fine" });
    expectStatus(fuzz(dir, ["target.js", "ok"]), 0);
    expectStatus(fuzz(dir, ["target.js", "ok", "crash-1"]), 77);
  });

  test.each([
    ["a crash", "module.exports.fuzz = (data) => { if (data.toString() === 'bad!') throw new Error('replayed bug'); };\n", [], 77, "Error: replayed bug"],
    ["a hang", "module.exports.fuzz = (data) => { if (data.toString() === 'bad!') for (;;) {} };\n", ["-timeout=1"], 70, "ERROR: libFuzzer: timeout"],
  ])("input files replayed: %s is reported with its status, and no artifact is written (libFuzzer: SaveArtifacts = false)", (_kind, source, flags, status, report) => {
    const dir = makeProject({ "target.js": source, "inputs/crash-1": "bad!", "inputs/crash-2": "bad!", "ok": "fine" });
    const result = fuzz(dir, ["target.js", "ok", "inputs/crash-1", "inputs/crash-2", "--", "-artifact_prefix=out/", ...flags]);
    expectStatus(result, status);
    expect(result.stderr).toContain(report);
    expect(result.stderr).not.toContain("Test unit written to");
    expect(fs.readdirSync(path.join(dir, "out"))).toEqual([]);
    expect(fs.readdirSync(dir).filter((name) => /^(crash|timeout)-/.test(name))).toEqual([]);
    expect(fs.readdirSync(path.join(dir, "inputs")).sort()).toEqual(["crash-1", "crash-2"]);
  });
});

describe("targets: module kinds and async", () => {
  test.each([
    ["CommonJS", "target.cjs", "module.exports.fuzz = function (data) { if (data[0] === 0x58) throw new Error('cjs bug'); };\n", "cjs bug"],
    ["ES module", "target.mjs", "export function fuzz(data) { if (data[0] === 0x58) throw new Error('esm bug'); }\n", "esm bug"],
    ["ESM default export", "default.mjs", "export default function (data) { if (data[0] === 0x58) throw new Error('default bug'); }\n", "default bug"],
    ["TypeScript", "target.ts", "export function fuzz(data: Buffer): void {\n  const first: number = data[0];\n  if (first === 0x58) throw new Error('ts bug');\n}\n", "ts bug"],
    ["async rejection", "async.mjs", "export async function fuzz(data) { await null; if (data[0] === 0x58) throw new Error('async bug'); }\n", "async bug"],
    ["callback done(error)", "callback.js", "module.exports.fuzz = (data, done) => setImmediate(() => done(data[0] === 0x58 ? new Error('callback bug') : undefined));\n", "callback bug"],
  ])("%s", (_kind, file, source, message) => {
    const dir = makeProject({ [file]: source, "inputs/ok": "a", "inputs/bug": "X" });
    const result = fuzz(dir, ["--regression", file, "inputs", "--", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(result.stderr).toContain(`Error: ${message}`);
    expect(onlyArtifact(path.join(dir, "out"), "crash-").toString()).toBe("X");
  });

  test.each([
    ["@jazzer.js/core (installed here, but its native addon cannot load)", "@jazzer.js/core"],
    ["babel-plugin-kcov/fuzz", "babel-plugin-kcov/fuzz"],
  ])("an OSS-Fuzz-style target with FuzzedDataProvider from %s", (_from, specifier) => {
    const dir = makeProject({
      "target.js":
        `const { FuzzedDataProvider } = require(${JSON.stringify(specifier)});\n` +
        "module.exports.fuzz = (data) => {\n  const provider = new FuzzedDataProvider(data);\n" +
        "  const word = provider.consumeString(4, 'latin1');\n  if (word === 'oss!') throw new Error('provider bug');\n};\n",
      "inputs/ok": "ossa",
      "inputs/bug": "oss!",
    });
    const result = fuzz(dir, ["--regression", "target.js", "inputs", "--", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(result.stderr).toContain("Error: provider bug");
    expect(onlyArtifact(path.join(dir, "out"), "crash-").toString()).toBe("oss!");
  });

  test("an instrumented TypeScript target is fuzzed to its bug", () => {
    const dir = makeProject({ "target.ts": "export function fuzz(data: Buffer): void {\n  if (data.length > 1 && data[0] === 0x54) {\n    if (data[1] === 0x53) throw new Error('ts nested');\n  }\n}\n" });
    const result = fuzz(dir, ["target.ts", "--", "-seed=1", "-runs=60000", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(onlyArtifact(path.join(dir, "out"), "crash-").subarray(0, 2).toString()).toBe("TS");
  });

  test("a sync target called by the fuzzing loop has only the engine's frames below its own: no async frames, none of the event loop's", () => {
    // The 10th call is in the fuzzing loop (the empty input and the one seed come first).
    const dir = makeProject({
      "target.js":
        "const fs = require('node:fs');\nlet calls = 0;\nmodule.exports.fuzz = () => {\n  if (++calls !== 10) return;\n" +
        "  Error.stackTraceLimit = Infinity;\n  fs.writeFileSync('stack.txt', new Error('probe').stack);\n};\n",
    });
    expectStatus(fuzz(dir, ["target.js", "--", "-seed=1", "-runs=20"]), 0);
    const below = fs.readFileSync(path.join(dir, "stack.txt"), "utf8").split("\n").slice(2);
    expect(below.length).toBeGreaterThan(0);
    // The loop runs from a microtask (fuzz-loop.ts, nextMacrotask): no frames of Node's timers.
    for (const frame of below) {
      expect(frame).not.toMatch(/^\s+at async /);
      expect(frame).toContain(`(${REPO}${path.sep}`);
    }
  });
});

describe("the bundled example, examples/fuzz-ini", () => {
  test("npm run example:fuzz's command finds a bug and regression mode replays it", () => {
    const out = makeProject({});
    const example = path.join(__dirname, "..", "examples", "fuzz-ini");
    const args = ["--root", example, path.join(example, "fuzz/parse.fuzz.js"), path.join(out, "corpus"), path.join(example, "seeds")];
    const result = jskcov(out, ["fuzz", ...args, "--", "-seed=1", "-runs=200000", `-dict=${path.join(example, "fuzz/ini.dict")}`, `-artifact_prefix=${out}/`, "-create_missing_dirs=1"]);
    expectStatus(result, 77);
    const [crash] = artifacts(out, "crash-");
    expect(result.stderr).toMatch(/at .*examples\/fuzz-ini\/src\/ini\.js:\d+:\d+/);
    expectStatus(jskcov(out, ["fuzz", "--root", example, path.join(example, "fuzz/parse.fuzz.js"), path.join(out, crash)]), 77);
    expectStatus(jskcov(out, ["fuzz", "--root", example, path.join(example, "fuzz/parse.fuzz.js"), path.join(example, "seeds"), "--", "-runs=0"]), 0);
  });
});

describe("command line", () => {
  test.each([
    [["target.js", "-runs=1"], "engine flags go after '--'"],
    [["target.js", "--", "-fork=2"], "the builtin engine does not implement it"],
    [["target.js", "--", "-dict=bad.dict"], "bad.dict:2: expected \"token\""],
    [["missing.js"], "the fuzz target 'missing.js' does not exist"],
    [["--engine", "afl9", "target.js"], "option '--engine' must be one of"],
  ])("%j is an error with status 2", (args, message) => {
    const dir = makeProject({ "target.js": PLANTED_BUG, "bad.dict": "# tokens\nkeyword\n" });
    const result = fuzz(dir, args);
    expectStatus(result, 2);
    expect(result.stderr).toContain(message);
  });

  test("an unknown flag: libFuzzer's warning naming it, and the run goes on without it (it was an error, status 2)", () => {
    const dir = makeProject({ "target.js": PLANTED_BUG });
    const result = fuzz(dir, ["target.js", "--", "-runz=1", "-runs=5", "-seed=1"]);
    expectStatus(result, 0);
    expect(result.stderr).toContain("WARNING: unrecognized flag '-runz=1'; 'jskcov fuzz --help' lists the flags (did you mean -runs?)");
    expect(result.stderr).toMatch(/^Done 5 runs/m);
  });

  test("--help lists the engine flags from the flag table", () => {
    const result = jskcov(process.cwd(), ["fuzz", "--help"]);
    expectStatus(result, 0);
    expect(result.stdout).toContain("-max_total_time=0");
    expect(result.stdout).toContain("-use_feedback=1");
  });

  test("a dictionary's tokens are used (MS: ManualDict)", () => {
    const dir = makeProject({
      "target.js": "module.exports.fuzz = (data) => { if (data.toString('latin1').includes('magic-word')) throw new Error('dict bug'); };\n",
      "words.dict": '# a comment\nkw="magic-word"\n"\\x00\\xff"\n',
    });
    const result = fuzz(dir, ["target.js", "--", "-seed=1", "-runs=20000", "-dict=words.dict", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(result.stderr).toContain("ManualDict");
    expect(onlyArtifact(path.join(dir, "out"), "crash-").toString("latin1")).toContain("magic-word");
  });
});

describe("jskcov fuzz killed by SIGKILL", () => {
  // The target says where its executor runs: its pid, and its config file in the session directory.
  const REPORTS_ITS_EXECUTOR = `require("node:fs").writeFileSync(__dirname + "/executor.json", JSON.stringify({ pid: process.pid, config: process.argv[2] }));
module.exports.fuzz = function (data) { if (data.length > 2 && data[0] === 1) return 1; };
`;

  test("its executor ends itself and removes the session's temporary directories", async () => {
    const dir = makeProject({ "target.js": REPORTS_ITS_EXECUTOR });
    const cli = spawn(process.execPath, [JSKCOV, "fuzz", "target.js", "--", "-max_total_time=120"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    cli.stderr.on("data", (data: Buffer) => (stderr += String(data)));
    await eventually(() => /^#\d+\s+INITED/m.test(stderr), 60000, `jskcov fuzz's INITED line; stderr so far:\n${stderr}`);
    const executor = JSON.parse(fs.readFileSync(path.join(dir, "executor.json"), "utf8")) as { pid: number; config: string };
    const { currentInputFile } = JSON.parse(fs.readFileSync(executor.config, "utf8")) as { currentInputFile: string };
    const temporaryDirs = [path.dirname(executor.config), path.dirname(currentInputFile)];
    expect(temporaryDirs.every((temporary) => fs.existsSync(temporary))).toBe(true);
    cli.kill("SIGKILL");
    await eventually(() => !isRunning(executor.pid), 10000, `executor ${executor.pid} still runs after jskcov fuzz was killed`);
    expect(temporaryDirs.filter((temporary) => fs.existsSync(temporary))).toEqual([]);
  });

  test("a reader of its output that goes away (jskcov fuzz ... 2>&1 | head) ends the session as an interrupt: executor stopped, temporary directories removed", async () => {
    // The target says where its executor runs and writes to stderr on every input (jskcov fuzz passes that on, so its
    // next write after head is gone fails), and throws at its 3000th: an executor left to run on reports that finding
    // and exits, and then nobody removed the session's directories (jskcov fuzz had died of the EPIPE, status 1).
    const dir = makeProject({
      "target.js": `const fs = require("node:fs");
const config = process.argv[2];
fs.writeFileSync(__dirname + "/executor.json", JSON.stringify({ pid: process.pid, config, currentInputFile: JSON.parse(fs.readFileSync(config, "utf8")).currentInputFile }));
let calls = 0;
module.exports.fuzz = (data) => { process.stderr.write("ran\\n"); if (++calls === 3000) throw new Error("late"); };
`,
    });
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(JSKCOV)} fuzz target.js -- -max_total_time=120 2>&1; echo $? > status`;
    const shell = spawn("sh", ["-c", `(${command}) | head -n 20 > /dev/null`], { cwd: dir, stdio: "ignore" });
    await new Promise<void>((resolve) => shell.on("exit", () => resolve()));
    await eventually(() => fs.existsSync(path.join(dir, "status")), 30000, "jskcov fuzz's exit status");
    expect(fs.readFileSync(path.join(dir, "status"), "utf8").trim()).toBe("72"); // libFuzzer's status for an interrupted run
    const executor = JSON.parse(fs.readFileSync(path.join(dir, "executor.json"), "utf8")) as { pid: number; config: string; currentInputFile: string };
    await eventually(() => !isRunning(executor.pid), 10000, `executor ${executor.pid} still runs after jskcov fuzz lost its reader`);
    expect([path.dirname(executor.config), path.dirname(executor.currentInputFile)].filter((temporary) => fs.existsSync(temporary))).toEqual([]);
  });

  test("a child process of the target, which inherits the executor's configuration, removes nothing when it ends", () => {
    const dir = makeProject({
      "child.js": "",
      "target.js": `const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
let spawned = false;
module.exports.fuzz = function (data) {
  if (spawned) return;
  spawned = true;
  // The preload again, as fork() would give it: the child's parent is the executor, not jskcov fuzz.
  spawnSync(process.execPath, [...process.execArgv, __dirname + "/child.js"], { stdio: "inherit" });
  if (!fs.existsSync(process.argv[2])) throw new Error("the session directory is gone");
};
`,
    });
    const result = fuzz(dir, ["target.js", "--", "-seed=1", "-runs=100"]);
    expectStatus(result, 0);
  });
});
