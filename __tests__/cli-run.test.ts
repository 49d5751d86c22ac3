// jskcov run, end to end: CommonJS, ES modules and TypeScript programs in temporary
// projects, each exit path, the dump and block map, the transform cache, arguments.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  JSKCOV, NODE, blockAt, blocksAtTransformTime, expectStatus, hex, jskcov, makeProject, node, readDump, removeProjects, requireBuild, symbolizedPairs, writeFiles, type Block,
} from "./cli-helpers";

const CJS_FILES = {
  "src/lib.js": [
    "function classify(n) {",
    "  if (n > 10) {",
    '    return "big";',
    "  } else if (n > 5) {",
    '    return "medium";',
    "  }",
    '  return "small";',
    "}",
    "module.exports = { classify };",
    "",
  ].join("\n"),
  "src/main.js": [
    'const { classify } = require("./lib");',
    "console.log(classify(Number(process.argv[2])));",
    'if (process.argv[3] === "exit") process.exit(7);',
    'if (process.argv[3] === "throw") throw new Error("thrown at line 4");',
    'if (process.argv[3] === "wait") { console.log("waiting"); setInterval(() => {}, 1000); }',
    "",
  ].join("\n"),
  "other/untouched.js": "module.exports = 1;\n",
};

beforeAll(requireBuild);
afterAll(removeProjects);

describe("jskcov run, CommonJS", () => {
  let project: string;
  let lib: Block[];
  beforeAll(() => {
    project = makeProject(CJS_FILES);
    lib = blocksAtTransformTime(project, "src/lib.js");
  });

  test("runs the script with its own stdout and status, and writes the dump and block map", () => {
    const result = jskcov(project, ["run", "--filter", "src/**", "--out", "out/kcov.out", "--", "src/main.js", "7"]);
    expectStatus(result, 0);
    expect(result.stdout).toBe("medium\n");
    expect(result.stderr).toBe("");

    const pcs = readDump(path.join(project, "out/kcov.out"));
    const ran = new Set(pcs);
    expect(ran.size).toBe(pcs.length);
    for (const pc of pcs) expect(pc % 8n).toBe(0n);
    // The PCs are the ones the plugin gave these blocks at transform time.
    expect(ran.has(blockAt(lib, "function", 1).pc)).toBe(true);
    expect(ran.has(blockAt(lib, "if-alternate", 4).pc)).toBe(true);
    expect(ran.has(blockAt(lib, "if-consequent", 4).pc)).toBe(true);
    expect(ran.has(blockAt(lib, "if-consequent", 2).pc)).toBe(false);
    expect(ran.has(blockAt(lib, "join", 7).pc)).toBe(false);

    const map = JSON.parse(fs.readFileSync(path.join(project, "out/kcov.out.blocks.json"), "utf8"));
    expect(map.format).toBe("jskcov-block-map");
    expect(map.root).toBe(project);
    expect(map.files.map((file: { path: string }) => file.path).sort()).toEqual(["src/lib.js", "src/main.js"]);
  });

  test("an exit by process.exit() keeps its status and still writes the dump", () => {
    const result = jskcov(project, ["run", "--filter", "src/**", "--out", "exit.out", "--", "src/main.js", "20", "exit"]);
    expectStatus(result, 7);
    expect(result.stdout).toBe("big\n");
    const ran = new Set(readDump(path.join(project, "exit.out")));
    expect(ran.has(blockAt(lib, "if-consequent", 2).pc)).toBe(true);
  });

  test("an uncaught exception keeps its status and stack trace, and still writes the dump", () => {
    const result = jskcov(project, ["run", "--filter", "src/**", "--out", "throw.out", "--", "src/main.js", "1", "throw"]);
    expectStatus(result, 1);
    expect(result.stdout).toBe("small\n");
    expect(result.stderr).toContain("Error: thrown at line 4");
    // The stack points at the original line and column, not at instrumented code.
    expect(result.stderr).toContain(`${path.join(project, "src/main.js")}:4:40`);
    const ran = new Set(readDump(path.join(project, "throw.out")));
    expect(ran.has(blockAt(lib, "join", 7).pc)).toBe(true);
  });

  test("a signal that ends the program still writes the dump, and jskcov ends by the same signal", async () => {
    const child = spawn(NODE, [JSKCOV, "run", "--filter", "src/**", "--out", "signal.out", "--", "src/main.js", "3", "wait"], {
      cwd: project,
      stdio: ["ignore", "pipe", "inherit"],
    });
    // jskcov forwards SIGTERM to the program once the program is running.
    child.stdout.once("data", () => child.kill("SIGTERM"));
    const [status, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on("exit", (code, name) => resolve([code, name])),
    );
    expect([status, signal]).toEqual([null, "SIGTERM"]);
    const ran = new Set(readDump(path.join(project, "signal.out")));
    expect(ran.has(blockAt(lib, "join", 7).pc)).toBe(true);
  });

  test("the transform cache: a warm run gives the same dump and map as a cold one", () => {
    const cacheDir = path.join(project, "cache");
    const run = (out: string) =>
      jskcov(project, ["run", "--cache-dir", cacheDir, "--progress", "--out", out, "--", "src/main.js", "7"]);
    const cold = run("cold.out");
    expectStatus(cold, 0);
    expect(cold.stderr).toMatch(/transformed 2 files \(0 from the cache\)/);
    const warm = run("warm.out");
    expectStatus(warm, 0);
    expect(warm.stderr).toMatch(/transformed 2 files \(2 from the cache\)/);
    expect(fs.readFileSync(path.join(project, "warm.out"))).toEqual(fs.readFileSync(path.join(project, "cold.out")));
    expect(fs.readFileSync(path.join(project, "warm.out.blocks.json"), "utf8")).toBe(
      fs.readFileSync(path.join(project, "cold.out.blocks.json"), "utf8"),
    );
    const uncached = jskcov(project, ["run", "--no-cache", "--out", "uncached.out", "--", "src/main.js", "7"]);
    expectStatus(uncached, 0);
    expect(fs.readFileSync(path.join(project, "uncached.out"))).toEqual(fs.readFileSync(path.join(project, "cold.out")));
  });

  test("Babel leaves the program's Error.stackTraceLimit and Error.prepareStackTrace as node sets them", () => {
    // @babel/core raises the limit to 50 and installs its own stack rewriter at its first
    // transform, for the whole process; without the cache every file goes through Babel.
    const settings = 'console.log(Error.stackTraceLimit, Error.prepareStackTrace === undefined ? "none" : Error.prepareStackTrace.name);';
    writeFiles(project, {
      "src/errors.js": `${settings}\nrequire("./lib");\n${settings}\n`,
      "src/errors-own-limit.js": `Error.stackTraceLimit = 3;\nrequire("./lib");\n${settings}\n`,
    });
    for (const program of ["src/errors.js", "src/errors-own-limit.js"]) {
      const plain = node(project, [program]);
      expectStatus(plain, 0);
      const result = jskcov(project, ["run", "--no-cache", "--filter", "src/**", "--out", "errors.out", "--", program]);
      expectStatus(result, 0);
      expect(result.stdout).toBe(plain.stdout);
    }
  });

  test("the default filter takes every file of the root outside node_modules", () => {
    const result = jskcov(project, ["run", "--no-cache", "--out", "all.out", "--", "src/main.js", "7"]);
    expectStatus(result, 0);
    const map = JSON.parse(fs.readFileSync(path.join(project, "all.out.blocks.json"), "utf8"));
    expect(map.files.map((file: { path: string }) => file.path).sort()).toEqual(["src/lib.js", "src/main.js"]);
    const excluded = jskcov(project, ["run", "--filter", "**", "--filter", "!src/lib.js", "--out", "some.out", "--", "src/main.js", "7"]);
    expectStatus(excluded, 0);
    const someMap = JSON.parse(fs.readFileSync(path.join(project, "some.out.blocks.json"), "utf8"));
    expect(someMap.files.map((file: { path: string }) => file.path)).toEqual(["src/main.js"]);
  });
});

describe("jskcov run, ES modules", () => {
  test("instruments an import graph through the loader hooks; top-level await and exitCode work", () => {
    const project = makeProject({
      "lib.mjs": 'export function pick(s) {\n  return s.length > 3 ? "long" : "short";\n}\n',
      "main.mjs": [
        'import { pick } from "./lib.mjs";',
        'import { createRequire } from "node:module";',
        'const cjs = createRequire(import.meta.url)("./helper.cjs");',
        "await Promise.resolve();",
        "console.log(pick(process.argv[2]), cjs.twice(2));",
        "process.exitCode = 3;",
        "",
      ].join("\n"),
      "helper.cjs": "exports.twice = (x) => x * 2;\n",
    });
    const result = jskcov(project, ["run", "--no-cache", "--", "main.mjs", "hello"]);
    expectStatus(result, 3);
    expect(result.stdout).toBe("long 4\n");
    const pcs = new Set(readDump(path.join(project, "kcov.out")));
    const lib = blocksAtTransformTime(project, "lib.mjs");
    expect(pcs.has(blockAt(lib, "conditional-consequent", 2).pc)).toBe(true);
    expect(pcs.has(blockAt(lib, "conditional-alternate", 2).pc)).toBe(false);
    const map = JSON.parse(fs.readFileSync(path.join(project, "kcov.out.blocks.json"), "utf8"));
    expect(map.files.map((file: { path: string }) => file.path).sort()).toEqual(["helper.cjs", "lib.mjs", "main.mjs"]);
  });

  test("an uncaught exception in an ES module still writes the dump", () => {
    const project = makeProject({ "main.mjs": 'console.log("before");\nthrow new Error("esm boom");\n' });
    const result = jskcov(project, ["run", "--no-cache", "--", "main.mjs"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain("esm boom");
    expect(readDump(path.join(project, "kcov.out")).length).toBe(1);
  });
});

describe("jskcov run, TypeScript", () => {
  const SHAPE = [
    "interface Shape {",
    '  kind: "circle" | "square";',
    "  size: number;",
    "}",
    "",
    "export function area(shape: Shape): number {",
    '  if (shape.kind === "circle") {',
    "    return Math.PI * shape.size ** 2;",
    "  }",
    "  if (shape.size < 0) {",
    '    throw new Error("negative size");',
    "  }",
    "  return shape.size * shape.size;",
    "}",
    "",
  ].join("\n");
  let project: string;
  beforeAll(() => {
    project = makeProject({
      "src/shape.ts": SHAPE,
      // ESM syntax in a package without "type": run as an ES module, as Node would.
      "src/main.ts": 'import { area } from "./shape";\nconst size: number = Number(process.argv[2]);\nconsole.log(area({ kind: "square", size }));\n',
      "src/main.mts": 'import { area } from "./shape.js";\ntype N = number;\nconst size: N = Number(process.argv[2]);\nconsole.log(area({ kind: "circle", size }).toFixed(2));\n',
      "src/main.cts": 'import fs = require("node:fs");\nconst { area } = require("./shape.ts");\nconsole.log(area({ kind: "square", size: 3 }), typeof fs.readFileSync);\nprocess.exit(5);\n',
    });
  });

  test("a .ts entry with imports: ranges and symbolized lines point at the .ts source", () => {
    const result = jskcov(project, ["run", "--no-cache", "--", "src/main.ts", "3"]);
    expectStatus(result, 0);
    expect(result.stdout).toBe("9\n");
    const pcs = readDump(path.join(project, "kcov.out"));
    const shape = blocksAtTransformTime(project, "src/shape.ts");
    expect(new Set(pcs).has(blockAt(shape, "join", 13).pc)).toBe(true);
    const symbolized = jskcov(project, ["symbolize", "kcov.out"]);
    expectStatus(symbolized, 0);
    const pairs = symbolizedPairs(symbolized.stdout);
    expect(pairs).toContainEqual([hex(blockAt(shape, "join", 13).pc), "src/shape.ts:13.3,13.34"]);
    expect(pairs).toContainEqual([hex(blockAt(shape, "function", 6).pc), "src/shape.ts:6.8,14.2"]);
  });

  test("a stack trace through instrumented TypeScript points at the original line", () => {
    const result = jskcov(project, ["run", "--no-cache", "--", "src/main.ts", "-2"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain("Error: negative size");
    expect(result.stderr).toContain(`at area (${path.join(project, "src/shape.ts")}:11:11)`);
    const pcs = new Set(readDump(path.join(project, "kcov.out")));
    const shape = blocksAtTransformTime(project, "src/shape.ts");
    expect(pcs.has(blockAt(shape, "if-consequent", 10).pc)).toBe(true);
  });

  test(".mts and .cts entries", () => {
    const mts = jskcov(project, ["run", "--no-cache", "--out", "mts.out", "--", "src/main.mts", "1"]);
    expectStatus(mts, 0);
    expect(mts.stdout).toBe("3.14\n");
    const shape = blocksAtTransformTime(project, "src/shape.ts");
    expect(new Set(readDump(path.join(project, "mts.out"))).has(blockAt(shape, "if-consequent", 7).pc)).toBe(true);

    const cts = jskcov(project, ["run", "--no-cache", "--out", "cts.out", "--", "src/main.cts"]);
    expectStatus(cts, 5);
    expect(cts.stdout).toBe("9 function\n");
    const map = JSON.parse(fs.readFileSync(path.join(project, "cts.out.blocks.json"), "utf8"));
    expect(map.files.map((file: { path: string }) => file.path).sort()).toEqual(["src/main.cts", "src/shape.ts"]);
  });
});

describe("jskcov arguments", () => {
  let project: string;
  beforeAll(() => {
    project = makeProject({ "main.js": "console.log(process.argv.slice(2).join(' '));\n" });
  });

  test("--pc-seed-for ./main.js is the file main.js: the same PCs, not a seed ignored", () => {
    const dump = (args: string[], out: string): Buffer => {
      expectStatus(jskcov(project, ["run", "--no-cache", "--out", out, ...args, "--", "main.js"]), 0);
      return fs.readFileSync(path.join(project, out));
    };
    const plain = dump([], "plain.out");
    const seeded = dump(["--pc-seed-for", "main.js=7"], "seeded.out");
    expect(seeded).not.toEqual(plain);
    expect(dump(["--pc-seed-for", "./main.js=7"], "dotted.out")).toEqual(seeded);
    expect(dump(["--pc-seed-for", `${path.join(project, "main.js")}=7`], "absolute.out")).toEqual(seeded);
  });

  test("a --root reached through a symbolic link covers the files under it (Node loads them by their real paths)", () => {
    const link = `${project}-link`;
    fs.symlinkSync(project, link);
    try {
      const result = jskcov(project, ["run", "--no-cache", "--root", link, "--out", "linked.out", "--", path.join(link, "main.js")]);
      expectStatus(result, 0);
      expect(result.stderr).not.toContain("no instrumented file was loaded");
      const map = JSON.parse(fs.readFileSync(path.join(project, "linked.out.blocks.json"), "utf8"));
      expect(map.files.map((file: { path: string }) => file.path)).toEqual(["main.js"]);
    } finally {
      fs.rmSync(link);
    }
  });

  test("--help for every command", () => {
    for (const command of ["run", "symbolize", "report"]) {
      const result = jskcov(project, [command, "--help"]);
      expectStatus(result, 0);
      expect(result.stdout).toContain(`Usage: jskcov ${command}`);
    }
    const top = jskcov(project, ["--help"]);
    expectStatus(top, 0);
    expect(top.stdout).toContain("Commands:");
  });

  test("the script's own options pass through, with or without --", () => {
    const withDashes = jskcov(project, ["run", "--quiet", "--", "main.js", "--out", "x", "-h"]);
    expectStatus(withDashes, 0);
    expect(withDashes.stdout).toBe("--out x -h\n");
    const without = jskcov(project, ["run", "--out", "k.out", "main.js", "--filter", "y"]);
    expectStatus(without, 0);
    expect(without.stdout).toBe("--filter y\n");
    expect(fs.existsSync(path.join(project, "k.out"))).toBe(true);
  });

  test.each([
    [["run", "--bogus", "--", "main.js"], "Unknown option '--bogus'"],
    [["run", "--out"], "Option '--out <value>' argument missing"],
    [["run", "--filter", "[a", "--", "main.js"], "option '--filter' is not a valid glob: '[a'"],
    [["run", "--pc-seed", "12x", "--", "main.js"], "option '--pc-seed' must be an integer"],
    [["run", "--pc-seed-for", "main.js", "--", "main.js"], "option '--pc-seed-for' must be FILE=SEED, got 'main.js'"],
    [["run", "--pc-seed-for", "main.js=-1", "--", "main.js"], "option '--pc-seed-for' must be an integer"],
    // A seed for a file the plugin never sees would leave the clash it was meant to fix.
    [["run", "--pc-seed-for", "missing.js=1", "--", "main.js"], "option '--pc-seed-for': 'missing.js' is not a file under the root"],
    [["run", "--pc-seed-for", "../main.js=1", "--", "main.js"], "option '--pc-seed-for': '../main.js' is not a file under the root"],
    [["run", "--filter", "lib/**", "--pc-seed-for", "main.js=1", "--", "main.js"], "option '--pc-seed-for': 'main.js' is not instrumented (the filter 'lib/**' leaves it out)"],
    [["run", "--counter-mode", "often", "--", "main.js"], "option '--counter-mode' must be 'hit' or 'count'"],
    [["run", "--root", "nowhere", "--", "main.js"], "option '--root' must name a directory"],
    [["run", "--", "missing.js"], "the script 'missing.js' does not exist"],
    [["run"], "missing the <script> to run"],
    [["symbolize", "--map", "none.json", "0x10"], "the block map 'none.json' does not exist"],
    [["symbolize", "--all", "kcov.out"], "option '--all' lists every block"],
    [["report", "--bogus"], "Unknown option '--bogus'"],
    [["report", "missing.out"], "the dump 'missing.out' does not exist"],
    [["frobnicate"], "unknown command 'frobnicate'"],
  ])("jskcov %j fails with status 2 and names the argument", (args, message) => {
    const result = jskcov(project, args);
    expectStatus(result, 2);
    expect(result.stderr).toContain(message);
  });
});
