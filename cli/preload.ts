// The hooks that instrument a program, loaded before its main module in every Node
// process and worker thread of a `jskcov run`.
//
// How it gets there: `jskcov run` puts `--require <this file>` (and --enable-source-maps)
// in NODE_OPTIONS and the run's configuration (run-config.ts) in JSKCOV_RUN_CONFIG. Both
// are inherited: by fork(), by spawn/exec of node, and by every worker thread (file or
// eval: --require runs in all of them, unlike --import, which Node 20 skips in eval
// workers). A process whose environment lost JSKCOV_RUN_CONFIG runs uninstrumented.
//
// For other tools (`jskcov fuzz`, a test harness): either set JSKCOV_RUN_CONFIG to a
// SerializedRunConfig as JSON and load this file (`node --require` or `--import`), or call
// `startCoverage(config)` from code before the files to instrument are loaded. Without
// `processDir`, the main thread writes `config.out` and its block map at exit; with it,
// every thread writes its own dump there (process-dumps.ts), to merge with merge-dumps.ts.
//
// In each thread it installs the require hook (CommonJS) and registers the import hooks
// (ES modules, on Node's hooks thread: before the main script if that may be an ES
// module, else before the first module that contains `import(`), and writes the
// coverage when the thread exits:
// normally, by process.exit(), by an uncaught exception or an unhandled rejection, or
// (main thread) by a signal that would have killed it.

import type { ChildProcess } from "node:child_process";
import * as diagnosticsChannel from "node:diagnostics_channel";
import * as fs from "node:fs";
import * as path from "node:path";
import * as nodeModule from "node:module";
import { pathToFileURL } from "node:url";
import { isMainThread, threadId } from "node:worker_threads";
import { onExit } from "signal-exit";
import { leaveOutClashingFiles } from "../runtime";
import { seedClearOf } from "./collision-seed";
import { blockMapOf, encodeArea, executedPcs, registeredFiles } from "./coverage-files";
import { hookJest } from "./jest-hooks";
import { writeProcessDump, type StartedChild } from "./process-dumps";
import { blockMapPathFor, readRunConfig, type RunConfig, type SerializedRunConfig } from "./run-config";
import { createProgressCounters } from "./progress";
import { importModule } from "./dynamic-import";
import { needsCompiling, requireHookExtensions } from "./file-kinds";
import { SourceTransformer, mayBeEsModuleEntry } from "./transform";
import { stringifyJson } from "../runtime/own-json";

/** How often the program checks that `jskcov run` is still there (parent-death check). */
const SUPERVISOR_CHECK_MS = 500;

/** Set once per thread, so loading this file twice (execArgv and NODE_OPTIONS) hooks once. */
const STARTED = Symbol.for("babel-plugin-kcov.preload-started");

type CompileFunction = (this: unknown, content: string, filename: string, ...rest: unknown[]) => unknown;
type LoadedModule = { _compile: CompileFunction; exports: unknown };
type ExtensionLoader = (module: LoadedModule, filename: string) => void;

/**
 * The require hook: for each extension, the loader Node would use, with the module's
 * `_compile` given the instrumented code. Everything else `_compile` is called with is
 * passed on: Node >= 20.19 passes the format the loader found (`.cjs` is CommonJS, a `.js`
 * file's package "type"), and without it Node guesses from the syntax, so a `.cjs` file
 * with `export` would run as an ES module instead of failing as it does under node.
 * (pirates, used before, dropped it.)
 */
function installRequireHook(transformer: SourceTransformer, afterLoad: (module: LoadedModule, filename: string) => void): void {
  const extensions = (nodeModule as unknown as { Module: { _extensions: Record<string, ExtensionLoader> } }).Module._extensions;
  const javaScriptLoader = extensions[".js"];
  for (const extension of requireHookExtensions()) {
    const loader = extensions[extension] ?? javaScriptLoader;
    extensions[extension] = function (module, filename) {
      if (transformer.needsTransform(filename)) {
        const compile = module._compile;
        module._compile = function (content, file, ...rest) {
          module._compile = compile;
          return compile.call(this, transformer.transform(filename, content, "commonjs"), file, ...rest);
        };
      }
      loader(module, filename);
      afterLoad(module, filename);
    };
  }
}

function registerImportHooks(config: RunConfig): void {
  nodeModule.register(pathToFileURL(path.join(__dirname, "esm-hooks.js")).href, {
    parentURL: pathToFileURL(__filename).href,
    data: config,
  });
}

/**
 * Whether the import hooks are needed before the main script loads: it may be an ES
 * module, or the code comes from elsewhere (-e, stdin, a worker), or other loaders run.
 */
function importHooksNeededFromStart(): boolean {
  const entry = process.argv[1];
  if (!isMainThread || entry === undefined || entry === "-") return true;
  const flags = `${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`;
  if (ES_MODULE_LOADER_FLAGS.test(flags) || /--input-type\b/.test(flags)) return true;
  return mayBeEsModuleEntry(entry);
}

/**
 * Registering the import hooks starts Node's hooks thread, about half of the preload's
 * start-up cost. A CommonJS program gets them only when it first compiles a module that
 * can import() one: the hooks are then in place before that module runs.
 */
function registerImportHooksWhenNeeded(config: RunConfig): void {
  if (importHooksNeededFromStart()) {
    registerImportHooks(config);
    return;
  }
  const prototype = (nodeModule as unknown as { Module: { prototype: { _compile: CompileFunction } } }).Module.prototype;
  const compile = prototype._compile;
  // Passes on the format Node gives (see installRequireHook).
  prototype._compile = function (content, filename, ...rest) {
    if (content.includes("import(")) {
      prototype._compile = compile;
      registerImportHooks(config);
    }
    return compile.call(this, content, filename, ...rest);
  };
}

/** Node options that make Node load the main script with its ES module loader (and jskcov's hooks see it there). */
const ES_MODULE_LOADER_FLAGS = /--(import|loader|experimental-loader|experimental-default-type)\b/;

/**
 * A TypeScript or JSX main script that is an ES module, in a process Node started without
 * --import (a child the program forks or spawns; `jskcov run` gives its own entry --import):
 * Node 20 loads it with its CommonJS loader, so it ran as CommonJS, where the same file as
 * the run's entry runs as an ES module. It is imported instead, as Node runs an ES module
 * entry: an error at its top level is uncaught from a promise, and a top-level await that
 * never settles exits with status 13, as Node's own entry does.
 */
function runEsModuleEntryAsModule(transformer: SourceTransformer): void {
  const entry = process.argv[1];
  if (!isMainThread || entry === undefined || !needsCompiling(entry)) return;
  if (ES_MODULE_LOADER_FLAGS.test(`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`)) return;
  const file = path.resolve(entry);
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return;
  if (transformer.moduleFormatOf(file, fs.readFileSync(file, "utf8")) !== "module") return;
  const Module = (nodeModule as unknown as { Module: { runMain: (main?: string) => void } }).Module;
  const runMain = Module.runMain;
  Module.runMain = function () {
    Module.runMain = runMain;
    const unsettledTopLevelAwait = () => {
      process.exitCode ??= 13;
    };
    process.on("exit", unsettledTopLevelAwait);
    // Not caught: a rejection is the program's uncaught error, as for Node's own entry.
    void importModule(pathToFileURL(file).href).finally(() => process.off("exit", unsettledTopLevelAwait));
  };
}

function isNodeExecutable(file: string): boolean {
  return file === process.execPath || /^node(js)?(\.exe)?$/.test(path.basename(file));
}

/** The Node child processes and worker threads this thread starts, to check they left a dump. */
function trackStartedChildren(): { nodeChildren: () => StartedChild[]; workers: number[] } {
  const children: ChildProcess[] = [];
  const workers: number[] = [];
  diagnosticsChannel.subscribe("child_process", (message) => children.push((message as { process: ChildProcess }).process));
  process.on("worker", (worker: { threadId: number }) => {
    // Node's own hooks thread (module.register) is a worker too, of class InternalWorker.
    if (worker.constructor.name !== "InternalWorker") workers.push(worker.threadId);
  });
  // Loops, not Array methods: this runs at exit, after the program may have replaced them.
  const nodeChildren = () => {
    const started: StartedChild[] = [];
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child.pid === undefined || !isNodeExecutable(child.spawnfile)) continue;
      let command = "";
      for (let a = 0; a < child.spawnargs.length; a++) command += (a === 0 ? "" : " ") + child.spawnargs[a];
      started[started.length] = { pid: child.pid, command };
    }
    return started;
  };
  return { nodeChildren, workers };
}

/** Writes this thread's coverage; reports problems on stderr (the exit status is the program's). */
function writeCoverage(config: RunConfig, transformer: SourceTransformer, started: ReturnType<typeof trackStartedChildren>): void {
  if (config.dumpAtExit === false) return;
  try {
    // A process that outlives the run (a daemon): jskcov has merged and cleaned up already.
    if (config.processDir && !fs.existsSync(config.processDir)) return;
    if (config.processDir) {
      writeProcessDump(config.processDir, config.root, {
        pid: process.pid,
        ppid: process.ppid,
        threadId,
        argv: process.argv,
        startedAt: performance.timeOrigin,
        transformedFiles: transformer.progress.files(),
        transformedFromCache: transformer.progress.cacheHits(),
        nodeChildren: started.nodeChildren(),
        workers: started.workers,
      });
    } else if (isMainThread) {
      fs.mkdirSync(path.dirname(config.out), { recursive: true });
      fs.writeFileSync(config.out, encodeArea(executedPcs()));
      fs.writeFileSync(blockMapPathFor(config.out), stringifyJson(blockMapOf(registeredFiles(), config.root)) + "\n");
    }
  } catch (error) {
    process.stderr.write(`jskcov: cannot write the coverage of process ${process.pid}: ${(error as Error).message}\n`);
  }
}

/**
 * The program started by `jskcov run` ends when jskcov is gone (killed by SIGKILL, say),
 * instead of running on as an orphan: its parent pid changes when it is re-parented.
 */
function endWithSupervisor(supervisorPid: number, writeNow: () => void): void {
  if (process.ppid !== supervisorPid) return;
  const timer = setInterval(() => {
    if (process.ppid === supervisorPid) return;
    writeNow();
    process.kill(process.pid, "SIGKILL");
  }, SUPERVISOR_CHECK_MS);
  timer.unref();
}

/**
 * Returns what removes the supervisor's temporary directories, which nobody else would,
 * if this process was the supervisor's child and is now an orphan. It runs once the
 * coverage is written, however the process ends (the check above, or a write to the
 * gone supervisor's pipe): the dump would otherwise recreate them. The program's own
 * children inherit the configuration, so only a child of the supervisor may remove them.
 */
function leftoversRemoverOf(config: RunConfig): () => void {
  const leftovers = config.removeWhenOrphaned ?? [];
  if (config.supervisorPid == null || process.ppid !== config.supervisorPid || leftovers.length === 0) return () => {};
  return () => {
    if (process.ppid === config.supervisorPid) return;
    for (const dir of leftovers) fs.rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * A file whose registration clashes (its PC region overlaps an earlier file's) is reported
 * when it loads and left out of coverage, with a seed that moves it clear of every file
 * loaded so far; the program goes on, and the other files are covered as usual.
 */
function reportClashes(config: RunConfig): void {
  leaveOutClashingFiles((error, file) => {
    const [earlier] = error.files;
    // Two builds of one path, or a malformed record, are not solved by moving the file.
    const seed = earlier === file.path ? undefined : seedClearOf(
      file, config.pcSeedByFile[file.path] ?? config.pcSeed, config.pcLayout,
      registeredFiles().filter((other) => other.leftOut === undefined));
    process.stderr.write(
      `jskcov: ${file.path} is left out of coverage (the program runs on; the other files are covered): ${error.message}\n` +
        (seed === undefined ? "" :
          `jskcov: to cover it, run again with --pc-seed-for ${file.path}=${seed} (in a Babel config: pcSeedByFile: ` +
          `{ ${stringifyJson(file.path)}: ${seed} }); that seed places it clear of every file loaded so far.\n`),
    );
  });
}

/**
 * What to do once this thread's coverage is written at exit (`jskcov run` merges the
 * dumps there when the program runs in its own process); it gets the exit status, or the
 * signal the process dies by, and may still set process.exitCode.
 */
export type AfterCoverageWritten = (code: number | null, signal: NodeJS.Signals | null) => void;

/** Instruments the files this thread loads from now on and writes their coverage at exit. */
export function startCoverage(serialized: SerializedRunConfig, afterWritten?: AfterCoverageWritten): void {
  const realm = globalThis as { [STARTED]?: boolean };
  if (realm[STARTED]) return;
  realm[STARTED] = true;
  const config: RunConfig = { ...serialized, progressCounters: createProgressCounters() };
  const transformer = new SourceTransformer(config);
  const started = trackStartedChildren();
  reportClashes(config);
  installRequireHook(transformer, hookJest(transformer, config.processDir));
  registerImportHooksWhenNeeded(config);
  runEsModuleEntryAsModule(transformer);
  const removeLeftoversIfOrphaned = leftoversRemoverOf(config);
  let written = false;
  const writeOnce = (code: number | null = null, signal: NodeJS.Signals | null = null) => {
    if (written) return;
    written = true;
    writeCoverage(config, transformer, started);
    afterWritten?.(code, signal);
    removeLeftoversIfOrphaned();
  };
  if (isMainThread) {
    onExit((code, signal) => writeOnce(code, signal as NodeJS.Signals | null), { alwaysLast: true });
    if (config.supervisorPid != null) endWithSupervisor(config.supervisorPid, writeOnce);
  } else {
    // Worker threads get no signals; "exit" runs when the thread ends or calls process.exit().
    process.on("exit", (code) => writeOnce(code));
  }
}

function startFromEnvironment(): void {
  try {
    const config = readRunConfig();
    if (config !== undefined) startCoverage(config);
  } catch (error) {
    // jskcov must never break the program: it runs uninstrumented, and says why.
    process.stderr.write(`jskcov: warning: process ${process.pid} runs without coverage: ${(error as Error).stack}\n`);
  }
}

startFromEnvironment();
