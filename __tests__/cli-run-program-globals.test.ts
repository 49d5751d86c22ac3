// What a program run by `jskcov run` may do to the globals jskcov relies on, and what it
// can observe of jskcov: the run must neither break nor lose its coverage, and the
// program must see what it sees under node.

import * as fs from "node:fs";
import * as path from "node:path";
import { blockAt, blocksAtTransformTime, expectStatus, jskcov, makeProject, node, readDump, removeProjects, requireBuild } from "./cli-helpers";

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
