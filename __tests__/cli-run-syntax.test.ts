// `jskcov run` on syntax that Node runs but Babel does not parse by default: the program
// must behave as under plain node (same stdout and exit status), instrumented where Babel
// can be asked to parse it, else uninstrumented with a warning that names the position.

import * as fs from "node:fs";
import * as path from "node:path";
import { expectStatus, jskcov, makeProject, node, removeProjects, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

function blockMapPaths(dir: string): string[] {
  const map = JSON.parse(fs.readFileSync(path.join(dir, "kcov.out.blocks.json"), "utf8")) as { files: { path: string }[] };
  return map.files.map((file) => file.path);
}

/** Runs `args` under node and under `jskcov run`: same stdout, same status. Returns jskcov's result. */
function sameAsNode(dir: string, args: string[]) {
  const plain = node(dir, args);
  const covered = jskcov(dir, ["run", "--no-cache", "--", ...(args[0].startsWith("--") ? ["node", ...args] : args)]);
  expect({ stdout: covered.stdout, status: covered.status }).toEqual({ stdout: plain.stdout, status: plain.status });
  return { plain, covered };
}

const nodeMajor = Number(process.versions.node.split(".")[0]);

// Node 20 runs import assertions (`assert`); Node 22 removed them. Either way, as under node.
test("import assertions (assert { type: 'json' }) run as under node, and the files are instrumented", () => {
  const dir = makeProject({
    "data.json": '{ "answer": 42 }\n',
    "static.mjs": 'import data from "./data.json" assert { type: "json" };\nconsole.log("static", data.answer);\n',
    "dynamic.cjs": 'import("./data.json", { assert: { type: "json" } }).then((m) => console.log("dynamic", m.default.answer));\n',
  });
  for (const file of ["static.mjs", "dynamic.cjs"]) {
    const { plain, covered } = sameAsNode(dir, [file]);
    if (nodeMajor === 20) {
      expectStatus(plain, 0);
      expect(covered.stderr).not.toContain("Babel cannot parse");
      expect(blockMapPaths(dir)).toEqual([file]);
    }
  }
});

test("V8 intrinsics under --allow-natives-syntax: run uninstrumented, with a warning naming the position", () => {
  const dir = makeProject({
    "natives.js": "function f(x) { return x + 1; }\n%PrepareFunctionForOptimization(f);\nf(1);\nconsole.log('natives', f(2));\n",
  });
  const { plain, covered } = sameAsNode(dir, ["--allow-natives-syntax", "natives.js"]);
  expectStatus(plain, 0);
  expect(covered.stdout).toBe("natives 3\n");
  expect(covered.stderr).toContain(`jskcov: warning: ${path.join(dir, "natives.js")}:2:1: Babel cannot parse it (Unexpected token); it runs as it is, uninstrumented`);
});

test("a file that neither can parse fails with Node's own SyntaxError and status", () => {
  const dir = makeProject({ "main.js": "console.log('before');\nrequire('./broken');\n", "broken.js": "module.exports = 1 +;\n" });
  const { plain, covered } = sameAsNode(dir, ["main.js"]);
  expectStatus(plain, 1);
  expect(plain.stderr).toContain("SyntaxError: Unexpected token ';'");
  expect(covered.stderr).toContain("SyntaxError: Unexpected token ';'");
  expect(covered.stderr).toContain(`${path.join(dir, "broken.js")}:1:21: Babel cannot parse it`);
  expect(covered.stderr).not.toContain("@babel/parser");
});

describe("a TypeScript file Babel cannot compile fails with Babel's message and code frame, without Babel's and jskcov's frames", () => {
  const BROKEN = "export const a: number = ;\n";
  /** The `    at` lines of a stack printed on stderr. */
  const frames = (stderr: string) => stderr.split("\n").filter((line) => /^\s+at /.test(line));

  test("required from CommonJS: the stack is the require chain of the program", () => {
    const dir = makeProject({ "main.cjs": "console.log('before');\nrequire('./broken.ts');\n", "broken.ts": BROKEN });
    const result = jskcov(dir, ["run", "--quiet", "--no-cache", "--", "main.cjs"]);
    expectStatus(result, 1);
    expect(result.stdout).toBe("before\n");
    expect(result.stderr).toContain(`SyntaxError: ${path.join(dir, "broken.ts")}: Unexpected token (1:25)`);
    expect(result.stderr).toContain("> 1 | export const a: number = ;");
    expect(frames(result.stderr)).toContainEqual(expect.stringContaining(`${path.join(dir, "main.cjs")}:2:1`));
    expect(frames(result.stderr).filter((line) => /@babel\/|gensync|\/cli\/|<anonymous>\)$/.test(line))).toEqual([]);
  });

  test.each([
    ["a syntax error", "main.ts", BROKEN, "Unexpected token (1:25)"],
    ["syntax a transform refuses (import = require in an ES module)", "main.ts", 'import fs = require("fs");\nexport const x = typeof fs;\n', "`import fs = require(...);` is only supported when compiling modules to CommonJS"],
  ])("the entry, loaded as an ES module, with %s", (_name, entry, source, message) => {
    const dir = makeProject({ [entry]: source });
    const result = jskcov(dir, ["run", "--quiet", "--no-cache", "--", entry]);
    expectStatus(result, 1);
    // Node 20 prints an error from its hooks thread as "SyntaxError [Error]", Node 22 as "SyntaxError".
    expect(result.stderr).toMatch(/^SyntaxError( \[Error\])?: /m);
    expect(result.stderr).toContain(`${path.join(dir, entry)}: ${message}`);
    expect(frames(result.stderr).filter((line) => /@babel\/|gensync|\/cli\/|<anonymous>\)$/.test(line))).toEqual([]);
  });
});
