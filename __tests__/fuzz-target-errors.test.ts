// Fuzz targets that cannot be fuzzed as written, and failures of the engine itself: each is
// named with the target's file (and the target's own frames where the fault is the
// target's), never passed over in silence nor taken for a finding of the target.

import * as fs from "node:fs";
import * as path from "node:path";
import { expectStatus, jskcov, makeProject, removeProjects, REPO, requireBuild, type Result } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

/** No frame of jskcov's own files (its fuzz/, dist/ or cli/ directories). */
function expectNoOwnFrames(result: Result): void {
  const ownFrames = result.stderr.split("\n").filter((line) => /^\s+at /.test(line) && line.includes(REPO + path.sep));
  expect(ownFrames).toEqual([]);
}

describe("a generator function exported as fuzz (its body would never run)", () => {
  test.each([
    ["CommonJS function*", "target.js", "module.exports.fuzz = function* (data) { throw new Error('the body ran'); };\n"],
    ["ES module function*", "target.mjs", "export function* fuzz(data) { throw new Error('the body ran'); }\n"],
    ["async function*", "target.mjs", "export async function* fuzz(data) { throw new Error('the body ran'); }\n"],
    ["default export", "target.mjs", "export default function* (data) { throw new Error('the body ran'); }\n"],
  ])("%s: refused with the target's name, status 1", (_kind, file, text) => {
    const dir = makeProject({ [file]: text });
    const result = jskcov(dir, ["fuzz", file, "--", "-runs=5"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain(`the fuzz target ${path.join(dir, file)} exports fuzz as a generator function`);
    expect(result.stderr).not.toContain("Done 5 runs");
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  test("--engine libfuzzer: refused by the executor with the same message", () => {
    const dir = makeProject({ "target.js": "module.exports.fuzz = function* (data) {};\n", "corpus/seed": "x" });
    const result = jskcov(dir, ["fuzz", "--engine", "libfuzzer", "--no-cache", "target.js", "corpus", "--", "-runs=5"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`the fuzz target ${path.join(dir, "target.js")} exports fuzz as a generator function`);
  });
});

describe("a fuzz getter that throws while the target loads", () => {
  const CJS = "Object.defineProperty(module.exports, 'fuzz', {\n  enumerable: true,\n  get() { throw new Error('no fuzz for you'); },\n});\n";
  const ESM = "const target = {};\nObject.defineProperty(target, 'fuzz', { get() { throw new Error('no fuzz for you'); } });\nexport default target;\n";

  test.each([
    ["CommonJS", "target.js", CJS, 3],
    ["ES module, default export", "target.mjs", ESM, 2],
  ])("%s: the target's error and frame, none of jskcov's, status 1", (_kind, file, text, line) => {
    const dir = makeProject({ [file]: text });
    const result = jskcov(dir, ["fuzz", file, "--", "-runs=1"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain(`cannot load the fuzz target ${path.join(dir, file)}:\nError: no fuzz for you`);
    expect(result.stderr).toContain(`${path.join(dir, file)}:${line}:`);
    expectNoOwnFrames(result);
  });

  test("--engine libfuzzer: the executor prints the target's frame, none of jskcov's", () => {
    const dir = makeProject({ "target.js": CJS, "corpus/seed": "x" });
    const result = jskcov(dir, ["fuzz", "--engine", "libfuzzer", "--no-cache", "target.js", "corpus", "--", "-runs=1"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("Error: no fuzz for you");
    expect(result.stderr).toContain(`${path.join(dir, "target.js")}:3:`);
    expectNoOwnFrames(result);
  });
});

describe("the engine failing after inputs ran", () => {
  // The target turns the artifact directory into a file, then crashes: the crash's artifact
  // cannot be written. That is the engine's failure, not a second finding of the target.
  const TARGET =
    "const fs = require('fs');\nconst out = require('path').join(__dirname, 'out');\n" +
    "module.exports.fuzz = () => {\n  fs.rmSync(out, { recursive: true, force: true });\n  fs.writeFileSync(out, 'in the way');\n  throw new Error('planted');\n};\n";

  test("an artifact that cannot be written: named, status 1, no 'fuzz target exited' finding", () => {
    const dir = makeProject({ "target.js": TARGET, "out/.keep": "" });
    const result = jskcov(dir, ["fuzz", "target.js", "--", "-runs=10", "-artifact_prefix=out/"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain("Error: planted");
    expect(result.stderr).toMatch(/jskcov fuzz: cannot write the artifact out\/crash-[0-9a-f]{40}: /);
    expect(result.stderr).not.toContain("fuzz target exited");
    expect(result.stderr).not.toMatch(/^\s+at .*fuzz-loop/m);
    expect(fs.readFileSync(path.join(dir, "out"), "utf8")).toBe("in the way");
  });
});

test("--engine libfuzzer: a crash's JavaScript stack shows the target's frames, none of jskcov's executor", () => {
  const dir = makeProject({ "target.js": "function explode() {\n  throw new TypeError('native boom');\n}\nmodule.exports.fuzz = (data) => { if (data[0] === 0x43) explode(); };\n", "inputs/crash": "C" });
  const result = jskcov(dir, ["fuzz", "--engine", "libfuzzer", "--no-cache", "target.js", "inputs/crash"]);
  expectStatus(result, 77);
  expect(result.stderr).toMatch(/TypeError: native boom\n\s+at explode \(.*target\.js:2:/);
  expectNoOwnFrames(result);
});

describe("thrown values whose stack, message or type cannot be read are crashes of the target, not failures of the engine", () => {
  test.each([
    ["a stack getter that throws", "const e = new Error('x'); Object.defineProperty(e, 'stack', { get() { throw new Error('stack getter'); } }); throw e;"],
    ["a message getter that throws (V8 formats the stack with it)", "class Odd extends Error { get message() { throw new Error('message getter'); } } throw new Odd();"],
    ["a Proxy whose traps throw (instanceof runs getPrototypeOf)", "throw new Proxy({}, { get() { throw new Error('get trap'); }, getPrototypeOf() { throw new Error('proto trap'); } });"],
    ["a returned value whose then getter throws", "return { get then() { throw new Error('then getter'); } };"],
  ])("%s: crash-<sha1>, status 77", (_name, body) => {
    const dir = makeProject({ "target.js": `module.exports.fuzz = (data) => { if (data.length > 0) { ${body} } };\n` });
    fs.mkdirSync(path.join(dir, "out"));
    const result = jskcov(dir, ["fuzz", "target.js", "--", "-seed=1", "-runs=50", "-artifact_prefix=out/"]);
    expectStatus(result, 77);
    expect(result.stderr).toContain("ERROR: jskcov: uncaught exception in fuzz target");
    expect(result.stderr).not.toContain("the engine failed");
    expect(fs.readdirSync(path.join(dir, "out")).filter((name) => name.startsWith("crash-"))).toHaveLength(1);
  });
});

test("a target that silences process.stderr.write and console does not silence the fuzzer's report of its crash", () => {
  const quiet = "process.stderr.write = () => true;\nconsole.error = console.log = () => {};\n";
  const dir = makeProject({ "target.js": `${quiet}module.exports.fuzz = (data) => { if (data.length > 0) throw new Error('found it'); };\n` });
  fs.mkdirSync(path.join(dir, "out"));
  const result = jskcov(dir, ["fuzz", "target.js", "--", "-seed=1", "-runs=50", "-artifact_prefix=out/"]);
  expectStatus(result, 77);
  expect(result.stderr).toContain("ERROR: jskcov: uncaught exception in fuzz target: Error: found it");
  expect(result.stderr).toMatch(/^jskcov fuzz: \d+ executions /m);
  expect(result.stderr).toContain("Test unit written to out/crash-");
});
