// `jskcov fuzz` against libFuzzer's documented conventions (FuzzerDriver.cpp, FuzzerLoop.cpp),
// found by the conformance checks: when -max_total_time starts counting, how often
// -runs=N replays a given input, and flag values libFuzzer would take but that cannot
// work (an exit status above 255 exits 0 on Linux; -mutate_depth=0 cannot mutate).

import * as fs from "node:fs";
import * as path from "node:path";
import { aflCommand } from "../fuzz/engines/afl";
import { expectStatus, jskcov, makeProject, removeProjects, requireBuild } from "./cli-helpers";
import { invocationFor } from "./native-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

/** A target that takes 2.5 s to load (without using a core) and then runs fast. */
const SLOW_TO_LOAD = "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2500);\nmodule.exports.fuzz = (data) => {};\n";

function executionsOf(stderr: string): number {
  const match = /jskcov fuzz: (\d+) executions/.exec(stderr);
  if (match === null) throw new Error(`no summary line in:\n${stderr}`);
  return Number(match[1]);
}

test("-max_total_time counts from when the target has loaded, as libFuzzer's from the start of fuzzing", () => {
  const dir = makeProject({ "target.js": SLOW_TO_LOAD });
  // With the clock started at the supervisor, loading used up the budget: the seed ran, nothing else.
  const result = jskcov(dir, ["fuzz", "--no-cache", "target.js", "--", "-seed=1", "-max_total_time=1"]);
  expectStatus(result, 0);
  expect(executionsOf(result.stderr)).toBeGreaterThan(1);
  expect(result.stderr).toMatch(/^#\d+\tDONE /m);
});

test("-runs=N with input files runs each input N times (libFuzzer's 'Running N inputs N time(s) each.')", () => {
  const dir = makeProject({
    "target.js": "const fs = require('fs');\nmodule.exports.fuzz = (data) => { fs.appendFileSync(__dirname + '/calls', data.toString() + '\\n'); };\n",
    "inputs/a": "a",
    "inputs/b": "b",
  });
  const result = jskcov(dir, ["fuzz", "target.js", "inputs/a", "inputs/b", "--", "-runs=3"]);
  expectStatus(result, 0);
  expect(result.stderr).toContain("jskcov: Running 2 inputs 3 time(s) each.");
  expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toBe("a\na\na\nb\nb\nb\n");
  expect(result.stderr.match(/^Executed .*inputs\/[ab] in \d+ ms$/gm)).toHaveLength(2);
});

test("-runs=0 and --regression still run each input once; a crashing input is not run again", () => {
  const dir = makeProject({
    "target.js": "const fs = require('fs');\nmodule.exports.fuzz = (data) => { fs.appendFileSync(__dirname + '/calls', data.toString() + '\\n'); if (data[0] === 0x62) throw new Error('b'); };\n",
    "inputs/a": "a",
    "inputs/b": "b",
  });
  expectStatus(jskcov(dir, ["fuzz", "target.js", "inputs", "--", "-runs=0"]), 77);
  expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toBe("a\nb\n");
  fs.rmSync(path.join(dir, "calls"));
  fs.mkdirSync(path.join(dir, "out")); // findings go to an existing directory, as in libFuzzer
  const repeated = jskcov(dir, ["fuzz", "--regression", "target.js", "inputs", "--", "-runs=4", "-artifact_prefix=out/"]);
  expectStatus(repeated, 77);
  expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toBe("a\na\na\na\nb\n");
});

test.each([
  ["-mutate_depth=0", "engine flag '-mutate_depth=0': -mutate_depth must be at least 1"],
  ["-error_exitcode=256", "engine flag '-error_exitcode=256': -error_exitcode must be from 0 to 255"],
  ["-timeout_exitcode=-1", "engine flag '-timeout_exitcode=-1': -timeout_exitcode must be from 0 to 255"],
])("%s is an error with status 2", (flag, message) => {
  const dir = makeProject({ "target.js": "module.exports.fuzz = () => {};\n" });
  const result = jskcov(dir, ["fuzz", "target.js", "--", flag]);
  expectStatus(result, 2);
  expect(result.stderr).toContain(message);
});

test("-max_len cuts replayed inputs to that length, as libFuzzer's RunOneTest", () => {
  const dir = makeProject({
    "target.js": "const fs = require('fs');\nmodule.exports.fuzz = (data) => { fs.appendFileSync(__dirname + '/calls', data.toString() + '\\n'); };\n",
    "inputs/long": "abcdefgh",
  });
  expectStatus(jskcov(dir, ["fuzz", "target.js", "inputs/long", "--", "-max_len=3"]), 0);
  expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toBe("abc\n");
});

describe("a promise from the target that never settles is a hang (timeout), not the executor exiting", () => {
  const NEVER_SETTLES = "module.exports.fuzz = (data) => new Promise(() => {});\n";

  test("built-in engine: timeout-<sha1>, status 70, the main thread named idle", () => {
    const dir = makeProject({ "target.js": NEVER_SETTLES });
    fs.mkdirSync(path.join(dir, "out")); // findings go to an existing directory, as in libFuzzer
    const result = jskcov(dir, ["fuzz", "target.js", "--", "-runs=5", "-timeout=1", "-artifact_prefix=out/"]);
    expectStatus(result, 70);
    expect(result.stderr).toContain("ERROR: libFuzzer: timeout after 1 seconds");
    expect(result.stderr).toContain("the main thread was idle, running none of the target's code");
    expect(fs.readdirSync(path.join(dir, "out")).filter((name) => name.startsWith("timeout-"))).toHaveLength(1);
  });

  test("--engine libfuzzer: libFuzzer's timeout, status 70", () => {
    const dir = makeProject({ "target.js": NEVER_SETTLES, "corpus/seed": "x" });
    const result = jskcov(dir, ["fuzz", "--engine", "libfuzzer", "--no-cache", "target.js", "corpus", "--", "-runs=5", "-timeout=1", `-artifact_prefix=${dir}/`]);
    expectStatus(result, 70);
    // libFuzzer's alarm counts whole seconds: 1 or 2 under load.
    expect(result.stderr).toMatch(/ERROR: libFuzzer: timeout after \d+ seconds/);
    expect(result.stderr).not.toContain("deadly signal");
    expect(fs.readdirSync(dir).filter((name) => name.startsWith("timeout-"))).toHaveLength(1);
  });
});

describe("the empty input, which libFuzzer runs first when fuzzing (ReadAndExecuteSeedCorpora)", () => {
  const RECORDS_CALLS =
    "const fs = require('fs');\nmodule.exports.fuzz = (data) => {\n  fs.appendFileSync(__dirname + '/calls', data.length + '\\n');\n" +
    "  if (data.length === 0) throw new Error('no data');\n};\n";

  test("runs once before the seeds: a target failing on no data is found at once, as crash-<sha1 of nothing>", () => {
    const dir = makeProject({ "target.js": RECORDS_CALLS, "corpus/seed": "seed" });
    fs.mkdirSync(path.join(dir, "out"));
    const result = jskcov(dir, ["fuzz", "target.js", "corpus", "--", "-seed=1", "-runs=1000", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(result.stderr).toContain("Error: no data");
    expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toBe("0\n");
    const artifact = path.join(dir, "out", "crash-da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(fs.readFileSync(artifact)).toHaveLength(0);
  });

  test("is not an input of regression mode (libFuzzer's RunOneTest runs only the files given)", () => {
    const dir = makeProject({ "target.js": RECORDS_CALLS, "inputs/a": "abc" });
    expectStatus(jskcov(dir, ["fuzz", "target.js", "inputs/a"]), 0);
    expect(fs.readFileSync(path.join(dir, "calls"), "utf8")).toBe("3\n");
  });
});

describe("the first corpus directory must exist, as libFuzzer's output corpus (ValidateDirectoryExists)", () => {
  const TARGET = "module.exports.fuzz = (data) => { if (data.length > 2 && data[0] === 0x41) return 1; };\n";

  test.each([["builtin"], ["libfuzzer"], ["afl"]])("--engine %s: a missing one stops the run with status 1, naming it; nothing is created", (engine) => {
    const dir = makeProject({ "target.js": TARGET });
    const result = jskcov(dir, ["fuzz", "--engine", engine, "--no-cache", "target.js", "corpsu", "--", "-runs=10", "-o", "afl-out"].filter((arg) => engine === "afl" || (arg !== "-o" && arg !== "afl-out")));
    expectStatus(result, 1);
    expect(result.stderr).toContain(`jskcov fuzz: the required directory "corpsu" does not exist (the first CORPUS_DIR, where new inputs are written; as in libFuzzer, -create_missing_dirs=1 creates it)`);
    expect(fs.existsSync(path.join(dir, "corpsu"))).toBe(false);
  });

  test("-create_missing_dirs=1 creates it and new inputs go there; -create_missing_dirs=0 after it refuses again", () => {
    const dir = makeProject({ "target.js": TARGET });
    const result = jskcov(dir, ["fuzz", "target.js", "new/corpus", "--", "-seed=1", "-runs=300", "-create_missing_dirs=1"]);
    expectStatus(result, 0);
    expect(fs.readdirSync(path.join(dir, "new/corpus")).length).toBeGreaterThan(0);
    expectStatus(jskcov(dir, ["fuzz", "target.js", "other", "--", "-runs=1", "-create_missing_dirs=1", "-create_missing_dirs=0"]), 1);
  });
});

test.each([["builtin"], ["libfuzzer"], ["afl"]])("--engine %s: '--runs=5' is an error naming '-runs=5' (libFuzzer ignores flags that start with '--')", (engine) => {
  const dir = makeProject({ "target.js": "module.exports.fuzz = () => {};\n", "corpus/seed": "x" });
  const result = jskcov(dir, ["fuzz", "--engine", engine, "--no-cache", "target.js", "corpus", "--", "--runs=5"]);
  expectStatus(result, 2);
  expect(result.stderr).toContain("engine flag '--runs=5' has two dashes: libFuzzer's flags take one, and libFuzzer ignores flags that start with '--'; did you mean '-runs=5'?");
});

describe("--regression with a native engine (it was ignored: libFuzzer fuzzed on and never ended)", () => {
  const TARGET = "module.exports.fuzz = (data) => { if (data[0] === 0x62) throw new Error('b'); };\n";

  test("--engine libfuzzer: replays the corpus once each (libFuzzer's -runs=0) and exits, 0 when nothing fails", () => {
    const dir = makeProject({ "target.js": TARGET, "corpus/a": "a", "corpus/c": "c" });
    const result = jskcov(dir, ["fuzz", "--engine", "libfuzzer", "--regression", "--no-cache", "target.js", "corpus"]);
    expectStatus(result, 0);
    const done = /^Done (\d+) runs/m.exec(result.stderr);
    expect(done).not.toBeNull();
    expect(Number(done![1])).toBeLessThan(10); // the seeds (and libFuzzer's empty input), no fuzzing
  });

  test("--engine libfuzzer: a crashing input in the corpus fails the run", () => {
    const dir = makeProject({ "target.js": TARGET, "corpus/a": "a", "corpus/b": "b" });
    const result = jskcov(dir, ["fuzz", "--engine", "libfuzzer", "--regression", "--no-cache", "target.js", "corpus", "--", `-artifact_prefix=${dir}/`]);
    expect(result.status).not.toBe(0);
    expect(result.status).not.toBeNull();
    expect(result.stderr).toContain("Test unit written to");
  });

  test("--engine afl: an error (afl-fuzz has no mode that replays inputs), status 2", () => {
    const dir = makeProject({ "target.js": TARGET, "corpus/a": "a" });
    const result = jskcov(dir, ["fuzz", "--engine", "afl", "--regression", "--no-cache", "target.js", "corpus"]);
    expectStatus(result, 2);
    expect(result.stderr).toContain("--regression: afl-fuzz has no mode that replays inputs");
  });

  test("--engine afl -runs=0: the same error, naming -runs=0 (it became afl-fuzz's -E 0, which stops after the dry run of the seeds)", () => {
    const dir = makeProject({ "target.js": TARGET, "corpus/a": "a" });
    for (const flags of [["-runs=0"], ["-runs=5", "-runs=0"]]) {
      const result = jskcov(dir, ["fuzz", "--engine", "afl", "--no-cache", "target.js", "corpus", "--", ...flags, "-print_command=1"]);
      expectStatus(result, 2);
      expect(result.stderr).toContain("-runs=0 is libFuzzer's regression mode (replay the inputs once each): afl-fuzz has no mode that replays inputs");
      expect(result.stdout).toBe("");
    }
    // The last -runs counts, as in libFuzzer; -runs=N > 0 stays afl-fuzz's -E N.
    const command = jskcov(dir, ["fuzz", "--engine", "afl", "--no-cache", "target.js", "corpus", "--", "-runs=0", "-runs=7", "-print_command=1"]);
    expectStatus(command, 0);
    expect(command.stdout).toMatch(/^afl-fuzz .* -E 7 -- /m);
  });
});

test("--engine afl: a flag that is not libFuzzer's gets libFuzzer's warning naming it and is not passed to afl-fuzz (it was an error); afl-fuzz's own options pass", () => {
  const warnings: string[] = [];
  const command = aflCommand(invocationFor("planted-bug.js", ["-detect_leaks=0", "-runz=3", "-S", "s1"]), "seeds", (line) => warnings.push(line));
  expect(warnings).toEqual([
    "WARNING: unrecognized flag '-detect_leaks=0'; 'jskcov fuzz --help' lists the flags",
    "WARNING: unrecognized flag '-runz=3'; 'jskcov fuzz --help' lists the flags (did you mean -runs?)",
  ]);
  expect(command.args.join(" ")).not.toMatch(/detect_leaks|runz/);
  expect(command.args.slice(-2)).toEqual(["-S", "s1"]);
  // A libFuzzer flag afl-fuzz has no equivalent for is still an error.
  expect(() => aflCommand(invocationFor("planted-bug.js", ["-jobs=4"]), "seeds")).toThrow(/-jobs' has no afl-fuzz equivalent/);
});

test.each([
  ["-runs=abc", "engine flag '-runs=abc': -runs takes an integer"],
  ["-max_len=-1", "engine flag '-max_len=-1': -max_len takes a whole number"],
  ["-timeout=", "engine flag '-timeout=': -timeout takes an integer"],
])("--engine libfuzzer: %s is an error with status 2, as for the built-in engine (libFuzzer reads it as a number without a word)", (flag, message) => {
  const dir = makeProject({ "target.js": "module.exports.fuzz = () => {};\n", "corpus/seed": "x" });
  const result = jskcov(dir, ["fuzz", "--engine", "libfuzzer", "--no-cache", "target.js", "corpus", "--", flag]);
  expectStatus(result, 2);
  expect(result.stderr).toContain(message);
});
