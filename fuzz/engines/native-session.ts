// What the two native engines share: the executor's command line and environment for
// the harness (docs/executor-protocol.md), and a session directory (AFL++'s seed
// directory when the user gives none), removed when the session ends.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { PACKAGE_ROOT } from "./native-build";
import { RUN_CONFIG_ENV, type SerializedRunConfig } from "../../cli/run-config";

/** The built files the executor runs (also when this module itself runs from source, in tests). */
const DIST = path.join(PACKAGE_ROOT, "dist");

/** How a native engine is invoked; `jskcov fuzz` fills it from its command line. */
export interface NativeEngineInvocation {
  /** The fuzz target module (resolved against the current directory). */
  target: string;
  /** Corpus directories and input files, in the order given. */
  inputs: string[];
  /** Everything after `--`: the engine's own flags, passed on (translated for AFL++). */
  engineArgs: string[];
  /** Instrumentation settings, as for `jskcov run` (`out` is set by the session). */
  runConfig: Omit<SerializedRunConfig, "out">;
}

/** Executor tuning (docs/executor-protocol.md), from the environment when set. */
export interface ExecutorLimits {
  maxRuns?: number;
  maxRssMb?: number;
}

/** The executor's command line: node with `jskcov run`'s preload, then executor.js and the target. */
export function executorArgv(target: string): string[] {
  const preload = pathToFileURL(path.join(DIST, "cli", "preload.js")).href;
  const argv = [process.execPath, "--enable-source-maps", "--import", preload, path.join(DIST, "fuzz", "executor.js"), path.resolve(target)];
  const withNewline = argv.find((arg) => arg.includes("\n"));
  if (withNewline !== undefined) throw new Error(`a path with a newline cannot be passed to the harness: ${JSON.stringify(withNewline)}`);
  return argv;
}

export class NativeSession {
  readonly directory = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-native-"));

  /** The harness's environment: the caller's, plus the executor's command and the preload's config. */
  environment(invocation: NativeEngineInvocation, limits: ExecutorLimits = {}, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return NativeSession.environmentFor(invocation, limits, extra);
  }

  /** The same, for a harness started later (a printed afl-fuzz command): it needs no directory. */
  static environmentFor(invocation: NativeEngineInvocation, limits: ExecutorLimits = {}, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    if (!fs.existsSync(invocation.target)) throw new Error(`the fuzz target '${invocation.target}' does not exist`);
    // The executors' coverage goes to the engine run by run: the preload writes no dump when
    // one exits (at every restart); `out` is never written.
    const runConfig: SerializedRunConfig = { ...invocation.runConfig, out: path.join(os.tmpdir(), "jskcov-executor.out"), dumpAtExit: false, progress: false };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      JSKCOV_EXECUTOR_ARGV: executorArgv(invocation.target).join("\n"),
      [RUN_CONFIG_ENV]: JSON.stringify(runConfig),
      // The libFuzzer harness passes comparison records on (native/compare-bridge.c).
      JSKCOV_TRACE_CMP: runConfig.traceCmp === true ? "1" : "0",
      ...extra,
    };
    if (limits.maxRuns !== undefined) env.JSKCOV_EXECUTOR_MAX_RUNS = String(limits.maxRuns);
    if (limits.maxRssMb !== undefined) env.JSKCOV_EXECUTOR_MAX_RSS_MB = String(limits.maxRssMb);
    return env;
  }

  close(): void {
    fs.rmSync(this.directory, { recursive: true, force: true });
  }
}

/**
 * Runs the engine's process with inherited stdio and resolves with its exit status (128 +
 * signal number if it died by a signal). Ctrl-C reaches the engine through the terminal's
 * process group; this process waits for it to finish.
 */
export function runEngineProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const ignore = () => {};
  process.on("SIGINT", ignore);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", env });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGTERM", forward);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", ignore);
      process.off("SIGTERM", forward);
      resolve(signal !== null ? 128 + (os.constants.signals[signal] ?? 0) : (code ?? 1));
    });
  });
}
