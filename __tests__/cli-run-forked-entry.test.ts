// A TypeScript main script that a program forks (or spawns with node) runs in the module
// format it has as `jskcov run`'s own entry: an ES module stays one. Node 20 loads a `.ts`
// main script with its CommonJS loader unless it was started with --import (which `jskcov
// run` gives its own entry, but not the program's children), so it ran as CommonJS.

import * as path from "node:path";
import { blockAt, blocksAtTransformTime, expectStatus, jskcov, makeProject, readDump, removeProjects, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

const CHILDREN: Record<string, string> = {
  "esm.ts": 'export const z: number = 1;\nconsole.log("esm.ts", typeof require, typeof module, this);\n',
  "esm.mts": 'const y: string = "mts";\nconsole.log(y, typeof require, import.meta.url.endsWith("esm.mts"));\n',
  "cjs.ts": 'const x: number = 2;\nconsole.log("cjs.ts", typeof require, typeof module);\n',
  "throws.ts": 'export {};\nthrow new TypeError("thrown at the top level, require is " + typeof require);\n',
  "unsettled.ts": "export {};\nawait new Promise(() => {});\n",
  "branches.ts": 'export function pick(n: number): string {\n  if (n > 1) {\n    return "big";\n  }\n  return "small";\n}\nconsole.log(pick(3));\n',
};

const PARENT = [
  'const { fork } = require("node:child_process");',
  "(async () => {",
  "  for (const name of process.argv.slice(2)) {",
  '    const child = fork(require("node:path").join(__dirname, name), { stdio: ["ignore", "pipe", "pipe", "ipc"] });',
  '    let out = "";',
  '    child.stdout.on("data", (chunk) => { out += chunk; });',
  '    child.stderr.on("data", (chunk) => { out += chunk; });',
  '    const status = await new Promise((resolve) => child.on("exit", resolve));',
  "    console.log(JSON.stringify([name, status, out]));",
  "  }",
  "})();",
  "",
].join("\n");

test.each(Object.keys(CHILDREN))("a forked %s runs as it runs as the entry of jskcov run", (name) => {
  const project = makeProject({ ...CHILDREN, "parent.js": PARENT, "package.json": "{}\n" });
  const asEntry = jskcov(project, ["run", "--no-cache", "--out", "entry.out", "--", name]);
  const forked = jskcov(project, ["run", "--no-cache", "--out", "forked.out", "--", "parent.js", name]);
  expectStatus(forked, 0);
  const [[forkedName, forkedStatus, forkedOutput]] = forked.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  expect(forkedName).toBe(name);
  expect(forkedStatus).toBe(asEntry.status);
  // The entry's stdout, and its stderr without jskcov's own lines; a thrown error is printed from the same place.
  const entryOutput = asEntry.stdout + asEntry.stderr.split("\n").filter((line) => !line.startsWith("jskcov")).join("\n");
  if (name === "throws.ts") {
    expect(forkedOutput).toContain("TypeError: thrown at the top level, require is undefined");
    expect(entryOutput).toContain("TypeError: thrown at the top level, require is undefined");
    expect(forkedOutput).toContain(`${path.join(project, name)}:2:`);
  } else {
    expect(forkedOutput).toBe(entryOutput);
  }
});

test("a forked ES module .ts is covered in the run's dump", () => {
  const project = makeProject({ ...CHILDREN, "parent.js": PARENT, "package.json": "{}\n" });
  const forked = jskcov(project, ["run", "--no-cache", "--out", "kcov.out", "--", "parent.js", "branches.ts"]);
  expectStatus(forked, 0);
  const ran = new Set(readDump(path.join(project, "kcov.out")));
  expect(ran.has(blockAt(blocksAtTransformTime(project, "branches.ts"), "if-consequent", 2).pc)).toBe(true);
});
