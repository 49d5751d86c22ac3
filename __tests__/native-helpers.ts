// Runs the real native harnesses on the targets of __tests__/native-targets: a temporary
// work directory per test, the harness built (and cached) by fuzz/engines/native-build,
// and helpers to see that no executor process outlives its harness.

import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildAflDirectAddon, buildHarness, type HarnessKind } from "../fuzz/engines/native-build";
import { NativeSession, type NativeEngineInvocation } from "../fuzz/engines/native-session";
import { isRunning, requireBuild } from "./cli-helpers";

export const REPO = path.resolve(__dirname, "..");
export const TARGETS = path.join(__dirname, "native-targets");

/** afl-fuzz's environment for the tests: no UI, no CPU pinning (CI machines are shared). */
export const AFL_TEST_ENV: NodeJS.ProcessEnv = {
  AFL_NO_UI: "1",
  AFL_NO_AFFINITY: "1",
  AFL_SKIP_CPUFREQ: "1",
  AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: "1",
  AFL_FORKSRV_INIT_TMOUT: "60000",
  // afl-cmin refuses any path under /tmp (its awk cannot make temp files safely there), and a
  // clone of this repository, where the tests' private work dirs live, may well be under /tmp.
  AFL_ALLOW_TMP: "1",
};

export function requireFuzzBuild(): void {
  requireBuild(["dist/fuzz/executor.js", "dist/cli/preload.js"]);
}

const TEST_CACHE = path.join(REPO, "node_modules", ".cache", "babel-plugin-kcov-tests");

export function harness(kind: HarnessKind): string {
  return buildHarness(kind, TEST_CACHE);
}

/** The executor's addon for the direct AFL++ mode (JSKCOV_AFL_DIRECT_ADDON), which `jskcov fuzz --engine afl` sets. */
export function aflDirectAddon(): string {
  return buildAflDirectAddon(TEST_CACHE);
}

export function invocationFor(target: string, engineArgs: string[] = [], inputs: string[] = []): NativeEngineInvocation {
  return {
    target: path.join(TARGETS, target),
    inputs,
    engineArgs,
    runConfig: { root: TARGETS, filter: ["**"], pcLayout: "full64", pcSeed: 0, pcSeedByFile: {}, counterMode: "hit", cacheDir: null, progress: false },
  };
}

export interface HarnessRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** Pids of the executors the harness started (it prints them with JSKCOV_HARNESS_VERBOSE). */
  executorPids: number[];
}

export function executorPidsIn(output: string): number[] {
  return [...output.matchAll(/jskcov-harness: executor (\d+) up/g)].map((match) => Number(match[1]));
}

/**
 * Runs `command args` in `cwd` with the session's environment; `onOutput` sees the output
 * so far and may kill the process (it gets the child).
 */
export function runHarness(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; onOutput?: (output: string, kill: (signal: NodeJS.Signals) => void) => void },
): Promise<HarnessRun> {
  return new Promise((resolve, reject) => {
    const child = killAfterTest(spawn(command, args, { cwd: options.cwd, env: { ...options.env, JSKCOV_HARNESS_VERBOSE: "1" }, stdio: ["ignore", "pipe", "pipe"] }));
    let output = "";
    const take = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      options.onOutput?.(output, (signal) => child.kill(signal));
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, output, executorPids: executorPidsIn(output) }));
  });
}

/** Waits until none of `pids` is alive (the parent-death signal is delivered asynchronously). */
export async function expectAllGone(pids: number[], withinMs = 10000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (pids.some(isRunning) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(pids.filter(isRunning)).toEqual([]);
}

/**
 * This project's entries in /dev/shm (every name it could create there starts with "jskcov"):
 * /dev/shm is shared with every other process on the machine, whose files come and go while
 * a test runs.
 */
export function shmEntries(): string[] {
  return fs.existsSync("/dev/shm") ? fs.readdirSync("/dev/shm").filter((name) => name.startsWith("jskcov")).sort() : [];
}

const running = new Set<ChildProcess>();

/** Has cleanUp kill `child` if a test leaves it running. */
export function killAfterTest<Child extends ChildProcess>(child: Child): Child {
  running.add(child);
  child.on("exit", () => running.delete(child));
  return child;
}
const workDirs: string[] = [];
const sessions: NativeSession[] = [];

/** Work directories live under node_modules/.cache, not /tmp: afl-cmin refuses to run in /tmp. */
const WORK_ROOT = path.join(REPO, "node_modules", ".cache", "jskcov-native-tests");

export function workDir(): string {
  fs.mkdirSync(WORK_ROOT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(WORK_ROOT, "work-"));
  workDirs.push(dir);
  return dir;
}

export function session(): NativeSession {
  const created = new NativeSession();
  sessions.push(created);
  return created;
}

/** Kills what a failed test left running, removes the work directories. */
export function cleanUp(): void {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of workDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  for (const created of sessions.splice(0)) created.close();
}

export function filesIn(dir: string, prefix = ""): string[] {
  return fs.readdirSync(dir).filter((name) => name.startsWith(prefix)).sort();
}
