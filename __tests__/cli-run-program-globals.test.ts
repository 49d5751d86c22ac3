// What a program run by `jskcov run` may do to the globals jskcov relies on, and what it
// can observe of jskcov: the run must neither break nor lose its coverage, and the
// program must see what it sees under node.

import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, blockAt, blocksAtTransformTime, expectStatus, jskcov, makeProject, node, readDump, removeProjects, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

const LIB = 'module.exports = function (x) {\n  if (x > 1) {\n    return "big";\n  }\n  return "small";\n};\n';

describe("a program that replaces JSON.parse and JSON.stringify", () => {
  // Replaced before the next file is instrumented (Babel, the plugin's block table, the
  // transform cache) and before the dump and its block map are written at exit.
  const program = [
    'JSON.parse = () => { throw new Error("the program\'s JSON.parse"); };',
    'JSON.stringify = () => "\\"the program\'s JSON.stringify\\"";',
    'const lib = require("./lib");',
    "console.log(lib(5));",
    "",
  ].join("\n");

  test.each([
    ["in jskcov's process", []],
    ["in a child process", ["node", "--stack-size=2000"]],
  ])("still loads its files and writes its coverage, %s", (_where, launcher) => {
    const project = makeProject({ "lib.js": LIB, "main.js": program });
    const plain = node(project, ["main.js"]);
    expectStatus(plain, 0);
    const result = jskcov(project, ["run", "--no-cache", "--out", "kcov.out", "--", ...launcher, "main.js"]);
    expectStatus(result, 0);
    expect(result.stdout).toBe(plain.stdout);
    expect(result.stderr).toBe("");
    const ran = new Set(readDump(path.join(project, "kcov.out")));
    expect(ran.has(blockAt(blocksAtTransformTime(project, "lib.js"), "if-consequent", 2).pc)).toBe(true);
    const map = JSON.parse(fs.readFileSync(path.join(project, "kcov.out.blocks.json"), "utf8"));
    expect(map.files.map((file: { path: string }) => file.path).sort()).toEqual(["lib.js", "main.js"]);
  });
});

describe("what a program sees of jskcov's require hook", () => {
  const FILES = {
    "outer.js": 'Error.stackTraceLimit = Number(process.argv[2]);\nrequire("./middle");\n',
    "middle.js": 'require("./thrower");\n',
    "thrower.js": 'throw new Error("at load");\n',
  };
  const frames = (stderr: string) => stderr.split("\n").filter((line) => line.startsWith("    at "));

  test("an error thrown at load has node's frames and two of jskcov's per require level (a Module._load hook made it three)", () => {
    const project = makeProject(FILES);
    // Up to the entry's require: below it, jskcov starts the main module (docs/cli.md, "Where the program runs").
    const untilEntry = (lines: string[]) => lines.slice(0, lines.findIndex((line) => line.includes(`${path.join(project, "outer.js")}:2:`)) + 1);
    const plain = untilEntry(frames(node(project, ["outer.js", "50"]).stderr));
    const run = untilEntry(frames(jskcov(project, ["run", "--no-cache", "--out", "kcov.out", "--", "outer.js", "50"]).stderr));
    expect(plain.length).toBeGreaterThan(10);
    const own = run.filter((line) => line.includes(path.join(REPO, "dist")));
    expect(run.filter((line) => !own.includes(line))).toEqual(plain);
    // Two require levels: middle.js and thrower.js.
    expect(own.map((line) => line.replace(/ \(.*/, ""))).toEqual(Array(2).fill(["    at module._compile", "    at extensions.<computed> [as .js]"]).flat());
  });

  test("with node's default limit, the frame of the require that loaded the file is still in the trace", () => {
    const project = makeProject(FILES);
    const run = jskcov(project, ["run", "--no-cache", "--out", "kcov.out", "--", "outer.js", "10"]);
    expect(frames(run.stderr)).toHaveLength(10);
    expect(run.stderr).toContain(`${path.join(project, "middle.js")}:1:1`);
  });
});

describe("a program that replaces the built-ins the runtime and the exit flush use", () => {
  // After its files loaded and ran, the program swaps them for functions that throw; at exit
  // jskcov reads the counters, symbolizes the blocks and writes the dump and its block map
  // (runtime/intrinsics.ts). In a child process: when the program runs in jskcov's own
  // process, jskcov's merge of the dumps runs there too, and that still uses Array methods.
  const REPLACED = [
    "Atomics.load", "Atomics.store", "Math.min", "Math.max", "Math.floor",
    ...["push", "map", "filter", "forEach", "some", "every", "sort", "slice", "reduce"].map((key) => `Array.prototype.${key}`),
    ...["fill", "some", "slice", "set", "subarray"].map((key) => `Object.getPrototypeOf(Uint8Array.prototype).${key}`),
    ...["keys", "freeze", "entries", "fromEntries"].map((key) => `Object.${key}`),
    "WeakMap.prototype.get", "WeakMap.prototype.set", "Map.prototype.get", "Map.prototype.set",
    "Number.isInteger", "Number.isSafeInteger", "Array.isArray", "ArrayBuffer.isView", "String.prototype.slice",
  ];
  const programThatReplaces = (replaced: string[]) => [
    'const lib = require("./lib");',
    "console.log(lib(5));",
    ...replaced.map((name) => `${name} = function () { throw new Error("the program's ${name}"); };`),
    "process.exitCode = 3;",
    "",
  ].join("\n");

  test("gets its dump, its block map and its exit status, in a child process", () => {
    const launcher = ["node", "--stack-size=2000"];
    const project = makeProject({ "lib.js": LIB, "main.js": programThatReplaces(REPLACED), "control.js": programThatReplaces([]) });
    const plain = node(project, ["main.js"]);
    expectStatus(plain, 3);
    const result = jskcov(project, ["run", "--no-cache", "--out", "kcov.out", "--", ...launcher, "main.js"]);
    expectStatus(result, 3);
    expect(result.stdout).toBe(plain.stdout);
    expect(result.stderr).toBe("");
    // The same PCs, in the same order, as a run of the program that leaves them alone.
    expectStatus(jskcov(project, ["run", "--no-cache", "--out", "control.out", "--", ...launcher, "control.js"]), 3);
    const ran = readDump(path.join(project, "kcov.out"));
    expect(ran).toContain(blockAt(blocksAtTransformTime(project, "lib.js"), "if-consequent", 2).pc);
    const controlPcs = readDump(path.join(project, "control.out"));
    const lib = new Set(blocksAtTransformTime(project, "lib.js").map((block) => block.pc));
    expect(ran.filter((pc) => lib.has(pc))).toEqual(controlPcs.filter((pc) => lib.has(pc)));
    expect(ran.length).toBe(controlPcs.length);
    const map = JSON.parse(fs.readFileSync(path.join(project, "kcov.out.blocks.json"), "utf8"));
    expect(map.files.map((file: { path: string }) => file.path).sort()).toEqual(["lib.js", "main.js"]);
  });
});
