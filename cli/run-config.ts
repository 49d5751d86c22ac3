// What `jskcov run` hands to the hooks inside the program it runs: one JSON object in an
// environment variable, read once by the preload (main thread) and passed on to the ESM
// hooks thread through `module.register`'s `data`.

export const RUN_CONFIG_ENV = "JSKCOV_RUN_CONFIG";

export interface RunConfig {
  /** Absolute project root: filters, PCs and block tables are relative to it. */
  root: string;
  /** instrumentationFilter globs, relative to root. */
  filter: string[];
  pcSeed: number;
  /** Per-file seeds (the plugin's pcSeedByFile), by path relative to root. */
  pcSeedByFile: Record<string, number>;
  counterMode: "hit" | "count";
  /** Absolute path of the kcov dump; the block map goes to `${out}.blocks.json`. */
  out: string;
  /** Transform cache directory, or null for no cache. */
  cacheDir: string | null;
  /** Print progress and a summary on stderr. */
  progress: boolean;
  /** Shared by both hooks threads (progress.ts); created by the preload, not serialized. */
  progressCounters: SharedArrayBuffer;
}

/** The part of RunConfig that travels as JSON from the CLI to the preload. */
export type SerializedRunConfig = Omit<RunConfig, "progressCounters">;

export function blockMapPathFor(dumpPath: string): string {
  return `${dumpPath}.blocks.json`;
}

export function readRunConfig(): SerializedRunConfig {
  const text = process.env[RUN_CONFIG_ENV];
  if (text === undefined) {
    throw new Error(`jskcov: ${RUN_CONFIG_ENV} is not set; this file is loaded by 'jskcov run', not directly`);
  }
  return JSON.parse(text) as SerializedRunConfig;
}
