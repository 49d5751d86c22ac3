// Bad input to the CLI: each case is refused with an error that names the file, the entry
// or the option, with the documented status, and without a stack trace of jskcov's own.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expectStatus, jskcov, makeProject, removeProjects, requireBuild, type Result } from "./cli-helpers";
import { AFL_TEST_ENV } from "./native-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

/** No `    at fn (file:line:col)` line: the message alone. */
function expectNoStack(result: Result): void {
  expect(result.stderr).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
}

describe("a damaged block map", () => {
  let project: string;
  let map: { files: Record<string, unknown>[] };

  beforeAll(() => {
    project = makeProject({ "main.js": "console.log(process.argv.length > 5 ? 'many' : 'few');\n" });
    expectStatus(jskcov(project, ["run", "--no-cache", "--", "main.js"]), 0);
    map = JSON.parse(fs.readFileSync(path.join(project, "kcov.out.blocks.json"), "utf8")) as typeof map;
  });

  const damages: [string, (file: Record<string, unknown>) => unknown, string][] = [
    ["an entry that is null", () => null, "it is not an object"],
    ["an entry without a path", ({ path: _path, ...rest }) => rest, "path is not a string"],
    ["a bad regionPc", (file) => ({ ...file, regionPc: "0x12" }), 'regionPc "0x12" is not "0x" and 16 lowercase hex digits'],
    ["a table whose blocks do not decode", (file) => ({ ...file, table: { ...(file.table as object), blocks: "!!" } }), "does not hold"],
    ["a table of another version", (file) => ({ ...file, table: { ...(file.table as object), version: 9 } }), "has version 9, not "],
  ];

  describe.each(damages)("%s", (_name, damage, problem) => {
    beforeAll(() => {
      fs.copyFileSync(path.join(project, "kcov.out"), path.join(project, "bad.out"));
      const damaged = { ...map, files: [damage(map.files[0])] };
      fs.writeFileSync(path.join(project, "bad.out.blocks.json"), JSON.stringify(damaged));
    });

    test.each([["symbolize", "bad.out"], ["report", "bad.out"], ["merge", "--out", "merged.out", "kcov.out", "bad.out"]])(
      "jskcov %s refuses it, naming the map and the entry",
      (...args) => {
        const result = jskcov(project, args);
        expectStatus(result, 1);
        expect(result.stderr).toContain(`bad.out.blocks.json is not a valid jskcov block map: files[0] is malformed: `);
        expect(result.stderr).toContain(problem);
        expectNoStack(result);
        expect(fs.existsSync(path.join(project, "merged.out"))).toBe(false);
      },
    );
  });

  test("the intact map still reads", () => {
    const result = jskcov(project, ["symbolize", "kcov.out"]);
    expectStatus(result, 0);
    expect(result.stdout).toContain("main.js:1.1,");
  });
});

describe("options of report and symbolize that name the wrong kind of file", () => {
  let project: string;
  beforeAll(() => {
    project = makeProject({ "main.js": "console.log('ran');\n", "a-file": "x", "a-dir/keep": "x" });
    expectStatus(jskcov(project, ["run", "--no-cache", "--", "main.js"]), 0);
  });

  test.each([
    [["report", "--html", "--html-dir", "a-file"], "option '--html-dir' names a file, 'a-file': give a directory"],
    [["report", "--out", "a-dir"], "option '--out' names a directory, 'a-dir': give the lcov file"],
    [["report", "--root", "a-file"], "option '--root' must name a directory, got 'a-file'"],
    [["symbolize", "0x1ffffffffffffffff"], "the dump '0x1ffffffffffffffff' does not exist (as a PC it is more than 64 bits)"],
    // A directory used to fail with EISDIR naming nothing (symbolize, status 1), or with a missing 'a-dir.blocks.json' (report).
    [["report", "a-dir"], "the dump 'a-dir' is a directory, not a file (a directory of per-process dumps is read by 'jskcov merge --out FILE a-dir')"],
    [["symbolize", "a-dir"], "the dump 'a-dir' is a directory, not a file (a directory of per-process dumps is read by 'jskcov merge --out FILE a-dir')"],
    [["report", "--map", "a-dir", "kcov.out"], "the block map 'a-dir' is a directory, not a file"],
    [["symbolize", "--map", "a-dir", "kcov.out"], "the block map 'a-dir' is a directory, not a file"],
  ])("%j is an error with status 2", (args, message) => {
    const result = jskcov(project, args);
    expectStatus(result, 2);
    expect(result.stderr).toContain(message);
    expectNoStack(result);
  });
});

describe("jskcov fuzz", () => {
  const TARGET = "module.exports.fuzz = (data) => { if (data.length > 100000) throw new Error('never'); };\n";

  test("a target that exports no fuzz function: the message, status 1, no stack of jskcov's", () => {
    const dir = makeProject({ "nofuzz.js": "module.exports.other = () => {};\n" });
    const result = jskcov(dir, ["fuzz", "nofuzz.js", "--", "-runs=1"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain(`the fuzz target ${path.join(dir, "nofuzz.js")} exports no fuzz function`);
    expectNoStack(result);
  });

  test("a target that throws while loading: its own error and stack, status 1", () => {
    const dir = makeProject({ "throws.js": "\n\nthrow new RangeError('broken at load');\n" });
    const result = jskcov(dir, ["fuzz", "throws.js", "--", "-runs=1"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain("cannot load the fuzz target");
    expect(result.stderr).toContain("RangeError: broken at load");
    expect(result.stderr).toContain(`${path.join(dir, "throws.js")}:3:`);
  });

  test("a target whose top-level await never settles: named, status 1 (the executor used to exit without a word)", () => {
    const dir = makeProject({ "pending.mjs": "await new Promise(() => {});\nexport function fuzz() {}\n" });
    const result = jskcov(dir, ["fuzz", "pending.mjs", "--", "-runs=1"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain(`the fuzz target ${path.join(dir, "pending.mjs")} never finished loading: the process ran out of work first`);
  });

  test("a target that calls process.exit() while it loads: said so, with its status (it was taken for a top-level await that never settles)", () => {
    const dir = makeProject({ "exits.js": "process.exit(3);\nmodule.exports.fuzz = () => {};\n" });
    const result = jskcov(dir, ["fuzz", "exits.js", "--", "-runs=1"]);
    expectStatus(result, 3);
    expect(result.stderr).toContain(`jskcov fuzz: the fuzz target ${path.join(dir, "exits.js")} called process.exit(3) while loading, before any input ran`);
    expect(result.stderr).not.toContain("never finished loading");
  });

  test("--engine afl: a target that cannot load is named with the reason after afl-fuzz's abort", () => {
    const dir = makeProject({ "nofuzz.js": "module.exports.other = () => {};\n", "corpus/seed": "x" });
    const result = jskcov(dir, ["fuzz", "--engine", "afl", "--no-cache", "nofuzz.js", "corpus", "--", "-runs=10", "-o", path.join(dir, "afl-out")], AFL_TEST_ENV as Record<string, string>);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`jskcov fuzz: afl-fuzz could not start the target: the fuzz target ${path.join(dir, "nofuzz.js")} exports no fuzz function`);
  });

  test.each([
    ["fuzzing", ["corpus", "--", "-runs=10"], "jskcov fuzz: cannot read the input"],
    ["regression mode", ["corpus", "--", "-runs=0"], "jskcov: cannot read the input"],
  ])("%s: a dangling symbolic link in a corpus directory is named, status 1 (the executor used to end with no word)", (_mode, args, prefix) => {
    const dir = makeProject({ "target.js": TARGET, "corpus/seed": "x" });
    fs.symlinkSync(path.join(dir, "gone"), path.join(dir, "corpus/link"));
    const result = jskcov(dir, ["fuzz", "target.js", ...args]);
    expectStatus(result, 1);
    expect(result.stderr).toContain(`${prefix} ${path.join(dir, "corpus/link")}: it does not exist (a dangling symbolic link?)`);
    expectNoStack(result);
  });

  test("a directory and a FIFO inside a corpus directory are skipped, as libFuzzer skips what is not a regular file", () => {
    const dir = makeProject({ "target.js": TARGET, "corpus/seed": "x", "corpus/sub/inner": "y" });
    spawnSync("mkfifo", [path.join(dir, "corpus/fifo")]);
    const result = jskcov(dir, ["fuzz", "target.js", "corpus", "--", "-runs=0"]);
    expectStatus(result, 0);
    expect(result.stderr).toContain("jskcov: Running 1 inputs 1 time(s) each.");
  });

  test.each([
    [["corpus"], "the fuzz target 'corpus' is a directory"],
    [["--engine", "libfuzzer", "corpus"], "the fuzz target 'corpus' is a directory"],
    [["target.js", "--", "-max_len=-1"], "engine flag '-max_len=-1': -max_len takes a whole number"],
    [["target.js", "--", "-exact_artifact_path=corpus"], "engine flag '-exact_artifact_path=corpus' names a directory"],
  ])("%j is an error with status 2", (args, message) => {
    const dir = makeProject({ "target.js": TARGET, "corpus/seed": "x" });
    const result = jskcov(dir, ["fuzz", ...args]);
    expectStatus(result, 2);
    expect(result.stderr).toContain(message);
    expectNoStack(result);
  });
});

test.each([
  ["-timeout=0", "engine flag '-timeout=0': afl-fuzz cannot run without a timeout"],
  ["-jobs=4", "engine flag '-jobs' has no afl-fuzz equivalent"],
])("--engine afl %s: a usage error naming the flag, status 2, before afl-fuzz starts (on -t 0 afl-fuzz aborted: 'Dangerously low value of -t')", (flag, message) => {
  const project = makeProject({ "target.js": "module.exports.fuzz = () => {};\n", "corpus/seed": "x" });
  const result = jskcov(project, ["fuzz", "--engine", "afl", "--no-cache", "target.js", "corpus", "--", "-runs=10", "-o", path.join(project, "afl-out"), flag], AFL_TEST_ENV as Record<string, string>);
  expectStatus(result, 2);
  expect(result.stderr).toContain(`jskcov fuzz: ${message}`);
  expect(fs.existsSync(path.join(project, "afl-out"))).toBe(false);
});
