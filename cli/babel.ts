// The Babel that `jskcov run` transforms with. Babel 7 and Babel 8 are both supported, but
// never mixed: a Babel 7 plugin refuses to run under @babel/core 8 and the other way
// round. So @babel/core, @babel/preset-typescript and @babel/plugin-transform-modules-commonjs
// are all taken from one place: the project's own node_modules (resolved from the run's
// root) when @babel/core is installed there, else the ones installed with this package.

import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type * as BabelCore from "@babel/core";
import { importModule } from "./dynamic-import";
import { parseJson, stringifyJson } from "../runtime/own-json";

export interface BabelToolchain {
  core: typeof BabelCore;
  /** @babel/preset-typescript with the options the run needs, for `presets`. */
  typeScriptPreset(): BabelCore.PluginItem;
  /** @babel/plugin-transform-modules-commonjs, for `plugins`. */
  modulesCommonJs(): BabelCore.PluginItem;
}

/**
 * @babel/preset-typescript's options plus what keeps `declare` fields as TypeScript does:
 * Babel 7 needs `allowDeclareFields`, Babel 8 always does it and rejects the option.
 */
export function typeScriptPresetOptions(babelVersion: string, options: Record<string, unknown>): Record<string, unknown> {
  return babelVersion.startsWith("7.") ? { allowDeclareFields: true, ...options } : options;
}


/**
 * A plugin module's default export: require() of an ES module gives a namespace, Babel 7's
 * CommonJS builds an `__esModule` object, and import() of those a namespace around it.
 */
function defaultExport(module: unknown): unknown {
  let value = module as { default?: unknown; __esModule?: boolean; [Symbol.toStringTag]?: string };
  while (value.default !== undefined && (value.__esModule || value[Symbol.toStringTag] === "Module")) {
    value = value.default as typeof value;
  }
  return value;
}

interface Located {
  core: string;
  version: string;
  /** Per companion package: its file, or why it cannot be used. */
  companions: Map<string, { file?: string; problem?: string }>;
}

const COMPANIONS = ["@babel/preset-typescript", "@babel/plugin-transform-modules-commonjs"];

/** Where the run's Babel is: the project's when it has @babel/core, else this package's. */
function locate(root: string): Located {
  const fromProject = createRequire(path.join(root, "package.json"));
  let resolveFrom: NodeJS.Require = require;
  try {
    fromProject.resolve("@babel/core");
    resolveFrom = fromProject;
  } catch {
    // The project has no Babel of its own: use this package's.
  }
  const versionOf = (name: string): { version: string; dir: string } => {
    const manifest = resolveFrom.resolve(`${name}/package.json`);
    return { version: String((parseJson(fs.readFileSync(manifest, "utf8")) as { version: string }).version), dir: path.dirname(manifest) };
  };
  const coreVersion = versionOf("@babel/core").version;
  const major = coreVersion.split(".")[0];
  const companions = new Map<string, { file?: string; problem?: string }>();
  for (const name of COMPANIONS) {
    try {
      const { version, dir } = versionOf(name);
      companions.set(name, version.split(".")[0] === major
        ? { file: resolveFrom.resolve(name) }
        : { problem: `${name} ${version} (${dir}) cannot run under @babel/core ${coreVersion}; install ${name}@${major}` });
    } catch {
      companions.set(name, { problem: `this file needs ${name}, which is not installed; install ${name}@${major} (the major of @babel/core ${coreVersion})` });
    }
  }
  return { core: resolveFrom.resolve("@babel/core"), version: coreVersion, companions };
}

const locatedByRoot = new Map<string, Located>();
function located(root: string): Located {
  let found = locatedByRoot.get(root);
  if (found === undefined) {
    found = locate(root);
    locatedByRoot.set(root, found);
  }
  return found;
}

/**
 * The toolchain from loaded modules. Plugins and presets are handed to Babel as loaded
 * functions, not as paths for Babel to load: Babel 8 is ES modules, and Node 22 cannot
 * require() one once the run's import hooks are registered, nor on the hooks thread.
 * A missing or mismatched companion is an error only for a file that needs it.
 */
function toolchainOf(loadedCore: typeof BabelCore, loaded: Map<string, { plugin?: unknown; problem?: string }>): BabelToolchain {
  const companion = (name: string): BabelCore.PluginItem => {
    const entry = loaded.get(name)!;
    if (entry.plugin === undefined) throw new Error(`jskcov: ${entry.problem}`);
    return entry.plugin as BabelCore.PluginItem;
  };
  const core = keepingProgramGlobalsOf(loadedCore);
  return {
    core,
    typeScriptPreset: () => [companion("@babel/preset-typescript"), typeScriptPresetOptions(core.version, { onlyRemoveTypeImports: false })],
    modulesCommonJs: () => companion("@babel/plugin-transform-modules-commonjs"),
  };
}

/** The entry points of @babel/core that run Babel (each one may change the Error settings). */
const BABEL_ENTRY_POINTS = [
  "transform", "transformSync", "transformAsync", "transformFile", "transformFileSync", "transformFileAsync",
  "transformFromAst", "transformFromAstSync", "transformFromAstAsync", "parse", "parseSync", "parseAsync",
  "loadPartialConfig", "loadPartialConfigSync", "loadPartialConfigAsync", "loadOptions", "loadOptionsSync", "loadOptionsAsync",
  "createConfigItem", "createConfigItemSync", "createConfigItemAsync",
] as const;

/**
 * @babel/core whose entry points leave the program's globals as they were and run Babel
 * with the globals it was written for:
 * - Error.stackTraceLimit and Error.prepareStackTrace are put back after the call. The first
 *   call into @babel/core raises the limit to at least 50 and installs its own stack
 *   rewriter, for the whole process: the program would see other stack traces than without
 *   jskcov, and every Error it makes would capture up to 50 frames where Node captures 10 (a
 *   parser that throws and catches errors, like js-yaml, spends most of its time there).
 * - JSON.parse and JSON.stringify are Node's own during the call (Babel's generator
 *   quotes strings with JSON.stringify): a program that replaced them still loads its files.
 * Babel does its set-up synchronously on entry, so the async entry points are covered too.
 * Every use of the run's Babel goes through here, so no call can miss it.
 */
function keepingProgramGlobalsOf(core: typeof BabelCore): typeof BabelCore {
  const wrapped: Record<string, unknown> = { ...core };
  for (const name of BABEL_ENTRY_POINTS) {
    const entry = (core as unknown as Record<string, unknown>)[name];
    if (typeof entry !== "function") continue;
    wrapped[name] = function (this: unknown, ...args: unknown[]) {
      const { stackTraceLimit, prepareStackTrace } = Error;
      const { parse, stringify } = JSON;
      JSON.parse = parseJson;
      JSON.stringify = stringifyJson;
      try {
        return (entry as (...args: unknown[]) => unknown).apply(this, args);
      } finally {
        JSON.parse = parse;
        JSON.stringify = stringify;
        if (Error.stackTraceLimit !== stackTraceLimit) Error.stackTraceLimit = stackTraceLimit;
        if (Error.prepareStackTrace !== prepareStackTrace) Error.prepareStackTrace = prepareStackTrace;
      }
    };
  }
  return wrapped as unknown as typeof BabelCore;
}

const toolchains = new Map<string, BabelToolchain>();

/** The Babel for a run whose root is `root`, loaded by require() (cached per root). */
export function babelFor(root: string): BabelToolchain {
  let toolchain = toolchains.get(root);
  if (toolchain === undefined) {
    const where = located(root);
    const load = createRequire(__filename);
    const loaded = new Map([...where.companions].map(([name, { file, problem }]) =>
      [name, file !== undefined ? { plugin: defaultExport(load(file)) } : { problem }]));
    toolchain = toolchainOf(load(where.core) as typeof BabelCore, loaded);
    toolchains.set(root, toolchain);
  }
  return toolchain;
}

/** The same, loaded by import(): for Node's hooks thread, where Node 22 cannot require() an ES module. */
export async function importBabelFor(root: string): Promise<BabelToolchain> {
  const where = located(root);
  const load = (file: string) => importModule(pathToFileURL(file).href);
  const loaded = new Map<string, { plugin?: unknown; problem?: string }>();
  for (const [name, { file, problem }] of where.companions) {
    loaded.set(name, file !== undefined ? { plugin: defaultExport(await load(file)) } : { problem });
  }
  const core = await load(where.core) as Partial<typeof BabelCore> & { default?: typeof BabelCore };
  // Babel 7's CommonJS build, imported, may give its exports only on `default`.
  return toolchainOf(core.transformSync !== undefined ? core as typeof BabelCore : core.default!, loaded);
}

/** Thrown by `LazyBabel.get()` where Babel can only be loaded asynchronously and is not yet. */
export class BabelNotLoaded extends Error {
  override name = "BabelNotLoaded";
}

/**
 * The run's Babel, loaded on first use: a run whose files are all in the transform cache
 * never loads it. On the main thread `get()` loads it with require(); on Node's hooks
 * thread (`canRequire` false) `get()` throws BabelNotLoaded until `load()` has imported it.
 */
export class LazyBabel {
  #toolchain: BabelToolchain | undefined;

  constructor(private readonly root: string, private readonly canRequire: boolean) {}

  /** The version of the Babel the run uses, read from its package.json without loading it. */
  version(): string {
    return located(this.root).version;
  }

  get(): BabelToolchain {
    if (this.#toolchain === undefined) {
      if (!this.canRequire) throw new BabelNotLoaded("Babel is not loaded on this thread yet");
      this.#toolchain = babelFor(this.root);
    }
    return this.#toolchain;
  }

  async load(): Promise<void> {
    this.#toolchain ??= await importBabelFor(this.root);
  }
}
