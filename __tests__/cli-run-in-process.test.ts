// `jskcov run` runs a plain script in its own process (one Node start-up, not two): the
// program must see what `node script` shows it (argv, require.main, execArgv, exit status,
// an uncaught exception's report), its worker threads must load the preload as a child
// process's do, and --spawn must give the same results from a child process.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { JSKCOV, NODE, blockAt, blocksAtTransformTime, expectStatus, jskcov, makeProject, node, readDump, removeProjects, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

const PROBE = [
  'const fs = require("node:fs");',
  "const facts = {",
  "  argv: process.argv.slice(1),",
  "  main: require.main === module,",
  "  execArgv: process.execArgv,",
  "  preloadInherited: /preload/.test(process.env.NODE_OPTIONS ?? ''),",
  "};",
  "fs.writeFileSync(process.argv[2], JSON.stringify({ pid: process.pid, ppid: process.ppid }));",
  "console.log(JSON.stringify(facts));",
  'if (process.argv[3] === "throw") throw new Error("boom from the program");',
  "process.exitCode = 3;",
  "",
].join("\n");

const ESM_MAIN = [
  'import { Worker } from "node:worker_threads";',
  'const worker = new Worker(new URL("./worker.mjs", import.meta.url), { workerData: 5 });',
  'const answer = await new Promise((resolve) => worker.on("message", resolve));',
  'console.log("worker said", answer);',
  "",
].join("\n");

const ESM_WORKER = [
  'import { parentPort, workerData } from "node:worker_threads";',
  "if (workerData > 1) {",
  '  parentPort.postMessage("big");',
  "} else {",
  '  parentPort.postMessage("small");',
  "}",
  "",
].join("\n");

describe("jskcov run in its own process", () => {
  test("the program sees what node shows it, and --spawn gives the same", () => {
    const project = makeProject({ "src/probe.js": PROBE });
    const plain = node(project, ["src/probe.js", "ids-node.json"]);
    const here = jskcov(project, ["run", "--filter", "src/**", "--", "src/probe.js", "ids-here.json"]);
    const child = jskcov(project, ["run", "--spawn", "--filter", "src/**", "--out", "spawned.out", "--", "src/probe.js", "ids-child.json"]);
    for (const result of [plain, here, child]) expectStatus(result, 3);
    const facts = (result: typeof plain) => JSON.parse(result.stdout) as Record<string, unknown>;
    const expected = { ...facts(plain), argv: [path.join(project, "src/probe.js"), expect.stringMatching(/^ids-/)] };
    expect(facts(here)).toEqual({ ...expected, preloadInherited: true });
    expect(facts(child)).toEqual({ ...expected, preloadInherited: true });
    expect(here.stderr).toBe("");
    // In-process: the program is the jskcov process, whose parent is the test; with --spawn, a child of jskcov.
    const ids = (name: string) => JSON.parse(fs.readFileSync(path.join(project, name), "utf8")) as { pid: number; ppid: number };
    expect(ids("ids-here.json").ppid).toBe(process.pid);
    expect(ids("ids-child.json").ppid).not.toBe(process.pid);
    // Both cover the same blocks.
    expect(readDump(path.join(project, "kcov.out"))).toEqual(readDump(path.join(project, "spawned.out")));
    expect(readDump(path.join(project, "kcov.out")).length).toBeGreaterThan(0);
  });

  test("process.argv0 and process.title are node's as the user typed it, with --spawn too", () => {
    const project = makeProject({ "src/names.js": "console.log(JSON.stringify([process.argv0, process.title]));\n" });
    // As from a shell (or jskcov's bin script through `env node`): argv[0] is "node", not Node's path.
    const asTyped = (args: string[]) =>
      spawnSync(NODE, args, { cwd: project, encoding: "utf8", argv0: "node", env: { ...process.env, NODE_OPTIONS: "" } });
    const plain = asTyped(["src/names.js"]);
    expectStatus(plain, 0);
    expect(JSON.parse(plain.stdout)).toEqual(["node", "node"]);
    for (const options of [[], ["--spawn"]]) {
      const covered = asTyped([JSKCOV, "run", ...options, "--out", "names.out", "--", "node", "src/names.js"]);
      expectStatus(covered, 0);
      expect(covered.stdout).toBe(plain.stdout);
    }
  });

  test("an uncaught exception is reported as node reports it, with status 1, and the coverage is written", () => {
    const project = makeProject({ "src/probe.js": PROBE });
    const plain = node(project, ["src/probe.js", "ids.json", "throw"]);
    const here = jskcov(project, ["run", "--filter", "src/**", "--", "src/probe.js", "ids.json", "throw"]);
    expectStatus(plain, 1);
    expectStatus(here, 1);
    expect(here.stdout).toBe(plain.stdout.replace('"preloadInherited":false', '"preloadInherited":true'));
    // The source line, the caret and the message; the stack below differs in its last frames.
    const report = (stderr: string) => stderr.split("\n").filter((line) => line !== "").slice(0, 4);
    expect(report(here.stderr)).toEqual(report(plain.stderr));
    expect(report(here.stderr)[3]).toBe("Error: boom from the program");
    const blocks = blocksAtTransformTime(project, "src/probe.js");
    expect(readDump(path.join(project, "kcov.out"))).toContain(blockAt(blocks, "if-consequent", 10).pc);
  });

  test("an ES module entry with top-level await and an imported Worker: the worker thread is covered", () => {
    const project = makeProject({ "src/main.mjs": ESM_MAIN, "src/worker.mjs": ESM_WORKER });
    const result = jskcov(project, ["run", "--filter", "src/**", "--", "src/main.mjs"]);
    expectStatus(result, 0);
    expect(result.stdout).toBe("worker said big\n");
    expect(result.stderr).toBe("");
    const blocks = blocksAtTransformTime(project, "src/worker.mjs");
    const ran = new Set(readDump(path.join(project, "kcov.out")));
    expect(ran.has(blockAt(blocks, "if-consequent", 2).pc)).toBe(true);
    expect(ran.has(blockAt(blocks, "if-alternate", 4).pc)).toBe(false);
  });
});
