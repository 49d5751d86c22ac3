// `jskcov run`: runs a Node program in a child process with the hooks of preload.ts,
// passes its stdio through untouched and exits as it exited.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import picomatch from "picomatch";
import { DEFAULT_FILTER } from "../plugin/options";
import { UsageError, parseCommandLine, parseInteger, splitAtScript, type OptionSpec } from "./arguments";
import { RUN_CONFIG_ENV, type SerializedRunConfig } from "./run-config";

export const RUN_HELP = `Usage: jskcov run [options] [--] <script> [args...]

Runs a Node program (.js .mjs .cjs .ts .mts .cts) with every matching file instrumented
on the fly: CommonJS through a require hook, ES modules through module.register() hooks,
TypeScript stripped by @babel/preset-typescript. The program's stdio and exit status are
its own. When it exits (normally, by process.exit(), by an uncaught exception or by a
signal), jskcov writes a kcov area with the PC of every block that ran, and beside it
<out>.blocks.json, the block map that 'jskcov symbolize' and 'jskcov report' read.

Options:
  --filter GLOB        Instrument files matching GLOB, relative to the root; repeat it,
                       '!GLOB' excludes. Default: ${DEFAULT_FILTER.map((glob) => `'${glob}'`).join(" ")}
  --out FILE           The kcov dump to write (default: kcov.out)
  --root DIR           Project root for filters, PCs and paths (default: current dir)
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
  -h, --help           Show this help

Example:
  jskcov run --filter 'src/**' --out cov/kcov.out -- node_modules/.bin/mocha test/
`;

const RUN_OPTIONS = {
  filter: { type: "string", multiple: true },
  out: { type: "string" },
  root: { type: "string" },
  "pc-seed": { type: "string" },
  "pc-seed-for": { type: "string", multiple: true },
  "counter-mode": { type: "string" },
  "cache-dir": { type: "string" },
  "no-cache": { type: "boolean" },
  progress: { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} satisfies OptionSpec;

/** Turns the command line into the child's configuration; throws UsageError. */
export function parseRunArguments(args: string[]): { config: SerializedRunConfig; script: string; scriptArgs: string[] } | "help" {
  const { optionArgs, scriptArgs } = splitAtScript(args, RUN_OPTIONS);
  const { values } = parseCommandLine("run", { args: optionArgs, options: RUN_OPTIONS, allowPositionals: false, strict: true });
  if (values.help) return "help";
  if (scriptArgs.length === 0) throw new UsageError("run", "missing the <script> to run");

  const root = path.resolve(values.root ?? ".");
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new UsageError("run", `option '--root' must name a directory, got '${values.root}'`);
  }
  const filter = values.filter ?? DEFAULT_FILTER;
  for (const glob of filter) {
    try {
      if (glob === "" || glob === "!") throw new Error("empty glob");
      picomatch(glob, { strictBrackets: true });
    } catch (error) {
      throw new UsageError("run", `option '--filter' is not a valid glob: '${glob}' (${(error as Error).message})`);
    }
  }
  const pcSeed = values["pc-seed"] === undefined ? 0 : parseInteger("run", "pc-seed", values["pc-seed"], 0, 0xffffffff);
  const pcSeedByFile: Record<string, number> = {};
  for (const entry of values["pc-seed-for"] ?? []) {
    const equals = entry.lastIndexOf("=");
    if (equals <= 0) throw new UsageError("run", `option '--pc-seed-for' must be FILE=SEED, got '${entry}'`);
    pcSeedByFile[entry.slice(0, equals)] = parseInteger("run", "pc-seed-for", entry.slice(equals + 1), 0, 0xffffffff);
  }
  const counterMode = values["counter-mode"] ?? "hit";
  if (counterMode !== "hit" && counterMode !== "count") {
    throw new UsageError("run", `option '--counter-mode' must be 'hit' or 'count', got '${counterMode}'`);
  }
  const out = path.resolve(values.out ?? "kcov.out");
  const script = path.resolve(scriptArgs[0]);
  if (!fs.existsSync(script)) throw new UsageError("run", `the script '${scriptArgs[0]}' does not exist`);

  let cacheDir: string | null = null;
  if (!values["no-cache"]) {
    cacheDir = path.resolve(values["cache-dir"] ?? process.env.JSKCOV_CACHE_DIR ?? defaultCacheDir(root));
  }
  const progress = values.quiet ? false : (values.progress ?? process.stderr.isTTY === true);
  return {
    config: { root, filter, pcSeed, pcSeedByFile, counterMode, out, cacheDir, progress },
    script,
    scriptArgs: scriptArgs.slice(1),
  };
}

/** Where babel-jest, nyc and ava keep theirs; a temp dir for a root without node_modules. */
function defaultCacheDir(root: string): string {
  const nodeModules = path.join(root, "node_modules");
  if (fs.existsSync(nodeModules)) return path.join(nodeModules, ".cache", "jskcov");
  return path.join(os.tmpdir(), `jskcov-cache-${os.userInfo().uid}`);
}

/** Runs the program; resolves with the status to exit with (a signal is re-raised). */
export function runCommand(args: string[]): Promise<number> {
  const parsed = parseRunArguments(args);
  if (parsed === "help") {
    process.stdout.write(RUN_HELP);
    return Promise.resolve(0);
  }
  const { config, script, scriptArgs } = parsed;
  const preload = pathToFileURL(path.join(__dirname, "preload.js")).href;
  const child = spawn(
    process.execPath,
    ["--enable-source-maps", "--import", preload, script, ...scriptArgs],
    { stdio: "inherit", env: { ...process.env, [RUN_CONFIG_ENV]: JSON.stringify(config) } },
  );
  // The terminal sends Ctrl-C to the whole process group: the child decides what to do.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  const ignore = () => {};
  process.on("SIGINT", ignore);
  process.on("SIGTERM", forward);
  process.on("SIGHUP", forward);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", ignore);
      process.off("SIGTERM", forward);
      process.off("SIGHUP", forward);
      if (signal !== null) {
        process.kill(process.pid, signal);
        return;
      }
      resolve(code ?? 1);
    });
  });
}
