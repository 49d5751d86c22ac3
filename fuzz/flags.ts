// The engine flags of `jskcov fuzz`, in libFuzzer's syntax (`-name=value`) and with
// libFuzzer's meaning and defaults (compiler-rt/lib/fuzzer/FuzzerFlags.def). One table,
// read by the parser, by `jskcov fuzz --help` and by every engine: an engine says which
// flags it implements, and a flag it does not implement is an error, not a silent no-op.

/** How a flag's value is read. "int" may be negative; "uint" may not. */
export type FlagType = "int" | "uint" | "string";

export interface FlagDefinition {
  readonly type: FlagType;
  /** libFuzzer's default; "" for a string flag means unset. */
  readonly default: number | string;
  readonly help: string;
  /** Whether the built-in engine implements the flag (the native engines pass flags on). */
  readonly builtin: boolean;
  /** Not a libFuzzer flag: an addition of jskcov. */
  readonly jskcovOnly?: true;
  /** The values that make sense, where the type allows more (an exit status; at least one mutation). */
  readonly range?: readonly [min: number, max: number];
}

/** An exit status is 8 bits: 256 would exit 0 and pass CI. */
const EXIT_STATUS = [0, 255] as const;

export const FUZZER_FLAGS = {
  runs: { type: "int", default: -1, builtin: true, help: "Number of inputs to run (-1: no limit). With inputs to replay (regression mode: -runs=0, --regression or input files given), each runs max(1, N) times, as in libFuzzer." },
  max_total_time: { type: "int", default: 0, builtin: true, help: "If positive, stop fuzzing after this many seconds, counted from when the target has loaded (as libFuzzer, from its start, not the process's)." },
  timeout: { type: "int", default: 1200, builtin: true, help: "If positive, an input that runs longer than this many seconds is a timeout finding." },
  seed: { type: "uint", default: 0, builtin: true, help: "Random seed. If 0, a seed is generated (and printed). A given seed makes a run repeatable." },
  max_len: { type: "uint", default: 0, builtin: true, help: "Maximum input length in bytes. If 0: the largest corpus input, at least 4096." },
  dict: { type: "string", default: "", builtin: true, help: "A dictionary file of tokens for mutations (AFL/libFuzzer format: one \"token\" or name=\"token\" per line, \\xNN escapes, # comments)." },
  artifact_prefix: { type: "string", default: "", builtin: true, help: "Write findings as $(artifact_prefix)crash-<sha1>, timeout-<sha1>, oom-<sha1>. A directory prefix needs its trailing '/'." },
  exact_artifact_path: { type: "string", default: "", builtin: true, help: "Write the finding to exactly this path (overrides -artifact_prefix; no sha1 in the name)." },
  create_missing_dirs: { type: "int", default: 0, builtin: true, help: "If 1, create the directories -artifact_prefix and -exact_artifact_path name; if 0 (libFuzzer's default), a missing one is an error before fuzzing." },
  print_final_stats: { type: "int", default: 0, builtin: true, help: "If 1, print libFuzzer's stat:: lines at exit." },
  error_exitcode: { type: "int", default: 77, builtin: true, range: EXIT_STATUS, help: "Exit status for a crash (uncaught exception or rejection, process death, target exited); 0 to 255." },
  timeout_exitcode: { type: "int", default: 70, builtin: true, range: EXIT_STATUS, help: "Exit status for a timeout; 0 to 255." },
  rss_limit_mb: { type: "int", default: 2048, builtin: true, help: "If positive, the target process using more memory than this (RSS, or the V8 heap) is an out-of-memory finding." },
  mutate_depth: { type: "int", default: 5, builtin: true, range: [1, Number.MAX_SAFE_INTEGER], help: "Apply 1 to this many stacked mutations to each input; at least 1." },
  cross_over: { type: "int", default: 1, builtin: true, help: "If 1, splice corpus inputs together (the CrossOver mutator)." },
  only_ascii: { type: "int", default: 0, builtin: true, help: "If 1, generate only printable ASCII and whitespace inputs." },
  use_counters: { type: "int", default: 1, builtin: true, help: "If 1 and the files are instrumented with --counter-mode count, a new hit-count bucket of a block is new coverage." },
  reduce_inputs: { type: "int", default: 1, builtin: true, help: "If 1, replace a corpus input by a smaller one that reaches the same blocks." },
  shuffle: { type: "int", default: 1, builtin: true, help: "If 1, shuffle the seed corpus before running it." },
  prefer_small: { type: "int", default: 1, builtin: true, help: "If 1, run the seed corpus smallest first." },
  ignore_timeouts: { type: "int", default: 0, builtin: true, help: "If 1, save a timeout, restart the target process and go on fuzzing (libFuzzer: fork mode only). The exit status is still the first finding's." },
  ignore_ooms: { type: "int", default: 0, builtin: true, help: "If 1, save an out-of-memory input and go on fuzzing, as -ignore_timeouts." },
  ignore_crashes: { type: "int", default: 0, builtin: true, help: "If 1, save a crash and go on fuzzing; later crashes with the same top stack frames are not saved again." },
  verbosity: { type: "int", default: 1, builtin: true, help: "0: findings and the summary only; 1: libFuzzer's status lines; 2: also each input written." },
  help: { type: "int", default: 0, builtin: true, help: "If 1, print this help." },
  use_feedback: { type: "int", default: 1, builtin: true, jskcovOnly: true, help: "If 0, ignore coverage: blind mutation of the seed corpus (for benchmarks and tests of the guidance)." },
  len_control: { type: "int", default: 100, builtin: false, help: "libFuzzer: grow the length limit slowly (the built-in engine mutates up to -max_len at once)." },
  use_value_profile: { type: "int", default: 0, builtin: false, help: "libFuzzer: use value profile to guide fuzzing." },
  close_fd_mask: { type: "int", default: 0, builtin: false, help: "libFuzzer: 1 closes stdout, 2 stderr, 3 both." },
  fork: { type: "int", default: 0, builtin: false, help: "libFuzzer: fuzz in this many subprocesses." },
  jobs: { type: "uint", default: 0, builtin: false, help: "libFuzzer: number of fuzzing jobs." },
  workers: { type: "uint", default: 0, builtin: false, help: "libFuzzer: number of simultaneous worker processes." },
  merge: { type: "int", default: 0, builtin: false, help: "libFuzzer: merge the 2nd, 3rd... corpora into the 1st." },
  minimize_crash: { type: "int", default: 0, builtin: false, help: "libFuzzer: minimize the given crash input." },
} as const satisfies Record<string, FlagDefinition>;

export type FlagName = keyof typeof FUZZER_FLAGS;

/** Every flag's value after parsing: the given value, or libFuzzer's default. */
export type FuzzerFlags = {
  -readonly [Name in FlagName]: (typeof FUZZER_FLAGS)[Name]["type"] extends "string" ? string : number;
};

/** The flags an engine implements. */
export type EngineFlagSupport = (definition: FlagDefinition, name: FlagName) => boolean;

export const BUILTIN_ENGINE_FLAGS: EngineFlagSupport = (definition) => definition.builtin;

/** A bad engine flag; the CLI prints the message and exits with status 2. */
export class FlagError extends Error {
  override name = "FlagError";
}

export function defaultFlags(): FuzzerFlags {
  const flags: Record<string, number | string> = {};
  for (const [name, definition] of Object.entries(FUZZER_FLAGS)) flags[name] = definition.default;
  return flags as FuzzerFlags;
}

/** Whether `name` is a flag of the table. */
export function isFlagName(name: string): name is FlagName {
  return Object.prototype.hasOwnProperty.call(FUZZER_FLAGS, name);
}

/**
 * libFuzzer ignores every argument that starts with `--` ("INFO: libFuzzer ignores flags
 * that start with '--'"), so `--runs=5` would run without a limit there: an error for
 * every engine, naming the one-dash flag that was meant.
 */
export function rejectDoubleDashFlags(args: readonly string[]): void {
  const doubled = args.find((arg) => /^--[A-Za-z_][A-Za-z0-9_]*=/.test(arg));
  if (doubled === undefined) return;
  throw new FlagError(`engine flag '${doubled}' has two dashes: libFuzzer's flags take one, and libFuzzer ignores flags that start with '--'; did you mean '${doubled.slice(1)}'?`);
}

/**
 * libFuzzer's warning for a flag it does not know, which it then ignores (FuzzerFlags.cpp:
 * "WARNING: unrecognized flag '...'; use -help=1 to list all flags"), with the flag a typo
 * most likely meant. Every engine says it, so a flag from a libFuzzer command line (or a
 * typo) is never dropped in silence, and never stops a run that libFuzzer would run.
 */
export function unrecognizedFlagWarning(arg: string, name: string): string {
  const hint = closestFlag(name);
  return `WARNING: unrecognized flag '${arg}'; 'jskcov fuzz --help' lists the flags${hint === undefined ? "" : ` (did you mean -${hint}?)`}`;
}

/**
 * Parses `-name=value` arguments (libFuzzer accepts nothing else). Throws FlagError
 * naming the argument for: a malformed argument, `--name=value` (rejectDoubleDashFlags),
 * a value of the wrong type, or a flag of the table the engine does not implement. A flag
 * not in the table is ignored with libFuzzer's warning, given to `warn`, as libFuzzer does.
 * `engineName` is for the messages.
 */
export function parseFuzzerFlags(args: readonly string[], supports: EngineFlagSupport, engineName: string, warn: (message: string) => void): FuzzerFlags {
  rejectDoubleDashFlags(args);
  const flags = defaultFlags() as Record<string, number | string>;
  for (const arg of args) {
    const match = /^-([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(arg);
    if (match === null) {
      throw new FlagError(`engine flag '${arg}' is not of the form -name=value (libFuzzer's syntax)`);
    }
    const [, name, value] = match;
    if (!isFlagName(name)) {
      warn(unrecognizedFlagWarning(arg, name));
      continue;
    }
    const definition: FlagDefinition = FUZZER_FLAGS[name];
    if (!supports(definition, name)) {
      throw new FlagError(`engine flag '-${name}' is libFuzzer's, but the ${engineName} engine does not implement it`);
    }
    flags[name] = parseValue(name, definition, value);
  }
  return flags as FuzzerFlags;
}

/**
 * For the engines that read their flags themselves: a flag of the table whose value is not
 * of its type is an error, as it is for the built-in engine (libFuzzer reads `-runs=abc` as
 * 0 and `-max_len=-1` as a huge length, without a word). Other flags pass as they are.
 */
export function checkFlagValues(args: readonly string[]): void {
  for (const arg of args) {
    const match = /^-([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(arg);
    if (match !== null && isFlagName(match[1])) parseValue(match[1], FUZZER_FLAGS[match[1]], match[2]);
  }
}

function parseValue(name: string, definition: FlagDefinition, value: string): number | string {
  if (definition.type === "string") {
    if (value === "") throw new FlagError(`engine flag '-${name}=' needs a value`);
    return value;
  }
  const pattern = definition.type === "uint" ? /^\d+$/ : /^-?\d+$/;
  const number = pattern.test(value) ? Number(value) : NaN;
  const max = definition.type === "uint" ? 0xffffffff : Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(number) || number > max) {
    const kind = definition.type === "uint" ? "a whole number from 0 to 4294967295" : "an integer";
    throw new FlagError(`engine flag '-${name}=${value}': -${name} takes ${kind}`);
  }
  const range = definition.range;
  if (range !== undefined && (number < range[0] || number > range[1])) {
    const allowed = range[1] === Number.MAX_SAFE_INTEGER ? `at least ${range[0]}` : `from ${range[0]} to ${range[1]}`;
    throw new FlagError(`engine flag '-${name}=${value}': -${name} must be ${allowed}`);
  }
  return number;
}

/** The flag a typo most likely meant: the smallest edit distance, if it is small. */
function closestFlag(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of Object.keys(FUZZER_FLAGS)) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The flag table as help text, one flag per entry, for `jskcov fuzz --help`. */
export function formatFlagHelp(supports: EngineFlagSupport = BUILTIN_ENGINE_FLAGS): string {
  const lines: string[] = [];
  const entries = Object.entries(FUZZER_FLAGS) as [FlagName, FlagDefinition][];
  for (const [name, definition] of entries) {
    if (!supports(definition, name)) continue;
    const shown = definition.type === "string" ? (definition.default === "" ? "" : String(definition.default)) : String(definition.default);
    const head = `  -${name}=${shown}`;
    const tag = definition.jskcovOnly ? " (jskcov)" : "";
    lines.push(`${head.padEnd(26)} ${definition.help}${tag}`);
  }
  return lines.join("\n") + "\n";
}

/** Flag names of the table that the given engine does not implement (for the docs). */
export function unsupportedFlags(supports: EngineFlagSupport): FlagName[] {
  return (Object.entries(FUZZER_FLAGS) as [FlagName, FlagDefinition][])
    .filter(([name, definition]) => !supports(definition, name))
    .map(([name]) => name);
}
