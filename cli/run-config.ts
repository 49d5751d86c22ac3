// What `jskcov run` hands to the hooks inside the program it runs and inside every Node
// process and worker thread the program starts: one JSON object in an environment
// variable, which child processes inherit with the rest of the environment. The preload
// reads it in each process and thread and passes it on to the ESM hooks thread through
// `module.register`'s `data`.

import type { PcLayoutName } from "../plugin/pc-layout";
import { parseJson } from "../runtime/own-json";

export const RUN_CONFIG_ENV = "JSKCOV_RUN_CONFIG";

export interface RunConfig {
  /** Absolute project root: filters, PCs and block tables are relative to it. */
  root: string;
  /** instrumentationFilter globs, relative to root. */
  filter: string[];
  /** The plugin's pcLayout. */
  pcLayout: PcLayoutName;
  pcSeed: number;
  /** Per-file seeds (the plugin's pcSeedByFile), by path relative to root. */
  pcSeedByFile: Record<string, number>;
  counterMode: "hit" | "count";
  /** The plugin's traceCmp: comparison operands for a KCOV_TRACE_CMP device (`jskcov fuzz`). Default false. */
  traceCmp?: boolean;
  /** Absolute path of the kcov dump; the block map goes to `${out}.blocks.json`. */
  out: string;
  /**
   * Write the dump at exit (default true). `jskcov fuzz`'s native executors set false:
   * their coverage goes to the engine run by run, and they exit at every restart.
   */
  dumpAtExit?: boolean;
  /**
   * Directory for one dump per process and worker thread (process-dumps.ts), which
   * `jskcov run` merges into `out` at the end. Absent or null: the main thread of each
   * process writes `out` itself (for callers of the preload other than `jskcov run`).
   */
  processDir?: string | null;
  /** Use the project's Babel config (babel.config.*, .babelrc*, package.json "babel"). Default true. */
  babelrc?: boolean;
  /** The pid of `jskcov run`: the program it started ends itself when that process is gone. */
  supervisorPid?: number | null;
  /**
   * Temporary directories of the supervisor that the program removes when it ends itself
   * because the supervisor is gone (`jskcov fuzz` killed by SIGKILL cannot remove its own).
   */
  removeWhenOrphaned?: string[];
  /** Transform cache directory, or null for no cache. */
  cacheDir: string | null;
  /** Print progress on stderr. */
  progress: boolean;
  /** Shared by both hooks threads (progress.ts); created by the preload, not serialized. */
  progressCounters: SharedArrayBuffer;
}

/** The part of RunConfig that travels as JSON from the CLI to the preload. */
export type SerializedRunConfig = Omit<RunConfig, "progressCounters">;

export function blockMapPathFor(dumpPath: string): string {
  return `${dumpPath}.blocks.json`;
}

/** The configuration in this process's environment, or undefined when there is none. */
export function readRunConfig(): SerializedRunConfig | undefined {
  const text = process.env[RUN_CONFIG_ENV];
  if (text === undefined || text === "") return undefined;
  return parseJson(text) as SerializedRunConfig;
}
