// jskcov run when things go wrong: a dump that cannot be written (found before the
// program starts), paths under /proc, jskcov itself killed, signals sent to jskcov alone,
// and a run in which no file was instrumented.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { JSKCOV, eventually, expectStatus, isRunning, jskcov, makeProject, readDump, removeProjects, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

const WAITER = [
  'const fs = require("node:fs");',
  'fs.writeFileSync(__dirname + "/started", String(process.pid));',
  'process.on("SIGINT", () => { console.log("program got SIGINT"); process.exit(42); });',
  'console.log("ready", process.pid);',
  "setInterval(() => {}, 1000);",
  "",
].join("\n");

describe("jskcov run faults", () => {
  let project: string;
  beforeEach(() => {
    project = makeProject({ "src/main.js": WAITER, "a-file": "not a directory\n" });
  });

  test("an --out that cannot be written is an error before the program starts", () => {
    const result = jskcov(project, ["run", "--out", "a-file/kcov.out", "--", "src/main.js"]);
    expectStatus(result, 2);
    expect(result.stderr).toContain(`option '--out': cannot write the dump '${path.join(project, "a-file/kcov.out")}'`);
    expect(fs.existsSync(path.join(project, "src/started"))).toBe(false);
    const directory = jskcov(project, ["run", "--out", "src", "--", "src/main.js"]);
    expectStatus(directory, 2);
    expect(directory.stderr).toContain("it is a directory");
  });

  test("an --out that is a FIFO or a device (/dev/null) is an error: the block map would be written beside it", () => {
    spawnSync("mkfifo", [path.join(project, "pipe.out")]);
    const result = jskcov(project, ["run", "--out", "pipe.out", "--", "src/main.js"]);
    expectStatus(result, 2);
    expect(result.stderr).toContain(`option '--out': cannot write the dump '${path.join(project, "pipe.out")}': it is not a regular file`);
    expect(fs.existsSync(path.join(project, "src/started"))).toBe(false);
  });

  test.each([
    [["--out", "/proc/self/kcov.out"], "option '--out' names '/proc/self/kcov.out', under /proc"],
    [["--cache-dir", "/proc/jskcov-cache"], "option '--cache-dir' names '/proc/jskcov-cache', under /proc"],
    [["--out", "/sys/kernel/kcov.out"], "option '--out' names '/sys/kernel/kcov.out', under /sys"],
  ])("%j is an error, not a hang", (options, message) => {
    const result = jskcov(project, ["run", ...options, "--", "src/main.js"]);
    expectStatus(result, 2);
    expect(result.stderr).toContain(message);
    expect(fs.existsSync(path.join(project, "src/started"))).toBe(false);
  });

  test("when jskcov is killed by SIGKILL, the program in its child process ends too", async () => {
    const cli = spawn(process.execPath, [JSKCOV, "run", "--spawn", "--", "src/main.js"], { cwd: project, stdio: ["ignore", "pipe", "inherit"] });
    const programPid = await new Promise<number>((resolve) => cli.stdout.once("data", (data: Buffer) => resolve(Number(/ready (\d+)/.exec(String(data))?.[1]))));
    expect(programPid).not.toBe(cli.pid);
    expect(isRunning(programPid)).toBe(true);
    cli.kill("SIGKILL");
    await eventually(() => !isRunning(programPid), 10000, `program ${programPid} still runs after jskcov was killed`);
  });

  test("the processes' directory a SIGKILLed jskcov left is removed by the next run, a running one's is not", async () => {
    const cli = spawn(process.execPath, [JSKCOV, "run", "--", "src/main.js"], { cwd: project, stdio: ["ignore", "pipe", "inherit"] });
    await new Promise((resolve) => cli.stdout.once("data", resolve));
    cli.kill("SIGKILL");
    await new Promise((resolve) => cli.on("exit", resolve));
    const processDirs = () => fs.readdirSync(project).filter((name) => name.startsWith(".kcov.out.processes-")).sort();
    const left = processDirs();
    expect(left).toEqual([expect.stringMatching(new RegExp(`^\\.kcov\\.out\\.processes-${cli.pid}-\\w{6}$`))]);
    const running = `.kcov.out.processes-${process.pid}-abc123`;
    fs.mkdirSync(path.join(project, running));
    fs.writeFileSync(path.join(project, "src/quick.js"), "console.log('quick');\n");
    const next = jskcov(project, ["run", "--", "src/quick.js"]);
    expectStatus(next, 0);
    expect(processDirs()).toEqual([running]);
  });

  test.each([[[]], [["--spawn"]]])("SIGINT sent to jskcov %j alone reaches the program once, and jskcov exits with the program's status", async (options: string[]) => {
    // Its own process group: never the terminal's foreground group, even when the tests run in one.
    const cli = spawn(process.execPath, [JSKCOV, "run", ...options, "--filter", "src/**", "--", "src/main.js"], { cwd: project, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    cli.stdout.on("data", (data: Buffer) => {
      if (stdout === "") setImmediate(() => cli.kill("SIGINT"));
      stdout += String(data);
    });
    const [status, signal] = await new Promise<[number | null, string | null]>((resolve) => cli.on("exit", (code, name) => resolve([code, name])));
    expect([status, signal]).toEqual([42, null]);
    expect(stdout.match(/program got SIGINT/g)).toEqual(["program got SIGINT"]);
    expect(readDump(path.join(project, "kcov.out")).length).toBeGreaterThan(0);
  });

  test.each([[[]], [["--spawn"]]])("a program killed by a signal: jskcov %j ends by the same signal", async (options: string[]) => {
    const cli = spawn(process.execPath, [JSKCOV, "run", ...options, "--", "src/main.js"], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
    const programPid = await new Promise<number>((resolve) => cli.stdout.once("data", (data: Buffer) => resolve(Number(/ready (\d+)/.exec(String(data))?.[1]))));
    process.kill(programPid, "SIGKILL");
    const [status, signal] = await new Promise<[number | null, string | null]>((resolve) => cli.on("exit", (code, name) => resolve([code, name])));
    expect([status, signal]).toEqual([null, "SIGKILL"]);
  });

  test("a run that instruments nothing warns, naming the filter and the root", () => {
    fs.writeFileSync(path.join(project, "src/quick.js"), "console.log('quick');\n");
    const result = jskcov(project, ["run", "--filter", "lib/**", "--", "src/quick.js"]);
    expectStatus(result, 0);
    expect(result.stdout).toBe("quick\n");
    expect(result.stderr).toContain(`jskcov: warning: no instrumented file was loaded (filter 'lib/**', root ${project}); the dump is empty`);
    expect(readDump(path.join(project, "kcov.out"))).toEqual([]);
  });
});
