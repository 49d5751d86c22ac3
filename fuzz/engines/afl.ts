// `jskcov fuzz --engine afl`: the real afl-fuzz runs native/harness.c as its target, which
// speaks the forkserver protocol and runs every input in the persistent executor. The
// shared libFuzzer-style flags are translated to afl-fuzz options; any other engine
// argument (-M main, -S s1, -o DIR, -p explore, ...) goes to afl-fuzz as given. After
// afl-fuzz ends, its crashes and hangs are also saved as crash-<sha1> / timeout-<sha1>
// (under -artifact_prefix), the built-in engine's artifacts.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { FUZZER_FLAGS, FlagError, isFlagName, unrecognizedFlagWarning, type FlagDefinition } from "../flags";
import { prepareArtifactDirectories, writeArtifact } from "../findings";
import { buildAflDirectAddon, buildHarness, findAflFuzz } from "./native-build";
import { NativeSession, executorArgv, runEngineProcess, type NativeEngineInvocation } from "./native-session";

/** afl-fuzz's output directory when the engine arguments name none. */
export const DEFAULT_AFL_OUTPUT = "afl-out";
/** Without -timeout: generous, since a JavaScript run can include a GC pause or a restart. */
const DEFAULT_TIMEOUT_MS = 5000;
/** libFuzzer's bounds on the -max_len it guesses (kMinDefaultLen, kMaxSaneLen), as the built-in engine's. */
const MIN_DEFAULT_MAX_LEN = 4096;
const MAX_SANE_LEN = 1 << 20;

/** libFuzzer-style flag -> afl-fuzz option (value converted). */
const FLAG_TRANSLATIONS: Record<string, (value: string) => string[]> = {
  timeout: (seconds) => {
    // libFuzzer's -timeout=0 is "no timeout"; afl-fuzz has none (its -t must be at least 5 ms).
    if (Number(seconds) <= 0) throw new FlagError(`engine flag '-timeout=${seconds}': afl-fuzz cannot run without a timeout (its -t must be at least 5 ms); give -timeout=N seconds`);
    return ["-t", String(Number(seconds) * 1000)];
  },
  // libFuzzer's -max_total_time counts only when positive; afl-fuzz's -V 0 or -V -3 is not "no limit".
  max_total_time: (seconds) => (Number(seconds) > 0 ? ["-V", seconds] : []),
  runs: (runs) => (Number(runs) < 0 ? [] : ["-E", runs]),
  // libFuzzer's -seed=0 picks a seed; afl-fuzz's -s 0 would fix it to 0.
  seed: (seed) => (Number(seed) === 0 ? [] : ["-s", seed]),
  dict: (file) => ["-x", file],
  max_len: (length) => (Number(length) > 0 ? ["-G", length] : []),
};
/** Flags this engine handles itself instead of passing them to afl-fuzz. */
const ENGINE_FLAGS = new Set(["use_feedback", "artifact_prefix", "create_missing_dirs", "print_command"]);

export interface AflCommand {
  args: string[];
  /** Added to the harness's environment (afl-fuzz passes its environment on). */
  env: NodeJS.ProcessEnv;
  outputDir: string;
  artifactPrefix: string;
  /** -create_missing_dirs=1: create the -artifact_prefix directory (libFuzzer's flag). */
  createMissingDirs: boolean;
  /** -print_command=1: print the environment and afl-fuzz's command line instead of running it. */
  printOnly: boolean;
}

/** afl-fuzz's command line for an invocation (without the harness path, appended by the caller). */
export function aflCommand(invocation: NativeEngineInvocation, seedDir: string, warn: (message: string) => void = () => {}): AflCommand {
  const passed: string[] = [];
  const env: NodeJS.ProcessEnv = {};
  let timeoutGiven = false;
  let artifactPrefix = "";
  let createMissingDirs = false;
  let printOnly = false;
  for (const arg of invocation.engineArgs) {
    const flag = /^--?([a-z_]+)=(.*)$/s.exec(arg);
    if (flag === null) {
      passed.push(arg);
      continue;
    }
    const [, name, value] = flag;
    if (name === "use_feedback") {
      env.JSKCOV_FEEDBACK = value === "0" ? "0" : "1";
    } else if (name === "artifact_prefix") {
      artifactPrefix = value;
    } else if (name === "create_missing_dirs") {
      createMissingDirs = value !== "0";
    } else if (name === "print_command") {
      printOnly = value !== "0";
    } else if (FLAG_TRANSLATIONS[name] !== undefined) {
      // The flag table's type: -seed and -max_len are unsigned, as in libFuzzer and the built-in engine.
      const type = (FUZZER_FLAGS as Record<string, FlagDefinition>)[name].type;
      if (type !== "string" && !(type === "uint" ? /^\d+$/ : /^-?\d+$/).test(value)) {
        throw new FlagError(`engine flag '-${name}' needs ${type === "uint" ? "a whole number" : "an integer"}, got '${value}'`);
      }
      timeoutGiven ||= name === "timeout";
      passed.push(...FLAG_TRANSLATIONS[name](value));
    } else if (!ENGINE_FLAGS.has(name) && !isFlagName(name)) {
      // Not a flag of libFuzzer's that jskcov knows: ignored with libFuzzer's warning, as libFuzzer would.
      warn(unrecognizedFlagWarning(arg, name));
    } else if (!ENGINE_FLAGS.has(name)) {
      throw new FlagError(
        `engine flag '-${name}' has no afl-fuzz equivalent; the afl engine takes -timeout, -max_total_time, -runs, ` +
          `-seed, -dict, -max_len, -use_feedback, -artifact_prefix, and afl-fuzz's own options (-M, -S, -o, ...)`,
      );
    }
  }
  const outputIndex = passed.indexOf("-o");
  const outputDir = outputIndex >= 0 && passed[outputIndex + 1] !== undefined ? passed[outputIndex + 1] : DEFAULT_AFL_OUTPUT;
  const args = [...(passed.includes("-i") ? [] : ["-i", seedDir]), ...(outputIndex >= 0 ? [] : ["-o", outputDir])];
  if (!timeoutGiven && !passed.includes("-t")) args.push("-t", String(DEFAULT_TIMEOUT_MS));
  // -max_len has libFuzzer's meaning for every engine, its default too (without -max_len, or
  // with -max_len=0): afl-fuzz's own, -G 1048576, lets havoc grow inputs far past the others'.
  const inputIndex = passed.indexOf("-i");
  if (!passed.includes("-G")) args.push("-G", String(defaultMaxLen(inputIndex >= 0 ? (passed[inputIndex + 1] ?? "") : seedDir)));
  // Comparison tracing: the harness is its own cmplog binary (native/compare-bridge.c).
  if (invocation.runConfig.traceCmp === true && !passed.includes("-c")) args.push("-c", "0");
  return { args: [...args, ...passed], env, outputDir, artifactPrefix, createMissingDirs, printOnly };
}

/**
 * afl-fuzz's comparison stage (cmplog's input-to-state, Redqueen) skips every queue entry
 * shorter than this (AFL++ 4.04c's fuzz_one: `if (len < 4)`), and a short seed is the one
 * afl-fuzz favours (it is the cheapest for the same coverage). A keyword target from a
 * one-byte seed was never solved: its coverage is the same for every input, so no longer
 * entry ever joined the queue.
 */
export const CMPLOG_MIN_INPUT_BYTES = 4;

/**
 * libFuzzer's -max_len when none is given: the largest seed, at least 4096, at most 1 MiB
 * (of the directory afl-fuzz reads; none yet, as in a printed command, or `-i -`: 4096).
 */
export function defaultMaxLen(seedDir: string): number {
  const isDirectory = fs.statSync(seedDir, { throwIfNoEntry: false })?.isDirectory() === true;
  const largest = isDirectory ? seedFiles(seedDir).reduce((max, file) => Math.max(max, fs.statSync(file).size), 0) : 0;
  return Math.min(Math.max(MIN_DEFAULT_MAX_LEN, largest), MAX_SANE_LEN);
}

/** Regular files under `dir`, recursively (afl-fuzz's -i reads subdirectories too). */
function seedFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? seedFiles(file) : fs.statSync(file).isFile() ? [file] : [];
  });
}

/**
 * The seed directory for afl-fuzz's -i: the first corpus directory when it holds a file,
 * else a session directory with one seed (afl-fuzz refuses an empty one). With comparisons
 * on, seeds shorter than CMPLOG_MIN_INPUT_BYTES are given to afl-fuzz zero-padded to that
 * length (in a session copy of the directory; the user's files are not touched).
 */
export function seedDirectory(invocation: NativeEngineInvocation, session: NativeSession, log: (line: string) => void = () => {}): string {
  const first = invocation.inputs[0];
  const given = first !== undefined && fs.statSync(first).isDirectory() && seedFiles(first).length > 0;
  const padded = invocation.runConfig.traceCmp === true;
  const isShort = (file: string) => fs.statSync(file).size < CMPLOG_MIN_INPUT_BYTES;
  if (given && !(padded && seedFiles(first).some(isShort))) return first;
  const seeds = path.join(session.directory, "seeds");
  fs.mkdirSync(seeds, { recursive: true });
  if (!given) {
    fs.writeFileSync(path.join(seeds, "empty-seed"), "\n");
  } else {
    fs.cpSync(first, seeds, { recursive: true });
  }
  if (padded) {
    const short = seedFiles(seeds).filter(isShort);
    for (const file of short) fs.appendFileSync(file, Buffer.alloc(CMPLOG_MIN_INPUT_BYTES - fs.statSync(file).size));
    if (given) {
      log(
        `jskcov: afl-fuzz's comparison stage (cmplog) skips inputs shorter than ${CMPLOG_MIN_INPUT_BYTES} bytes: ` +
          `${short.length} seed(s) of ${first} passed to afl-fuzz zero-padded to ${CMPLOG_MIN_INPUT_BYTES} bytes (--no-cmp passes them as they are)`,
      );
    }
  }
  return seeds;
}

/** Environment for afl-fuzz: checks that do not apply to this harness are turned off. */
function aflEnvironment(base: NodeJS.ProcessEnv, args: string[]): NodeJS.ProcessEnv {
  return {
    // Non-instrumented mode (-n) would exec the harness, and so start Node, for every input:
    // use the harness's forkserver (and so the persistent executor) there too.
    ...(args.includes("-n") ? { AFL_DUMB_FORKSRV: "1" } : {}),
    // The harness reports crashes itself; no core dump is involved, so core_pattern does not matter.
    AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: "1",
    AFL_SKIP_CPUFREQ: "1",
    // Node's start-up with the instrumenting preload can take seconds on a cold cache.
    AFL_FORKSRV_INIT_TMOUT: "60000",
    ...base,
  };
}

/** The command for the user to run, as shell text (`jskcov fuzz --engine afl` prints it). */
export function aflShellCommand(harness: string, command: AflCommand, env: NodeJS.ProcessEnv): string {
  const quote = (text: string) => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`);
  const variables = ["JSKCOV_EXECUTOR_ARGV", "JSKCOV_RUN_CONFIG", "JSKCOV_FEEDBACK", "AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "AFL_SKIP_CPUFREQ", "AFL_FORKSRV_INIT_TMOUT", "AFL_DUMB_FORKSRV", "JSKCOV_AFL_DIRECT_ADDON", "JSKCOV_AFL_DIRECT"];
  const exports = variables.filter((name) => env[name] !== undefined).map((name) => `export ${name}=${quote(env[name] as string)}`);
  return [...exports, ["afl-fuzz", ...command.args, "--", harness].map(quote).join(" ")].join("\n") + "\n";
}

/**
 * Saves afl-fuzz's crashes and hangs (every instance's) as crash-<sha1> / timeout-<sha1>.
 * An instance is a subdirectory of the output directory (-M, -S, "default"), or the output
 * directory itself in non-instrumented mode (-n), where afl-fuzz makes no instance directory.
 */
export function saveAflFindings(outputDir: string, artifactPrefix: string, log: (line: string) => void): string[] {
  const saved: string[] = [];
  if (!fs.existsSync(outputDir)) return saved;
  const instances = [outputDir, ...fs.readdirSync(outputDir).map((name) => path.join(outputDir, name))];
  for (const instance of instances) {
    for (const [folder, kind] of [["crashes", "crash"], ["hangs", "timeout"]] as const) {
      const dir = path.join(instance, folder);
      if (!fs.existsSync(dir)) continue;
      for (const name of fs.readdirSync(dir).filter((entry) => entry.startsWith("id:")).sort()) {
        saved.push(writeArtifact(kind, fs.readFileSync(path.join(dir, name)), { artifact_prefix: artifactPrefix, exact_artifact_path: "" }, log));
      }
    }
  }
  return saved;
}

/** Why `target` does not load in an executor's environment, or undefined if it loads. */
function targetLoadFailure(target: string, env: NodeJS.ProcessEnv): string | undefined {
  const [node, ...nodeArgs] = executorArgv(target).slice(0, -2);
  const targetModule = path.join(__dirname, "..", "target.js");
  const check = `const t = require(${JSON.stringify(targetModule)}); t.loadFuzzTarget(process.argv[1]).catch((e) => { process.stderr.write(t.describeLoadFailure(process.argv[1], e)); process.exitCode = 3; });`;
  const result = spawnSync(node, [...nodeArgs, "-e", check, target], { env, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 });
  return result.status === 3 ? result.stderr.trim() : undefined;
}

/**
 * Builds the harness (cached) and runs afl-fuzz, or only prints the command (with
 * -print_command=1, e.g. to start -M/-S instances by hand). Resolves with afl-fuzz's exit status.
 */
export async function runAfl(invocation: NativeEngineInvocation): Promise<number> {
  const { printOnly, artifactPrefix, createMissingDirs } = aflCommand(invocation, "", (line) => process.stderr.write(`${line}\n`));
  // Before afl-fuzz starts: its findings are copied there when it ends (libFuzzer's rule).
  if (!printOnly) prepareArtifactDirectories({ artifact_prefix: artifactPrefix, exact_artifact_path: "", create_missing_dirs: createMissingDirs ? 1 : 0 });
  const harness = buildHarness("afl");
  // A printed command outlives this process, so it gets no session directory.
  const session = printOnly ? undefined : new NativeSession();
  try {
    const seeds = printOnly ? (invocation.inputs[0] ?? "SEED_DIR") : seedDirectory(invocation, session as NativeSession, (line) => process.stderr.write(`${line}\n`));
    const command = aflCommand(invocation, seeds);
    const base = session?.environment(invocation, {}, command.env) ?? NativeSession.environmentFor(invocation, {}, command.env);
    // The direct AFL++ mode's addon (docs/executor-protocol.md): the harness decides whether to use it.
    const env = { JSKCOV_AFL_DIRECT_ADDON: buildAflDirectAddon(), ...aflEnvironment(base, command.args) };
    if (printOnly) {
      process.stdout.write(aflShellCommand(harness, command, env));
      return 0;
    }
    const status = await runEngineProcess(findAflFuzz(), [...command.args, "--", harness], env);
    saveAflFindings(command.outputDir, command.artifactPrefix, (line) => process.stderr.write(`${line}\n`));
    // afl-fuzz hides the executor's stderr: a target that cannot load is only "Fork server
    // handshake failed" there. Say why, as the built-in and libFuzzer engines do.
    const failure = status === 0 ? undefined : targetLoadFailure(invocation.target, env);
    if (failure !== undefined) process.stderr.write(`jskcov fuzz: afl-fuzz could not start the target: ${failure}\n`);
    return status;
  } finally {
    session?.close();
  }
}
