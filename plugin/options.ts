import picomatch from "picomatch";
import { DEFAULT_PC_LAYOUT, PC_LAYOUT_NAMES, type PcLayoutName } from "./pc-layout";
import { stringifyJson } from "../runtime/own-json";

/** Options as a user writes them in a Babel config. */
export interface KcovPluginOptions {
  /** Globs relative to `root`; `!` excludes. Default: every file outside node_modules. */
  instrumentationFilter?: string | string[];
  /** Project root that paths (filter, PCs, block tables) are relative to. Default: Babel's `cwd`. */
  root?: string;
  /** The PC space: "full64" (default, full 64-bit PCs) or "kernel32" (syzkaller's kernel range, 32-bit identity). */
  pcLayout?: PcLayoutName;
  /** Salt for file regions; change it to move files whose PC regions collide. Default 0. */
  pcSeed?: number;
  /** Per-file salts (relative path to seed) that override pcSeed: moves one file, leaves the others. */
  pcSeedByFile?: Record<string, number>;
  /** "hit" (default): a Uint8Array set to 1. "count": a Float64Array incremented, exact to 2^53. */
  counterMode?: "hit" | "count";
  /** Let a join point share the counter of its list's first block when it runs exactly when that block runs. Default true. */
  pruneCounters?: boolean;
  /** Report the operands of comparisons to a KCOV_TRACE_CMP device (docs/compare-area.md). Default false. */
  traceCmp?: boolean;
}

export interface ResolvedOptions {
  filter: readonly string[];
  matchesFilter: (relativePath: string) => boolean;
  root: string | undefined;
  pcLayout: PcLayoutName;
  pcSeed: number;
  pcSeedByFile: ReadonlyMap<string, number>;
  counterMode: "hit" | "count";
  pruneCounters: boolean;
  traceCmp: boolean;
}

export const DEFAULT_FILTER = ["**", "!**/node_modules/**"];

const KNOWN_OPTIONS = ["instrumentationFilter", "root", "pcLayout", "pcSeed", "pcSeedByFile", "counterMode", "pruneCounters", "traceCmp"];

/** Thrown for a bad plugin option; the message names the option and the value. */
export class KcovOptionError extends Error {
  override name = "KcovOptionError";
}

function fail(message: string): never {
  throw new KcovOptionError(`babel-plugin-kcov: ${message}`);
}

export function resolveOptions(raw: unknown): ResolvedOptions {
  const options = (raw ?? {}) as Record<string, unknown>;
  if (typeof options !== "object" || Array.isArray(options)) {
    fail(`options must be an object, got ${stringifyJson(raw)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(key)) {
      fail(`unknown option "${key}". Known options: ${KNOWN_OPTIONS.join(", ")}.`);
    }
  }

  const filter = resolveFilter(options.instrumentationFilter);

  const root = options.root;
  if (root !== undefined && (typeof root !== "string" || root === "")) {
    fail(`option "root" must be a non-empty path string, got ${stringifyJson(root)}`);
  }

  const pcLayout = options.pcLayout ?? DEFAULT_PC_LAYOUT;
  if (!PC_LAYOUT_NAMES.includes(pcLayout as PcLayoutName)) {
    fail(`option "pcLayout" must be ${PC_LAYOUT_NAMES.map((name) => stringifyJson(name)).join(" or ")}, got ${stringifyJson(options.pcLayout)}`);
  }

  const pcSeed = checkSeed("pcSeed", options.pcSeed ?? 0);
  const seedsByFile = options.pcSeedByFile ?? {};
  if (typeof seedsByFile !== "object" || seedsByFile === null || Array.isArray(seedsByFile)) {
    fail(`option "pcSeedByFile" must be an object from relative file paths to seeds, got ${stringifyJson(seedsByFile)}`);
  }
  const pcSeedByFile = new Map(Object.entries(seedsByFile as Record<string, unknown>)
    .map(([file, seed]) => [file, checkSeed(`pcSeedByFile[${stringifyJson(file)}]`, seed)]));

  const counterMode = options.counterMode ?? "hit";
  if (counterMode !== "hit" && counterMode !== "count") {
    fail(`option "counterMode" must be "hit" or "count", got ${stringifyJson(options.counterMode)}`);
  }

  const pruneCounters = options.pruneCounters ?? true;
  if (typeof pruneCounters !== "boolean") {
    fail(`option "pruneCounters" must be true or false, got ${stringifyJson(options.pruneCounters)}`);
  }

  const traceCmp = options.traceCmp ?? false;
  if (typeof traceCmp !== "boolean") {
    fail(`option "traceCmp" must be true or false, got ${stringifyJson(options.traceCmp)}`);
  }

  return { filter, matchesFilter: compileFilter(filter), root, pcLayout: pcLayout as PcLayoutName, pcSeed, pcSeedByFile, counterMode, pruneCounters, traceCmp };
}

function checkSeed(name: string, seed: unknown): number {
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    fail(`option "${name}" must be an integer from 0 to 4294967295, got ${stringifyJson(seed)}`);
  }
  return seed;
}

function resolveFilter(value: unknown): string[] {
  if (value === undefined) return DEFAULT_FILTER;
  const globs = typeof value === "string" ? [value] : value;
  if (!Array.isArray(globs) || globs.length === 0) {
    fail(`option "instrumentationFilter" must be a glob string or a non-empty array of globs, got ${stringifyJson(value)}`);
  }
  globs.forEach((glob, index) => {
    const where = typeof value === "string" ? "" : `[${index}]`;
    if (typeof glob !== "string" || glob === "" || glob === "!") {
      fail(`option "instrumentationFilter${where}" must be a non-empty glob string, got ${stringifyJson(glob)}`);
    }
    try {
      picomatch(glob, { strictBrackets: true });
    } catch (error) {
      fail(`option "instrumentationFilter${where}" is not a valid glob (${stringifyJson(glob)}): ${(error as Error).message}`);
    }
  });
  return globs as string[];
}

/** A file takes part when it matches some positive glob (or there are none) and no `!` glob. */
function compileFilter(globs: readonly string[]): (relativePath: string) => boolean {
  const positive = globs.filter((glob) => !glob.startsWith("!"));
  const negative = globs.filter((glob) => glob.startsWith("!")).map((glob) => glob.slice(1));
  const matchOptions = { dot: true };
  const included = positive.length > 0 ? picomatch(positive, matchOptions) : () => true;
  const excluded = negative.length > 0 ? picomatch(negative, matchOptions) : () => false;
  return (relativePath) => included(relativePath) && !excluded(relativePath);
}
