// Temporary projects for the end-to-end tests of jskcov and the other entry points:
// real files on disk, this package linked in as node_modules/babel-plugin-kcov, the
// repository's own node_modules linked entry by entry (Babel, Jest...), real processes.

import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as babel from "@babel/core";

export const REPO = path.resolve(__dirname, "..");
export const JSKCOV = path.join(REPO, "dist/cli/jskcov.js");

/** The CLI and plugin are tested as built: `npm run build` first. `builtFiles` are further files of dist/ a suite needs. */
export function requireBuild(builtFiles: string[] = []): void {
  const required = [JSKCOV, path.join(REPO, "dist/plugin/index.js"), path.join(REPO, "dist/runtime/index.js"), ...builtFiles.map((file) => path.join(REPO, file))];
  for (const file of required) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run 'npm run build' before these tests`);
  }
}

const projects: string[] = [];

/**
 * The node_modules that holds the @babel/core these tests run with: the repository's, or
 * compat/babel8's in the Babel 8 leg. A project links its entries first, so that the
 * programs and tools it runs (jskcov, @babel/register, Jest) use that Babel too.
 */
const BABEL_NODE_MODULES = path.resolve(require.resolve("@babel/core/package.json"), "../../..");

/** A new project directory holding `files` (path -> text); removed by `removeProjects`. */
export function makeProject(files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-e2e-")));
  projects.push(dir);
  const nodeModules = path.join(dir, "node_modules");
  fs.mkdirSync(nodeModules);
  for (const source of new Set([BABEL_NODE_MODULES, path.join(REPO, "node_modules")])) {
    for (const entry of fs.readdirSync(source)) {
      if (entry.startsWith(".") || fs.existsSync(path.join(nodeModules, entry))) continue;
      fs.symlinkSync(path.join(source, entry), path.join(nodeModules, entry));
    }
  }
  fs.symlinkSync(REPO, path.join(nodeModules, "babel-plugin-kcov"));
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

export function removeProjects(): void {
  for (const dir of projects.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export type Result = SpawnSyncReturns<string>;

/**
 * The Node that runs the programs and tools under test: the one running the tests, or
 * $KCOV_TEST_NODE (the Babel 8 leg runs the end-to-end suites again with Node 22).
 */
export const NODE = process.env.KCOV_TEST_NODE ? path.resolve(process.env.KCOV_TEST_NODE) : process.execPath;

/** Runs node with `args` in `cwd`; never throws for a failing status. */
export function node(cwd: string, args: string[], env: Record<string, string> = {}): Result {
  return spawnSync(NODE, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env, NODE_OPTIONS: "" },
    timeout: 60000,
  });
}

export function jskcov(cwd: string, args: string[], env: Record<string, string> = {}): Result {
  return node(cwd, [JSKCOV, ...args], env);
}

/** The PCs of a kcov dump: word 0 = count, then the PCs, little-endian 64-bit. */
export function readDump(file: string): bigint[] {
  const area = fs.readFileSync(file);
  const count = Number(area.readBigUInt64LE(0));
  expect(area.length).toBe((count + 1) * 8);
  return Array.from({ length: count }, (_, index) => area.readBigUInt64LE((index + 1) * 8));
}

export function hex(pc: bigint): string {
  return `0x${pc.toString(16)}`;
}

/** `runsc symbolize` output as [pc, "file:l.c,l.c"] pairs. */
export function symbolizedPairs(output: string): [string, string][] {
  const lines = output.trimEnd().split("\n");
  expect(lines.length % 2).toBe(0);
  const pairs: [string, string][] = [];
  for (let i = 0; i < lines.length; i += 2) pairs.push([lines[i], lines[i + 1]]);
  return pairs;
}

/** Whether a process with this pid exists (signal 0 checks without sending one). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves when `predicate` holds, checking every 100 ms; rejects after `limitMs`. */
export async function eventually(predicate: () => boolean, limitMs: number, what: string): Promise<void> {
  for (let waited = 0; waited < limitMs; waited += 100) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`still not true after ${limitMs} ms: ${what}`);
}

/** Shows a failed process's output in the assertion message. */
export function expectStatus(result: Result, status: number): void {
  if (result.status !== status) {
    throw new Error(
      `expected status ${status}, got ${result.status} (signal ${result.signal})\n` +
        `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
}

export interface Block {
  kind: string;
  pc: bigint;
  source: string;
  range: { start: { line: number; column: number }; end: { line: number; column: number } };
}

/** The blocks the plugin gives `file` at transform time, as `jskcov run` instruments it (with the project's Babel config if asked). */
export function blocksAtTransformTime(root: string, file: string, projectConfig = false): Block[] {
  const result = babel.transformFileSync(path.join(root, file), {
    cwd: root,
    babelrc: projectConfig,
    configFile: projectConfig ? undefined : false,
    presets: /\.[mc]?ts$/.test(file) ? [require.resolve("@babel/preset-typescript")] : [],
    plugins: [[path.join(REPO, "dist/plugin/index.js"), {}]],
  });
  return (result?.metadata as unknown as { kcov: { blocks: Block[] } }).kcov.blocks;
}

/** The block of `blocks` that starts on `line`, of `kind`. */
export function blockAt(blocks: Block[], kind: string, line: number): Block {
  const found = blocks.find((block) => block.kind === kind && block.range.start.line === line);
  if (found === undefined) throw new Error(`no ${kind} block starts on line ${line}: ${JSON.stringify(blocks.map((b) => [b.kind, b.range.start.line]))}`);
  return found;
}
