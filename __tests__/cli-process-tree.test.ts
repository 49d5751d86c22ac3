// jskcov run over a process tree, end to end: fork(), spawn of node, worker threads from
// a file and from code, a child that drops the environment, Jest with 2 workers and
// mocha --parallel. Each child's blocks must be in the one merged dump and block map.

import * as fs from "node:fs";
import * as path from "node:path";
import {
  REPO, blockAt, blocksAtTransformTime, expectStatus, jskcov, makeProject, node, readDump, removeProjects, requireBuild, type Block,
} from "./cli-helpers";
import { expectJestCoveredByWorkers } from "./jest-projects";

beforeAll(requireBuild);
afterAll(removeProjects);

const ROLE_LIB = [
  "exports.which = (role) => {",
  '  if (role === "child") return "child-branch";',
  '  if (role === "file-worker") return "file-worker-branch";',
  '  if (role === "eval-worker") return "eval-worker-branch";',
  '  if (role === "spawned") return "spawned-branch";',
  '  return "main-branch";',
  "};",
  "",
].join("\n");

const STARTER = [
  'const { Worker } = require("node:worker_threads");',
  'const { fork, spawn } = require("node:child_process");',
  'const { which } = require("./lib");',
  "const [how, role] = process.argv.slice(2);",
  "if (role !== undefined) {",
  "  console.log(which(role));",
  "} else {",
  '  console.log(which("main"));',
  '  const done = (code) => console.log("child status", code);',
  '  if (how === "fork") fork(__filename, ["-", "child"]).on("exit", done);',
  '  if (how === "spawn") spawn(process.execPath, [__filename, "-", "spawned"], { stdio: "inherit" }).on("exit", done);',
  '  if (how === "bare-env") spawn(process.execPath, [__filename, "-", "spawned"], { stdio: "inherit", env: { PATH: process.env.PATH } }).on("exit", done);',
  '  if (how === "file-worker") new Worker(require.resolve("./worker")).on("exit", done);',
  '  if (how === "eval-worker") {',
  '    const code = `console.log(require(${JSON.stringify(require.resolve("./lib"))}).which("eval-worker"))`;',
  "    new Worker(code, { eval: true }).on(\"exit\", done);",
  "  }",
  "}",
  "",
].join("\n");

describe("jskcov run covers the processes and threads a program starts", () => {
  let project: string;
  let lib: Block[];
  /** The if-consequent on `line` of lib.js: the branch of one role. */
  const branch = (line: number) => blockAt(lib, "if-consequent", line).pc;
  const ROLE_LINES = { child: 2, "file-worker": 3, "eval-worker": 4, spawned: 5 };

  beforeAll(() => {
    project = makeProject({
      "src/lib.js": ROLE_LIB,
      "src/main.js": STARTER,
      "src/worker.js": 'console.log(require("./lib").which("file-worker"));\n',
    });
    lib = blocksAtTransformTime(project, "src/lib.js");
  });

  test.each([
    ["fork", "child", "child-branch"],
    ["spawn", "spawned", "spawned-branch"],
    ["file-worker", "file-worker", "file-worker-branch"],
    ["eval-worker", "eval-worker", "eval-worker-branch"],
  ] as const)("%s: the child runs as without jskcov and its blocks are in the merged dump", (how, role, output) => {
    const out = `${how}.out`;
    const result = jskcov(project, ["run", "--filter", "src/**", "--out", out, "--", "src/main.js", how]);
    expectStatus(result, 0);
    expect(result.stdout.split("\n").sort()).toEqual(["", "child status 0", "main-branch", output].sort());
    expect(result.stderr).toBe("");
    const ran = new Set(readDump(path.join(project, out)));
    expect(ran.has(branch(ROLE_LINES[role]))).toBe(true);
    // The main process's own blocks are there too, and no other role's branch.
    expect(ran.has(blockAt(lib, "join", 6).pc)).toBe(true);
    for (const [other, line] of Object.entries(ROLE_LINES)) if (other !== role) expect(ran.has(branch(line))).toBe(false);
    const map = JSON.parse(fs.readFileSync(path.join(project, `${out}.blocks.json`), "utf8"));
    const files = map.files.map((file: { path: string }) => file.path).sort();
    expect(files).toEqual(how === "file-worker" ? ["src/lib.js", "src/main.js", "src/worker.js"] : ["src/lib.js", "src/main.js"]);
    // The per-process dumps were only for merging: nothing is left next to the dump.
    expect(fs.readdirSync(project).filter((name) => name.includes(".processes-"))).toEqual([]);
  });

  test("--keep-per-process keeps each process's and thread's dump, and jskcov merge gives the same dump again", () => {
    const kept = path.join(project, "per-process");
    const result = jskcov(project, ["run", "--filter", "src/**", "--out", "kept.out", "--keep-per-process", kept, "--", "src/main.js", "file-worker"]);
    expectStatus(result, 0);
    const names = fs.readdirSync(kept).sort();
    const main = names.filter((name) => /^\d+\.kcov$/.test(name));
    const worker = names.filter((name) => /^\d+-worker\d+\.kcov$/.test(name));
    expect([main.length, worker.length]).toEqual([1, 1]);
    // Each is an ordinary dump: the worker's holds the worker's branch, the main thread's not.
    expect(new Set(readDump(path.join(kept, worker[0]))).has(branch(3))).toBe(true);
    expect(new Set(readDump(path.join(kept, main[0]))).has(branch(3))).toBe(false);
    const symbolized = jskcov(project, ["symbolize", path.join(kept, worker[0])]);
    expectStatus(symbolized, 0);
    expect(symbolized.stdout).toContain("src/worker.js:1.1,");

    const merged = jskcov(project, ["merge", "--out", "remerged.out", kept]);
    expectStatus(merged, 0);
    expect(new Set(readDump(path.join(project, "remerged.out")))).toEqual(new Set(readDump(path.join(project, "kept.out"))));
    const refused = jskcov(project, ["run", "--out", "again.out", "--keep-per-process", kept, "--", "src/main.js", "fork"]);
    expectStatus(refused, 2);
    expect(refused.stderr).toContain("option '--keep-per-process' must name an empty or new directory");
  });

  test("a Node child whose environment was replaced runs uninstrumented, and jskcov says so", () => {
    const result = jskcov(project, ["run", "--filter", "src/**", "--out", "bare.out", "--", "src/main.js", "bare-env"]);
    expectStatus(result, 0);
    expect(result.stdout).toContain("spawned-branch");
    expect(result.stderr).toMatch(/warning: 1 Node processes or threads ran without coverage[^\n]*\n {2}process \d+ \(.*main\.js - spawned\)/);
    const ran = new Set(readDump(path.join(project, "bare.out")));
    expect(ran.has(branch(5))).toBe(false);
    expect(ran.has(blockAt(lib, "join", 6).pc)).toBe(true);
  });
});

describe("jskcov merge", () => {
  let project: string;
  beforeAll(() => {
    project = makeProject({ "src/lib.js": ROLE_LIB, "src/main.js": STARTER, "src/worker.js": "require('./lib');\n" });
  });

  test("merges dumps of separate runs: the union of their PCs and files", () => {
    expectStatus(jskcov(project, ["run", "--filter", "src/**", "--out", "a.out", "--", "src/main.js", "-", "child"]), 0);
    expectStatus(jskcov(project, ["run", "--filter", "src/**", "--out", "b.out", "--", "src/main.js", "-", "spawned"]), 0);
    const merged = jskcov(project, ["merge", "--out", "ab.out", "a.out", "b.out"]);
    expectStatus(merged, 0);
    const a = readDump(path.join(project, "a.out"));
    const b = readDump(path.join(project, "b.out"));
    const ab = readDump(path.join(project, "ab.out"));
    expect(ab).toEqual([...new Set([...a, ...b])]);
    expect(ab.length).toBeGreaterThan(a.length);
    const report = jskcov(project, ["report", "--lcov", "--out", "ab.info", "ab.out"]);
    expectStatus(report, 0);
    expect(fs.readFileSync(path.join(project, "ab.info"), "utf8")).toContain("SF:");
  });

  test("refuses dumps whose files are different code, naming the file", () => {
    expectStatus(jskcov(project, ["run", "--filter", "src/**", "--out", "old.out", "--", "src/main.js", "-", "child"]), 0);
    fs.appendFileSync(path.join(project, "src/lib.js"), "exports.more = () => 1;\n");
    expectStatus(jskcov(project, ["run", "--filter", "src/**", "--out", "new.out", "--", "src/main.js", "-", "child"]), 0);
    const result = jskcov(project, ["merge", "--out", "bad.out", "old.out", "new.out"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain("src/lib.js is different code in each");
    expect(fs.existsSync(path.join(project, "bad.out"))).toBe(false);
  });

  test.each([
    [["merge"], "give the dumps"],
    [["merge", "missing.out"], "the dump 'missing.out' does not exist"],
    [["merge", "--out", "a.out", "a.out"], "option '--out' names one of the inputs"],
  ])("jskcov %j fails with status 2", (args, message) => {
    const result = jskcov(project, args);
    expectStatus(result, 2);
    expect(result.stderr).toContain(message);
  });
});

/** Pass and fail counts from a test runner's output, e.g. "Tests: 3 passed, 3 total". */
function counts(text: string, pattern: RegExp): string {
  const match = pattern.exec(text);
  if (match === null) throw new Error(`no counts (${pattern}) in:\n${text}`);
  return match[0];
}

describe("test runners that run tests in worker processes", () => {
  const SUM = "exports.sum = (a, b) => {\n  if (a < 0) return -1;\n  return a + b;\n};\n";
  const testFiles = (header: string, count: number) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [
        `test/t${i}.test.js`,
        `${header}const { sum } = require("../src/sum");\n` +
          `describe("suite ${i}", () => {\n  it("adds", () => { if (sum(${i}, 1) !== ${i + 1}) throw new Error("bad sum"); });\n` +
          `  it("checks the process", () => { if (typeof process.pid !== "number") throw new Error("no pid"); });\n});\n`,
      ]),
    );

  test("Jest with 2 workers: the same results as without jskcov, and the workers' coverage", () => {
    expect(expectJestCoveredByWorkers(false)).toMatch(/^29\./);
  });

  test("Jest ES module tests (--experimental-vm-modules) with 2 workers: the same results, and the workers' coverage", () => {
    expect(expectJestCoveredByWorkers(true)).toMatch(/^29\./);
  });

  test("mocha --parallel: the same results as without jskcov, and the workers' coverage", () => {
    const project = makeProject({ "src/sum.js": SUM, ...testFiles("", 4) });
    const mochaBin = path.join(REPO, "node_modules/mocha/bin/mocha.js");
    const args = [mochaBin, "--parallel", "--jobs", "2", "--reporter", "dot", "test/*.test.js"];
    const plain = node(project, args);
    expectStatus(plain, 0);
    const covered = jskcov(project, ["run", "--filter", "src/**", "--", ...args]);
    expectStatus(covered, 0);
    const pattern = /\d+ passing/;
    expect(counts(covered.stdout, pattern)).toBe(counts(plain.stdout, pattern));
    expect(counts(covered.stdout, pattern)).toBe("8 passing");
    const sum = blocksAtTransformTime(project, "src/sum.js");
    const ran = new Set(readDump(path.join(project, "kcov.out")));
    expect(ran.has(blockAt(sum, "join", 3).pc)).toBe(true);
  });
});

describe("the import hooks of a CommonJS program", () => {
  test("are registered when it first compiles a module with import(): a dynamically imported ES module is instrumented", () => {
    const project = makeProject({
      "lib.mjs": 'export function pick(s) {\n  return s.length > 3 ? "long" : "short";\n}\n',
      "main.js": 'console.log("cjs");\nimport("./lib.mjs").then(({ pick }) => console.log(pick(process.argv[2])));\n',
    });
    const result = jskcov(project, ["run", "--no-cache", "--", "main.js", "hello"]);
    expectStatus(result, 0);
    expect(result.stdout).toBe("cjs\nlong\n");
    const lib = blocksAtTransformTime(project, "lib.mjs");
    const ran = new Set(readDump(path.join(project, "kcov.out")));
    expect(ran.has(blockAt(lib, "conditional-consequent", 2).pc)).toBe(true);
    expect(ran.has(blockAt(lib, "conditional-alternate", 2).pc)).toBe(false);
  });
});

describe("jskcov run -- node [node options]", () => {
  test("node --test: every test file's process is covered, and the results are node's", () => {
    const project = makeProject({
      "src/sum.js": "exports.sum = (a, b) => {\n  if (a < 0) return -1;\n  return a + b;\n};\n",
      "test/one.test.js": 'const test = require("node:test");\nconst { sum } = require("../src/sum");\ntest("adds", () => { if (sum(1, 2) !== 3) throw new Error("bad"); });\n',
      "test/two.test.js": 'const test = require("node:test");\nconst { sum } = require("../src/sum");\ntest("negative", () => { if (sum(-1, 2) !== -1) throw new Error("bad"); });\n',
    });
    const result = jskcov(project, ["run", "--filter", "src/**", "--", "node", "--test", "test/"]);
    expectStatus(result, 0);
    expect(counts(result.stdout, /# pass \d+/)).toBe("# pass 2");
    const sum = blocksAtTransformTime(project, "src/sum.js");
    const ran = new Set(readDump(path.join(project, "kcov.out")));
    // One test file ran each branch, each in its own process.
    expect(ran.has(blockAt(sum, "if-consequent", 2).pc)).toBe(true);
    expect(ran.has(blockAt(sum, "join", 3).pc)).toBe(true);
  });
});
