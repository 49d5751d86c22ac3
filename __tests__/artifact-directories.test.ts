// Where findings go, as libFuzzer decides it (FuzzerDriver.cpp, ValidateDirectoryExists):
// the directory of -artifact_prefix (the prefix itself when it ends in '/') and that of
// -exact_artifact_path must exist before fuzzing starts, else the run stops at once with
// status 1; -create_missing_dirs=1 creates them. The same for every engine.

import * as fs from "node:fs";
import * as path from "node:path";
import { expectStatus, jskcov, makeProject, removeProjects, requireBuild } from "./cli-helpers";
import { AFL_TEST_ENV } from "./native-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

const CRASHES = "module.exports.fuzz = (data) => { throw new Error('found it'); };\n";

describe("the built-in engine", () => {
  test.each([
    ["-artifact_prefix=missing/", "missing/"],
    ["-artifact_prefix=missing/run-1-", "missing"],
    ["-exact_artifact_path=missing/the.crash", "missing"],
  ])("%s: refused before the target loads, status 1, nothing created", (flag, dir) => {
    const project = makeProject({ "target.js": CRASHES });
    const result = jskcov(project, ["fuzz", "target.js", "--", "-runs=10", flag]);
    expectStatus(result, 1);
    expect(result.stderr).toContain(`jskcov fuzz: engine flag '${flag}': the required directory "${dir}" does not exist (as in libFuzzer; -create_missing_dirs=1 creates it)`);
    expect(result.stderr).not.toContain("INFO: Seed");
    expect(fs.existsSync(path.join(project, "missing"))).toBe(false);
  });

  test("-create_missing_dirs=1 creates the directory and the finding is written there", () => {
    const project = makeProject({ "target.js": CRASHES });
    const result = jskcov(project, ["fuzz", "target.js", "--", "-runs=10", "-artifact_prefix=deep/er/", "-create_missing_dirs=1"]);
    expectStatus(result, 77);
    expect(fs.readdirSync(path.join(project, "deep/er")).filter((name) => name.startsWith("crash-"))).toHaveLength(1);
  });

  test.each([
    ["-artifact_prefix=target.js/out-", "target.js"],
    ["-exact_artifact_path=target.js/sub/crash", "target.js"],
  ])("%s: a file in the way is named, status 1", (flag, file) => {
    const project = makeProject({ "target.js": CRASHES });
    const result = jskcov(project, ["fuzz", "target.js", "--", "-runs=10", flag, "-create_missing_dirs=1"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain(`jskcov fuzz: engine flag '${flag}': '${path.join(project, file)}' is a file, so findings cannot be written there`);
  });

  test("a prefix without a directory part writes into the current directory", () => {
    const project = makeProject({ "target.js": CRASHES });
    expectStatus(jskcov(project, ["fuzz", "target.js", "--", "-runs=10", "-artifact_prefix=found-"]), 77);
    expect(fs.readdirSync(project).filter((name) => name.startsWith("found-crash-"))).toHaveLength(1);
  });
});

test("--engine libfuzzer: libFuzzer itself refuses the missing directory, status 1", () => {
  const project = makeProject({ "target.js": CRASHES, "corpus/seed": "x" });
  const result = jskcov(project, ["fuzz", "--engine", "libfuzzer", "--no-cache", "target.js", "corpus", "--", "-runs=10", "-artifact_prefix=missing/"]);
  expectStatus(result, 1);
  expect(result.stderr).toContain('ERROR: The required directory "missing/" does not exist');
  expect(fs.existsSync(path.join(project, "missing"))).toBe(false);
});

test("--engine afl: refused before afl-fuzz starts, status 1", () => {
  const project = makeProject({ "target.js": CRASHES, "corpus/seed": "x" });
  const args = ["fuzz", "--engine", "afl", "--no-cache", "target.js", "corpus", "--", "-runs=10", "-o", path.join(project, "afl-out"), "-artifact_prefix=missing/"];
  const result = jskcov(project, args, AFL_TEST_ENV as Record<string, string>);
  expectStatus(result, 1);
  expect(result.stderr).toContain(`jskcov fuzz: engine flag '-artifact_prefix=missing/': the required directory "missing/" does not exist`);
  expect(fs.existsSync(path.join(project, "missing"))).toBe(false);
  expect(fs.existsSync(path.join(project, "afl-out"))).toBe(false);
});
