// `jskcov fuzz`: fuzzes a Jazzer.js-style target with the project's files instrumented as
// `jskcov run` instruments them. The jskcov options come first, engine flags (libFuzzer's
// syntax) after `--`; `--engine` picks the engine that gets them (docs/fuzzing.md).

import * as fs from "node:fs";
import * as path from "node:path";
import { DictionaryError, readDictionary } from "../fuzz/engine/dictionary";
import { runBuiltinEngine } from "../fuzz/engine/supervisor";
import { NATIVE_ENGINES, isNativeEngine, runNativeEngine } from "../fuzz/engines/native-engines";
import { ArtifactDirectoryError, prepareArtifactDirectories } from "../fuzz/findings";
import { BUILTIN_ENGINE_FLAGS, FlagError, checkFlagValues, formatFlagHelp, parseFuzzerFlags, rejectDoubleDashFlags, type FuzzerFlags } from "../fuzz/flags";
import { UsageError, parseCommandLine, type OptionSpec } from "./arguments";
import { parseRunArguments } from "./run-command";

export const FUZZ_HELP = `Usage: jskcov fuzz [options] TARGET [CORPUS_DIR | INPUT_FILE]... [-- ENGINE_FLAGS]

Fuzzes TARGET, a module exporting fuzz(data: Buffer) (Jazzer.js's convention; CommonJS,
ES module or TypeScript; sync or async), guided by the kcov coverage of the files the
filter selects, instrumented as 'jskcov run' instruments them. New inputs that reach new
code go to the first CORPUS_DIR (which must exist, as in libFuzzer, unless
-create_missing_dirs=1); the others are read only. Findings
are written as crash-<sha1>, timeout-<sha1>, oom-<sha1>, and the exit status is
libFuzzer's (77 crash, 70 timeout, 71 out-of-memory; 0 when nothing was found).

Regression mode (--regression, -runs=0, or any INPUT_FILE given): every given file, and
every file of every given directory, runs once (-runs=N: N times, as libFuzzer); the
status is non-zero on any finding.

Options:
  --filter GLOB        Instrument files matching GLOB, relative to the root; repeatable,
                       '!GLOB' excludes (default: the project's files, not node_modules)
  --root DIR           Project root for filters and PCs (default: current dir)
  --engine NAME        The fuzzing engine: builtin (default), libfuzzer or afl (README.md)
  --regression         Replay the inputs once each instead of fuzzing
  --counter-mode MODE  count (the built-in engine's default: hit-count buckets are new
                       coverage, as libFuzzer's -use_counters=1) or hit (blocks only;
                       faster; the native engines' default)
  --pc-seed N          The plugin's pcSeed
  --cache-dir DIR      Transform cache (as 'jskcov run')
  --no-cache           Do not read or write the transform cache
  --no-babelrc         Ignore the project's Babel config (as 'jskcov run')
  --no-cmp             Coverage only: no comparison tracing (on by default: comparison
                       operands become tokens and input-to-state replacements; libFuzzer
                       gets them through its compare hooks, afl-fuzz through cmplog, -c 0)
  -h, --help           Show this help

Engine flags (after '--', libFuzzer's -name=value; an unknown flag is warned about and ignored, as by libFuzzer):
${formatFlagHelp()}
Examples:
  jskcov fuzz fuzz/parse.fuzz.js corpus/ -- -max_total_time=60 -dict=fuzz/json.dict
  jskcov fuzz fuzz/parse.fuzz.js corpus/ crash-4a1f... -- -runs=0
`;

const FUZZ_OPTIONS = {
  filter: { type: "string", multiple: true },
  root: { type: "string" },
  engine: { type: "string" },
  regression: { type: "boolean" },
  "counter-mode": { type: "string" },
  "pc-seed": { type: "string" },
  "cache-dir": { type: "string" },
  "no-cache": { type: "boolean" },
  "no-babelrc": { type: "boolean" },
  "no-cmp": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} satisfies OptionSpec;

export const FUZZ_ENGINES = ["builtin", ...NATIVE_ENGINES] as const;

/** An error of our stdout or stderr: EPIPE (the reader has gone) is no failure of ours; anything else is. */
function failQuietlyWithoutReader(error: NodeJS.ErrnoException): void {
  if (error.code !== "EPIPE") throw error;
}

export async function fuzzCommand(args: string[]): Promise<number> {
  // A reader that has gone (`jskcov fuzz ... 2>&1 | head`) is no failure of ours: what is
  // still printed goes nowhere, the session ends and cleans up (the built-in engine's
  // supervisor ends it as an interrupt; a native engine meets the broken pipe itself).
  process.stdout.on("error", failQuietlyWithoutReader);
  process.stderr.on("error", failQuietlyWithoutReader);
  try {
    return await fuzz(args);
  } catch (error) {
    // A bad engine flag is a usage error for every engine (the native ones check theirs late).
    if (error instanceof FlagError) throw new UsageError("fuzz", error.message);
    // libFuzzer's status for a directory findings or new inputs cannot go to: 1, with its message.
    if (!(error instanceof ArtifactDirectoryError || error instanceof CorpusDirectoryError)) throw error;
    process.stderr.write(`jskcov fuzz: ${error.message}\n`);
    return 1;
  }
}

async function fuzz(args: string[]): Promise<number> {
  const separator = args.indexOf("--");
  const ownArgs = separator < 0 ? args : args.slice(0, separator);
  const engineArgs = separator < 0 ? [] : args.slice(separator + 1);
  const misplaced = ownArgs.find((arg) => /^-[A-Za-z_]+=/.test(arg));
  if (misplaced !== undefined) {
    throw new UsageError("fuzz", `engine flags go after '--': jskcov fuzz TARGET [CORPUS...] -- ${misplaced}`);
  }
  const { values, positionals } = parseCommandLine("fuzz", { args: ownArgs, options: FUZZ_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(FUZZ_HELP);
    return 0;
  }
  const engine = values.engine ?? "builtin";
  if (!(FUZZ_ENGINES as readonly string[]).includes(engine)) {
    throw new UsageError("fuzz", `option '--engine' must be one of ${FUZZ_ENGINES.join(", ")}, got '${engine}'`);
  }
  const traceCmp = values["no-cmp"] !== true;
  if (isNativeEngine(engine)) {
    // libFuzzer and afl-fuzz read the engine flags themselves (fuzz/engines/).
    rejectDoubleDashFlags(engineArgs);
    checkFlagValues(engineArgs);
    const [nativeTarget, ...nativeInputs] = positionals;
    if (nativeTarget === undefined) throw new UsageError("fuzz", "missing the TARGET to fuzz");
    if (nativeInputs[0] !== undefined && !fs.existsSync(nativeInputs[0])) prepareOutputCorpus(nativeInputs[0], lastCreateMissingDirs(engineArgs));
    const invocation = { target: path.resolve(nativeTarget), inputs: nativeInputs.map((input) => path.resolve(input)), engineArgs: nativeEngineArgs(engine, engineArgs, values.regression === true, nativeInputs) };
    return runNativeEngine(engine, { ...invocation, runConfig: { ...instrumentationConfig(values, nativeTarget), traceCmp } });
  }
  const flags = parseEngineFlags(engineArgs);
  if (flags.help !== 0) {
    process.stdout.write(FUZZ_HELP);
    return 0;
  }
  const [target, ...inputs] = positionals;
  if (target === undefined) throw new UsageError("fuzz", "missing the TARGET to fuzz");
  // The built-in engine instruments in count mode by default: without hit-count buckets a
  // parser's corpus stops growing early (bench/fuzz/README.md, qs 6.9.0). The native engines
  // read the kcov area only, which has no counts.
  const runConfig = { ...instrumentationConfig(values, target, "count"), traceCmp };
  const regression = values.regression === true || (flags.runs === 0 && inputs.length > 0) || inputs.some(isExistingFile);
  checkInputs(inputs, regression, flags.create_missing_dirs !== 0);
  checkDictionary(flags);
  checkArtifactPaths(flags);
  switch (engine) {
    case "builtin":
      return runBuiltinEngine({ runConfig, target: path.resolve(target), inputs: inputs.map((input) => path.resolve(input)), flags, regression });
    default:
      throw new UsageError("fuzz", `unknown engine '${engine}'`);
  }
}

/**
 * --regression for a native engine (it was ignored, and a CI job fuzzed on forever):
 * libFuzzer replays with -runs=0 (every seed once, then it exits, non-zero on a finding;
 * files given run one by one); afl-fuzz has no mode that replays, so it is an error.
 */
function nativeEngineArgs(engine: string, engineArgs: string[], regression: boolean, inputs: string[]): string[] {
  // afl-fuzz's -E 0 (what -runs=0 became) stops after the seeds' dry run, where a crashing
  // seed aborts afl-fuzz with no finding saved: not libFuzzer's replay.
  if (engine === "afl" && lastFlagValue(engineArgs, "runs") === 0) {
    throw new UsageError("fuzz", `-runs=0 is libFuzzer's regression mode (replay the inputs once each): afl-fuzz has no mode that replays inputs; replay them with the built-in engine (the default) or --engine libfuzzer`);
  }
  if (!regression) return engineArgs;
  if (engine !== "libfuzzer") {
    throw new UsageError("fuzz", `--regression: afl-fuzz has no mode that replays inputs; replay them with the built-in engine (the default) or --engine libfuzzer`);
  }
  if (inputs.length === 0) throw new UsageError("fuzz", "regression mode needs inputs: files or corpus directories to replay");
  return engineArgs.some((arg) => arg.startsWith("-runs=")) ? engineArgs : ["-runs=0", ...engineArgs];
}

function parseEngineFlags(engineArgs: string[]): FuzzerFlags {
  try {
    return parseFuzzerFlags(engineArgs, BUILTIN_ENGINE_FLAGS, "builtin", (message) => process.stderr.write(`${message}\n`));
  } catch (error) {
    if (error instanceof FlagError) throw new UsageError("fuzz", error.message);
    throw error;
  }
}

/** The files to instrument, chosen exactly as `jskcov run` chooses them (its parser decides). */
function instrumentationConfig(values: { filter?: string[]; root?: string; "counter-mode"?: string; "pc-seed"?: string; "cache-dir"?: string; "no-cache"?: boolean; "no-babelrc"?: boolean }, target: string, defaultCounterMode?: "count") {
  const runArgs: string[] = [];
  for (const glob of values.filter ?? []) runArgs.push("--filter", glob);
  if (values.root !== undefined) runArgs.push("--root", values.root);
  const counterMode = values["counter-mode"] ?? defaultCounterMode;
  if (counterMode !== undefined) runArgs.push("--counter-mode", counterMode);
  if (values["pc-seed"] !== undefined) runArgs.push("--pc-seed", values["pc-seed"]);
  if (values["cache-dir"] !== undefined) runArgs.push("--cache-dir", values["cache-dir"]);
  if (values["no-cache"]) runArgs.push("--no-cache");
  if (values["no-babelrc"]) runArgs.push("--no-babelrc");
  runArgs.push("--quiet", "--", target);
  // Node runs a directory as its index.js, but import() of one fails, with a stack of jskcov's.
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    throw new UsageError("fuzz", `the fuzz target '${target}' is a directory: name the module that exports fuzz`);
  }
  try {
    const parsed = parseRunArguments(runArgs);
    if (parsed === "help") throw new Error("unreachable: no --help was passed");
    return parsed.config;
  } catch (error) {
    if (error instanceof UsageError) {
      const message = error.message.replace(/^jskcov run: /, "").replace(/\nTry 'jskcov run --help'\.$/, "").replace("the script", "the fuzz target");
      throw new UsageError("fuzz", message);
    }
    throw error;
  }
}

function isExistingFile(input: string): boolean {
  return fs.existsSync(input) && !fs.statSync(input).isDirectory();
}

function checkInputs(inputs: string[], regression: boolean, createMissingDirs: boolean): void {
  if (regression && inputs.length === 0) throw new UsageError("fuzz", "regression mode needs inputs: files or corpus directories to replay");
  inputs.forEach((input, index) => {
    if (fs.existsSync(input)) return;
    if (!regression && index === 0) {
      prepareOutputCorpus(input, createMissingDirs);
      return;
    }
    throw new UsageError("fuzz", `the input '${input}' does not exist`);
  });
  if (!regression) {
    const file = inputs.find((input) => !fs.statSync(input).isDirectory());
    if (file !== undefined) throw new UsageError("fuzz", `'${file}' is not a directory: corpora are directories`);
  }
}

/** The first corpus directory is missing (and -create_missing_dirs=1 was not given). */
class CorpusDirectoryError extends Error {
  override name = "CorpusDirectoryError";
}

/**
 * The first corpus directory, where new inputs go, must exist, as in libFuzzer
 * (ValidateDirectoryExists on its output corpus; afl-fuzz refuses a missing -i too): a typo
 * would otherwise fuzz into a new, empty directory and never read the real corpus.
 */
function prepareOutputCorpus(dir: string, createMissingDirs: boolean): void {
  if (!createMissingDirs) {
    throw new CorpusDirectoryError(`the required directory "${dir}" does not exist (the first CORPUS_DIR, where new inputs are written; as in libFuzzer, -create_missing_dirs=1 creates it)`);
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new CorpusDirectoryError(`failed to create directory "${dir}": ${(error as Error).message}`);
  }
}

/** -create_missing_dirs for the native engines, which parse their flags themselves: the last one given wins. */
function lastCreateMissingDirs(engineArgs: string[]): boolean {
  const given = lastFlagValue(engineArgs, "create_missing_dirs");
  return given !== undefined && given !== 0;
}

/** The value of the last `-name=N` of the engine flags (the one libFuzzer uses), if any. */
function lastFlagValue(engineArgs: string[], name: string): number | undefined {
  const given = engineArgs.map((arg) => new RegExp(`^-${name}=(-?\\d+)$`).exec(arg)).filter((match) => match !== null);
  return given.length > 0 ? Number(given[given.length - 1][1]) : undefined;
}

/**
 * Findings are written when they happen, perhaps hours in: an exact path that is a
 * directory is refused now (it failed at the first finding, which was then lost), and the
 * directories findings go to must exist, as in libFuzzer (prepareArtifactDirectories).
 */
function checkArtifactPaths(flags: FuzzerFlags): void {
  const exact = flags.exact_artifact_path;
  if (exact !== "" && fs.existsSync(exact) && fs.statSync(exact).isDirectory()) {
    throw new UsageError("fuzz", `engine flag '-exact_artifact_path=${exact}' names a directory: give the file to write the finding to`);
  }
  prepareArtifactDirectories(flags);
}

function checkDictionary(flags: FuzzerFlags): void {
  if (flags.dict === "") return;
  try {
    readDictionary(flags.dict);
  } catch (error) {
    if (error instanceof DictionaryError) throw new UsageError("fuzz", `-dict: ${error.message}`);
    throw error;
  }
}
