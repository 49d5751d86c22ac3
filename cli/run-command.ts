// `jskcov run`: runs a Node program with the hooks of preload.ts in it and in every Node
// process and worker it starts, merges their per-process dumps into one when it has
// ended, and exits as it exited. A script that node would run as it is (no node options,
// no TypeScript or JSX entry) runs in jskcov's own process, as `node script` would run
// it: one Node start-up instead of two. Otherwise (or with --spawn) it runs in a child
// process whose stdio is jskcov's and whose signals jskcov forwards.

import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as nodeModule from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import picomatch from "picomatch";
import { DEFAULT_FILTER, resolveOptions } from "../plugin/options";
import { DEFAULT_PC_LAYOUT, PC_LAYOUT_NAMES, type PcLayoutName } from "../plugin/pc-layout";
import { UsageError, parseCommandLine, parseInteger, splitAtScript, type OptionSpec } from "./arguments";
import { RUN_CONFIG_ENV, readRunConfig, type SerializedRunConfig } from "./run-config";
import { needsCompiling } from "./file-kinds";
import { stringifyJson } from "../runtime/own-json";

export const RUN_HELP = `Usage: jskcov run [options] [--] <script> [args...]
       jskcov run [options] -- node [node options] [<script>] [args...]

Runs a Node program (.js .mjs .cjs .jsx .ts .mts .cts .tsx) with every matching file
instrumented on the fly, in the program and in every Node process and worker thread it
starts: CommonJS through a require hook, ES modules through module.register() hooks, with
the project's Babel config when it has one (TypeScript is stripped by
@babel/preset-typescript if the config does not). The program's stdio and exit status
(or signal) are its own. When it has exited, jskcov merges the coverage of every process
and thread into one kcov area with the PC of every block that ran, and beside it
<out>.blocks.json, the block map that 'jskcov symbolize' and 'jskcov report' read.

Options:
  --filter GLOB        Instrument files matching GLOB, relative to the root; repeat it,
                       '!GLOB' excludes. Default: ${DEFAULT_FILTER.map((glob) => `'${glob}'`).join(" ")}
  --out FILE           The kcov dump to write (default: kcov.out)
  --root DIR           Project root for filters, PCs, paths and the Babel config
                       (default: current dir)
  --keep-per-process DIR
                       Also keep each process's and thread's own dump in DIR (an empty or
                       new directory): <pid>.kcov, <pid>-worker<N>.kcov, with block maps
  --strict             Exit with status 1 (when the program's is 0) if a file had to be
                       left out of coverage because its PC region clashed with another's
  --no-babelrc         Ignore the project's Babel config (babel.config.*, .babelrc*,
                       package.json "babel")
  --pc-layout LAYOUT   The plugin's pcLayout: full64 (default) or kernel32 (PCs in
                       syzkaller's kernel range, for consumers that keep 32 bits)
  --pc-seed N          The plugin's pcSeed: moves every file's PC region (default 0)
  --pc-seed-for FILE=N The plugin's pcSeedByFile: a seed for one file (relative to the
                       root), the fix when two files' PC regions overlap; repeatable
  --counter-mode MODE  hit (default) or count
  --cache-dir DIR      Transform cache (default: <root>/node_modules/.cache/jskcov,
                       or $JSKCOV_CACHE_DIR)
  --no-cache           Do not read or write the transform cache
  --progress           Report instrumentation progress and a summary on stderr
                       (default when stderr is a terminal)
  --quiet              Never print progress
  --spawn              Run the program in a child process even when it could run in
                       jskcov's own (a plain .js/.cjs/.mjs script, no node options)
  -h, --help           Show this help

Examples:
  jskcov run --filter 'src/**' --out cov/kcov.out -- node_modules/.bin/mocha test/
  jskcov run --filter 'src/**' -- node --test
`;

const RUN_OPTIONS = {
  filter: { type: "string", multiple: true },
  out: { type: "string" },
  root: { type: "string" },
  "keep-per-process": { type: "string" },
  "no-babelrc": { type: "boolean" },
  strict: { type: "boolean" },
  "pc-layout": { type: "string" },
  "pc-seed": { type: "string" },
  "pc-seed-for": { type: "string", multiple: true },
  "counter-mode": { type: "string" },
  "cache-dir": { type: "string" },
  "no-cache": { type: "boolean" },
  progress: { type: "boolean" },
  quiet: { type: "boolean" },
  spawn: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} satisfies OptionSpec;

interface ParsedRun {
  config: SerializedRunConfig;
  /** The main script, or null when node's own options name what to run (--test, -e). */
  script: string | null;
  /** Node options given after `node`, then the script's arguments. */
  nodeArgs: string[];
  scriptArgs: string[];
  /** --keep-per-process, or null: the per-process dumps go to a temporary directory. */
  keepPerProcess: string | null;
  /** --strict: a file left out of coverage makes a successful run exit 1. */
  strict: boolean;
  /** --spawn: a child process even for a script that could run in this one. */
  spawn: boolean;
}

/** Turns the command line into the child's configuration; throws UsageError. */
export function parseRunArguments(args: string[]): ParsedRun | "help" {
  const { optionArgs, scriptArgs } = splitAtScript(args, RUN_OPTIONS);
  const { values } = parseCommandLine("run", { args: optionArgs, options: RUN_OPTIONS, allowPositionals: false, strict: true });
  if (values.help) return "help";
  if (scriptArgs.length === 0) throw new UsageError("run", "missing the <script> to run");

  const givenRoot = path.resolve(values.root ?? ".");
  if (!fs.existsSync(givenRoot) || !fs.statSync(givenRoot).isDirectory()) {
    throw new UsageError("run", `option '--root' must name a directory, got '${values.root}'`);
  }
  // Node loads modules by their real paths: a root reached through a symbolic link would
  // hold none of them, and nothing would be instrumented.
  const root = fs.realpathSync(givenRoot);
  const filter = values.filter ?? DEFAULT_FILTER;
  for (const glob of filter) {
    try {
      if (glob === "" || glob === "!") throw new Error("empty glob");
      picomatch(glob, { strictBrackets: true });
    } catch (error) {
      throw new UsageError("run", `option '--filter' is not a valid glob: '${glob}' (${(error as Error).message})`);
    }
  }
  const pcLayout = values["pc-layout"] ?? DEFAULT_PC_LAYOUT;
  if (!PC_LAYOUT_NAMES.includes(pcLayout as PcLayoutName)) {
    throw new UsageError("run", `option '--pc-layout' must be ${PC_LAYOUT_NAMES.map((name) => `'${name}'`).join(" or ")}, got '${pcLayout}'`);
  }
  const pcSeed = values["pc-seed"] === undefined ? 0 : parseInteger("run", "pc-seed", values["pc-seed"], 0, 0xffffffff);
  const pcSeedByFile: Record<string, number> = {};
  for (const entry of values["pc-seed-for"] ?? []) {
    const equals = entry.lastIndexOf("=");
    if (equals <= 0) throw new UsageError("run", `option '--pc-seed-for' must be FILE=SEED, got '${entry}'`);
    const seed = parseInteger("run", "pc-seed-for", entry.slice(equals + 1), 0, 0xffffffff);
    pcSeedByFile[pcSeedFile(entry.slice(0, equals), root, filter)] = seed;
  }
  const counterMode = values["counter-mode"] ?? "hit";
  if (counterMode !== "hit" && counterMode !== "count") {
    throw new UsageError("run", `option '--counter-mode' must be 'hit' or 'count', got '${counterMode}'`);
  }
  const out = path.resolve(values.out ?? "kcov.out");
  rejectKernelFileSystem("out", out);
  // `-- node [options] ...`: node's own options pass through, for `node --test` and the like.
  const viaNode = scriptArgs[0] === "node" || scriptArgs[0] === process.execPath;
  const nodeArgs = viaNode ? scriptArgs.slice(1) : [];
  let script: string | null = null;
  if (!viaNode) {
    script = path.resolve(scriptArgs[0]);
    if (!fs.existsSync(script)) throw new UsageError("run", `the script '${scriptArgs[0]}' does not exist`);
  }

  let cacheDir: string | null = null;
  if (!values["no-cache"]) {
    cacheDir = path.resolve(values["cache-dir"] ?? process.env.JSKCOV_CACHE_DIR ?? defaultCacheDir(root));
    rejectKernelFileSystem("cache-dir", cacheDir);
  }
  const keepPerProcess = values["keep-per-process"] === undefined ? null : path.resolve(values["keep-per-process"]);
  if (keepPerProcess !== null) rejectKernelFileSystem("keep-per-process", keepPerProcess);
  const progress = values.quiet ? false : (values.progress ?? process.stderr.isTTY === true);
  return {
    config: { root, filter, pcLayout: pcLayout as PcLayoutName, pcSeed, pcSeedByFile, counterMode, out, cacheDir, progress, babelrc: !values["no-babelrc"] },
    script,
    nodeArgs,
    scriptArgs: viaNode ? [] : scriptArgs.slice(1),
    keepPerProcess,
    strict: values.strict === true,
    spawn: values.spawn === true,
  };
}

/**
 * A --pc-seed-for FILE as the plugin looks it up (the path relative to the root, as the
 * block map and the clash warning name it; `./a.js` and an absolute path inside the root are
 * the same file). A FILE that is no file there, or one the filter leaves out, would be
 * ignored silently and the clash it was meant to fix would stay: an error naming it.
 */
function pcSeedFile(file: string, root: string, filter: string[]): string {
  const absolute = path.resolve(root, file);
  const relative = path.relative(root, absolute).split(path.sep).join("/");
  if (relative === "" || relative.startsWith("../") || path.isAbsolute(relative)) {
    throw new UsageError("run", `option '--pc-seed-for': '${file}' is not a file under the root ${root} (FILE is relative to --root)`);
  }
  if (!fs.existsSync(absolute) || fs.statSync(absolute).isDirectory()) {
    throw new UsageError("run", `option '--pc-seed-for': '${file}' is not a file under the root ${root} (FILE is relative to --root, as the block map names it)`);
  }
  if (!resolveOptions({ instrumentationFilter: filter }).matchesFilter(relative)) {
    throw new UsageError("run", `option '--pc-seed-for': '${file}' is not instrumented (the filter ${filter.map((glob) => `'${glob}'`).join(" ")} leaves it out), so its seed would change nothing`);
  }
  return relative;
}

/** Where babel-jest, nyc and ava keep theirs; a temp dir for a root without node_modules. */
function defaultCacheDir(root: string): string {
  const nodeModules = path.join(root, "node_modules");
  if (fs.existsSync(nodeModules)) return path.join(nodeModules, ".cache", "jskcov");
  return path.join(os.tmpdir(), `jskcov-cache-${os.userInfo().uid}`);
}

/** /proc and /sys hold the kernel's files, not ours: writing there fails or never ends. */
function rejectKernelFileSystem(option: string, file: string): void {
  let existing = file;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  for (const candidate of [file, fs.realpathSync(existing)]) {
    if (/^\/(proc|sys)(\/|$)/.test(candidate)) {
      throw new UsageError("run", `option '--${option}' names '${file}', under /${candidate.split("/")[1]}, where jskcov cannot write files`);
    }
  }
}

/** The temporary directory of the processes' dumps is `.<out>.processes-<jskcov's pid>-XXXXXX`, beside `out`. */
function processDirPrefix(out: string): string {
  return `.${path.basename(out)}.processes-`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A jskcov killed by SIGKILL cannot remove its processes' directory: the next run with
 * the same --out removes those whose jskcov is no longer running.
 */
function removeStaleProcessDirs(out: string): void {
  const prefix = processDirPrefix(out);
  for (const name of fs.readdirSync(path.dirname(out))) {
    if (!name.startsWith(prefix)) continue;
    const owner = /^(\d+)-[A-Za-z0-9]{6}$/.exec(name.slice(prefix.length));
    if (owner === null || isRunning(Number(owner[1]))) continue;
    fs.rmSync(path.join(path.dirname(out), name), { recursive: true, force: true });
  }
}

/**
 * Makes sure the dump can be written before the program starts (an error then, not after
 * an hour of fuzzing), and makes the directory the processes write their dumps into.
 */
function prepareOutputs(out: string, keepPerProcess: string | null): string {
  const outDir = path.dirname(out);
  try {
    fs.mkdirSync(outDir, { recursive: true });
    fs.accessSync(outDir, fs.constants.W_OK);
    if (fs.existsSync(out)) {
      const stats = fs.statSync(out);
      if (stats.isDirectory()) throw new Error("it is a directory");
      // /dev/null or a FIFO: the block map would go beside it (/dev/null.blocks.json), and a
      // FIFO nobody reads blocks the dump forever.
      if (!stats.isFile()) throw new Error("it is not a regular file (the block map is written beside the dump, as FILE.blocks.json)");
      fs.accessSync(out, fs.constants.W_OK);
    }
  } catch (error) {
    throw new UsageError("run", `option '--out': cannot write the dump '${out}': ${(error as Error).message}`);
  }
  if (keepPerProcess === null) {
    removeStaleProcessDirs(out);
    try {
      return fs.mkdtempSync(path.join(outDir, `${processDirPrefix(out)}${process.pid}-`));
    } catch (error) {
      throw new UsageError("run", `option '--out': cannot make the directory for the processes' dumps next to '${out}': ${(error as Error).message}`);
    }
  }
  try {
    fs.mkdirSync(keepPerProcess, { recursive: true });
    fs.accessSync(keepPerProcess, fs.constants.W_OK);
  } catch (error) {
    throw new UsageError("run", `option '--keep-per-process': cannot write into '${keepPerProcess}': ${(error as Error).message}`);
  }
  if (fs.readdirSync(keepPerProcess).length > 0) {
    throw new UsageError("run", `option '--keep-per-process' must name an empty or new directory, but '${keepPerProcess}' has files`);
  }
  return keepPerProcess;
}

/** NODE_OPTIONS that load the preload into every Node process the program starts (quoted for spaces). */
function nodeOptionsWithPreload(preload: string): string {
  const quoted = `"${preload.replace(/[\\"]/g, "\\$&")}"`;
  const existing = process.env.NODE_OPTIONS ?? "";
  return `--require ${quoted} --enable-source-maps${existing === "" ? "" : ` ${existing}`}`;
}

/**
 * Whether this process is in its terminal's foreground process group: then a Ctrl-C
 * reached the program too (same group), and forwarding it would deliver SIGINT twice.
 * Linux: field 8 of /proc/self/stat is the terminal's foreground group, field 5 ours.
 */
function inForegroundOfTerminal(): boolean {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const [processGroup, foregroundGroup] = [Number(fields[2]), Number(fields[5])];
    return foregroundGroup > 0 && foregroundGroup === processGroup;
  } catch {
    return false;
  }
}

/** Forwards the signals that end a program; returns the function that stops forwarding. */
function forwardSignals(child: ChildProcess): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const) {
    const handler = () => {
      if (signal === "SIGINT" && inForegroundOfTerminal()) return;
      child.kill(signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return () => handlers.forEach((handler, signal) => process.off(signal, handler));
}


/**
 * Merges the processes' dumps into the run's dump and block map, removes the temporary
 * directory; returns the status to exit with when the program's was `code`.
 */
function finishRun(parsed: ParsedRun, processDir: string, code: number): number {
  let leftOut = 0;
  try {
    // Loaded only now, while nothing waits for it: the program has ended.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    leftOut = (require("./run-results") as typeof import("./run-results")).mergeProcessDumps(parsed.config, processDir);
    if (parsed.keepPerProcess === null) fs.rmSync(processDir, { recursive: true, force: true });
  } catch (error) {
    process.stderr.write(`jskcov: cannot merge the coverage of the processes in ${processDir}: ${(error as Error).message}\n`);
  }
  if (parsed.strict && leftOut > 0 && code === 0) {
    process.stderr.write(`jskcov: --strict: ${leftOut} files were left out of coverage (above); exit status 1\n`);
    return 1;
  }
  return code;
}

/**
 * Whether the program can run in this process exactly as `node <script> [args]` would run
 * it: a script Node loads itself (not TypeScript or JSX, which need the --import entry),
 * no node options, and not inside another `jskcov run` (whose hooks are in this process).
 */
function runsInThisProcess(parsed: ParsedRun): parsed is ParsedRun & { script: string } {
  const { script, nodeArgs } = parsed;
  if (parsed.spawn || script === null || nodeArgs.length > 0 || needsCompiling(script) || script.endsWith(".mts")) return false;
  // jskcov started with node options of its own (workers would not inherit them as below).
  return process.execArgv.length === 0 && readRunConfig() === undefined;
}

/**
 * A worker thread created without `execArgv` inherits the options its process started
 * with, not the NODE_OPTIONS of its environment: in a child process those include the
 * preload, in this process (started before jskcov set them) they do not. Given
 * `execArgv: []` (what it would inherit: this process has none), Node builds the
 * worker's options from its environment's NODE_OPTIONS, as for a process of its own.
 */
function loadPreloadInWorkerThreads(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const workerThreads = require("node:worker_threads") as typeof import("node:worker_threads");
  const InheritingWorker = workerThreads.Worker;
  class Worker extends InheritingWorker {
    constructor(filename: string | URL, options?: import("node:worker_threads").WorkerOptions) {
      super(filename, options?.execArgv === undefined ? { ...options, execArgv: [] } : options);
    }
  }
  workerThreads.Worker = Worker;
  // `import { Worker } from "node:worker_threads"` sees it too.
  nodeModule.syncBuiltinESMExports();
}

/**
 * Runs the program in this process, as node runs a main script: process.argv is the
 * program's, its main module is require.main, its exit status and signal are the
 * process's. The merge happens in the exit handler, after this thread's dump is written.
 */
function runHere(parsed: ParsedRun & { script: string }, processDir: string, preload: string): void {
  const config: SerializedRunConfig = { ...parsed.config, processDir, supervisorPid: null };
  process.argv = [process.execPath, parsed.script, ...parsed.scriptArgs];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startCoverage } = require("./preload") as typeof import("./preload");
  startCoverage(config, (code, signal) => {
    const status = finishRun(parsed, processDir, code ?? 0);
    if (signal === null && status !== code) process.exitCode = status;
  });
  // What the children inherit; set after startCoverage, which would otherwise find it too.
  process.env.NODE_OPTIONS = nodeOptionsWithPreload(preload);
  process.env[RUN_CONFIG_ENV] = stringifyJson(config);
  process.setSourceMapsEnabled(true);
  loadPreloadInWorkerThreads();
  // Outside jskcov's promise chain, so that an exception the program throws at the top
  // level is uncaught, as under node, and not a rejection that jskcov would report.
  process.nextTick(() => nodeModule.runMain());
}

/** Runs the program in a child process; resolves with the status to exit with (a signal is re-raised). */
function runInChild(parsed: ParsedRun, processDir: string, preload: string): Promise<number> {
  const { config, script, nodeArgs, scriptArgs } = parsed;
  const childConfig: SerializedRunConfig = { ...config, processDir, supervisorPid: process.pid };
  // A TypeScript or JSX entry is loaded with --import as well, so that Node runs it
  // through the ES module loader and its hooks (an ES module .ts entry stays one); Node
  // picks that loader itself for .mjs and "type": "module". The preload runs once.
  const compiledEntry = script !== null && (needsCompiling(script) || script.endsWith(".mts"));
  const entryOptions = compiledEntry ? ["--import", pathToFileURL(preload).href] : [];
  const child = spawn(process.execPath, [...entryOptions, ...nodeArgs, ...(script === null ? [] : [script]), ...scriptArgs], {
    // argv[0] as jskcov's own ("node" from a shell), as in-process: the program's process.argv0 and process.title.
    argv0: process.argv0,
    stdio: "inherit",
    env: { ...process.env, NODE_OPTIONS: nodeOptionsWithPreload(preload), [RUN_CONFIG_ENV]: stringifyJson(childConfig) },
  });
  const stopForwarding = forwardSignals(child);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      stopForwarding();
      const status = finishRun(parsed, processDir, code ?? 1);
      if (signal !== null) {
        process.kill(process.pid, signal);
        return;
      }
      resolve(status);
    });
  });
}

/**
 * Runs the program. Resolves with the status to exit with, or undefined when the program
 * runs in this process and its exit status is the process's own.
 */
export function runCommand(args: string[]): Promise<number | undefined> {
  const parsed = parseRunArguments(args);
  if (parsed === "help") {
    process.stdout.write(RUN_HELP);
    return Promise.resolve(0);
  }
  const processDir = prepareOutputs(parsed.config.out, parsed.keepPerProcess);
  const preload = path.join(__dirname, "preload.js");
  if (runsInThisProcess(parsed)) {
    runHere(parsed, processDir, preload);
    return Promise.resolve(undefined);
  }
  return runInChild(parsed, processDir, preload);
}
