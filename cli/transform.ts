// The transform behind `jskcov run`'s require and import hooks: the project's Babel config
// when it has one (babel-config.ts; --no-babelrc turns it off), TypeScript stripped,
// files that match the filter instrumented by the plugin, an inline source map so that
// stack traces point at the original lines. Which Babel (7 or 8, the project's or this
// package's) is babel.ts's decision; it is loaded only on a cache miss: a run whose files
// are all in the transform cache never loads it.

import * as fs from "node:fs";
import * as path from "node:path";
import type * as BabelCore from "@babel/core";
import { resolveOptions } from "../plugin/options";
import { isTypeScript, needsCompiling } from "./file-kinds";
import { LazyBabel } from "./babel";
import { ProjectConfigFinder, type ProjectConfigFingerprint } from "./babel-config";
import type { RunConfig } from "./run-config";
import { TransformCache } from "./transform-cache";
import { ConfigPluginVersions } from "./config-plugin-versions";
import { ProgressReporter } from "./progress";
import { isStackOverflow, nestingTooDeepError } from "./nesting-depth";
import { parseJson } from "../runtime/own-json";

/** What the output must be: a CommonJS module (require hook) or an ES module (import hook). */
export type ModuleFormat = "commonjs" | "module";

/** This package's built code (plugin, runtime, CLI): never instrumented, it would count itself. */
const OWN_CODE_DIR = path.resolve(__dirname, "..");
const KCOV_PLUGIN = require.resolve("../plugin");

function resolvesTo(item: BabelCore.ConfigItem, pattern: RegExp): boolean {
  return item.file != null && pattern.test(item.file.resolved);
}

/** The file a plugin or preset entry names: a config item's resolved file, or the path this transform added. */
function fileOf(item: BabelCore.PluginItem): string | null {
  const named = Array.isArray(item) ? item[0] : item;
  if (typeof named === "string") return named;
  return (named as BabelCore.ConfigItem).file?.resolved ?? null;
}

/** The record of plugins used without a project config (TypeScript's preset, the CommonJS transform). */
const NO_PROJECT_CONFIG = "no-project-config";

export class SourceTransformer {
  readonly cache: TransformCache;
  readonly progress: ProgressReporter;
  readonly #matchesFilter: (relativePath: string) => boolean;
  readonly #projectConfigs: ProjectConfigFinder | null;
  readonly #babel: LazyBabel;
  readonly #configPlugins: ConfigPluginVersions;
  /** Babel is at work: the files it requires (the config's plugins and presets) are its own, run as they are. */
  #inBabel = false;

  /** `babel`: how this thread loads the run's Babel (esm-hooks.ts passes its own). */
  constructor(private readonly config: RunConfig, babel = new LazyBabel(config.root, true)) {
    this.#matchesFilter = resolveOptions({ instrumentationFilter: config.filter }).matchesFilter;
    this.#babel = babel;
    this.cache = new TransformCache(config.cacheDir, babel.version());
    this.#configPlugins = new ConfigPluginVersions(config.cacheDir);
    this.progress = new ProgressReporter(config.progress, config.progressCounters);
    this.#projectConfigs = config.babelrc === false ? null : new ProjectConfigFinder(config.root);
  }

  /** Whether `filename` is project code: under the root, outside node_modules and this package. */
  #inProject(filename: string): string | null {
    if (filename.startsWith(OWN_CODE_DIR + path.sep)) return null;
    const relative = path.relative(this.config.root, filename);
    if (relative.startsWith("..") || path.isAbsolute(relative)) return null;
    return relative.split(path.sep).join("/");
  }

  /** Files under the root that the filter selects, except this package's own code. */
  shouldInstrument(filename: string): boolean {
    const relative = this.#inProject(filename);
    return relative !== null && this.#matchesFilter(relative);
  }

  /** The project's Babel config for a project file outside node_modules, as @babel/register compiles. */
  #projectConfigFor(filename: string): ProjectConfigFingerprint | null {
    if (this.#projectConfigs === null) return null;
    const relative = this.#inProject(filename);
    if (relative === null || /(^|\/)node_modules\//.test(relative)) return null;
    // Babel requires a JavaScript config while it loads it: compiling that would recurse.
    if (/^(babel\.config|\.babelrc)(\.[cm]?[jt]s)?$/.test(path.basename(filename))) return null;
    return this.#projectConfigs.find(filename);
  }

  /** Whether the hooks must touch this file at all: instrumented, compiled by the project's config, or TypeScript/JSX. */
  needsTransform(filename: string): boolean {
    // Compiling a plugin of the config with that config would load it again (Babel: "Reentrant plugin detected").
    if (this.#inBabel) return false;
    return needsCompiling(filename) || this.shouldInstrument(filename) || this.#projectConfigFor(filename) !== null;
  }

  /** The code to run in place of `source`. Cached on disk; hits equal misses byte for byte. */
  transform(filename: string, source: string, format: ModuleFormat): string {
    const instrument = this.shouldInstrument(filename);
    const projectConfig = this.#projectConfigFor(filename);
    const { root, filter, pcLayout, pcSeed, pcSeedByFile, counterMode, traceCmp } = this.config;
    // The versions of the plugins and presets this config used before (config-plugin-versions.ts).
    const configId = projectConfig?.hash ?? NO_PROJECT_CONFIG;
    const keyNow = () =>
      this.cache.key([filename, format, instrument, root, filter, pcLayout, pcSeed, pcSeedByFile, counterMode, traceCmp === true, projectConfig?.hash ?? null, this.#configPlugins.keyPart(configId), source]);
    const key = keyNow();
    const cached = this.cache.lookup(key);
    if (cached !== undefined) {
      this.progress.fileDone(true);
      return cached;
    }
    const compiled = this.#whileInBabel(() => this.#babelOptions(filename, format, instrument, projectConfig !== null));
    let output = source;
    if (compiled !== null) {
      try {
        output = this.#whileInBabel(() => this.#compile(source, compiled.options));
      } catch (error) {
        if (isStackOverflow(error)) {
          throw nestingTooDeepError(filename, source, { typeScript: isTypeScript(filename), sourceType: compiled.options.sourceType as "module" | "unambiguous" });
        }
        if (!isParseError(error) || needsCompiling(filename)) throw dropBabelFrames(error);
        // Node may run what Babel cannot parse (V8 intrinsics under --allow-natives-syntax,
        // syntax newer than this Babel): as without jskcov, uninstrumented, and said so.
        // A file Node cannot parse either then fails with Node's own SyntaxError.
        process.stderr.write(`jskcov: warning: ${describeParseError(filename, error)}; it runs as it is, uninstrumented\n`);
        this.progress.fileDone(false);
        return source;
      }
    }
    // A plugin seen for the first time changes the key: the entry goes where the next run looks.
    const recorded = compiled !== null && this.#configPlugins.record(configId, compiled.pluginFiles);
    this.cache.store(recorded ? keyNow() : key, output);
    this.progress.fileDone(false);
    return output;
  }

  /**
   * Babel's output for `source`. Node 20's import assertions (`import j from "./j.json"
   * assert { type: "json" }`), which Babel 7 parses only when asked, are kept as written.
   */
  #compile(source: string, options: BabelCore.TransformOptions): string {
    const { core } = this.#babel.get();
    try {
      return core.transformSync(source, options)?.code ?? source;
    } catch (error) {
      if ((error as { reasonCode?: string }).reasonCode !== "ImportAttributesUseAssert" || !core.version.startsWith("7.")) throw error;
      const plugins = [...(options.parserOpts?.plugins ?? []), "deprecatedImportAssert"] as NonNullable<BabelCore.ParserOptions["plugins"]>;
      const parserOpts = { ...options.parserOpts, plugins };
      const generatorOpts = { ...options.generatorOpts, importAttributesKeyword: "assert" } as BabelCore.GeneratorOptions;
      return core.transformSync(source, { ...options, parserOpts, generatorOpts })?.code ?? source;
    }
  }

  #whileInBabel<T>(work: () => T): T {
    const outer = this.#inBabel;
    this.#inBabel = true;
    try {
      return work();
    } finally {
      this.#inBabel = outer;
    }
  }

  /**
   * Instruments code another tool has already compiled (Jest's transform): the plugin
   * alone, no config; an inline source map in `code` keeps the blocks in the original.
   * `format`: "module" for an ES module (Jest's ESM loader), else Jest's CommonJS wrapper.
   */
  instrumentTransformed(filename: string, code: string, format: ModuleFormat = "commonjs"): string {
    const { root, filter, pcLayout, pcSeed, pcSeedByFile, counterMode, traceCmp } = this.config;
    const key = this.cache.key(["instrument-transformed", filename, format, root, filter, pcLayout, pcSeed, pcSeedByFile, counterMode, traceCmp === true, code]);
    const { output, hit } = this.cache.getOrProduce(key, () => {
      const options: BabelCore.TransformOptions = {
        filename,
        cwd: root,
        babelrc: false,
        configFile: false,
        sourceType: format === "module" ? "module" : "unambiguous",
        parserOpts: { allowReturnOutsideFunction: format === "commonjs" },
        plugins: [this.#kcovPlugin()],
        sourceMaps: "inline",
      };
      return this.#babel.get().core.transformSync(code, options)?.code ?? code;
    });
    this.progress.fileDone(hit);
    return output;
  }

  #kcovPlugin(): BabelCore.PluginItem {
    const { root, filter, pcLayout, pcSeed, pcSeedByFile, counterMode, traceCmp } = this.config;
    return [KCOV_PLUGIN, { instrumentationFilter: filter, root, pcLayout, pcSeed, pcSeedByFile, counterMode, traceCmp: traceCmp === true }];
  }

  /**
   * How Node would run a TypeScript or JSX file: .mts as ESM, .cts as CommonJS, others as
   * the package's "type" says, and in a package without one as ESM exactly when the file
   * has import/export syntax (as Node 22 decides). Cached like the transform.
   */
  moduleFormatOf(filename: string, source: string): ModuleFormat {
    const extension = path.extname(filename);
    if (extension === ".mts") return "module";
    if (extension === ".cts") return "commonjs";
    const type = packageType(path.dirname(filename));
    if (type === "module") return "module";
    // Node 22 detects the format only in a package without "type": "commonjs" decides.
    if (type === "commonjs" || !/\b(import|export)\b/.test(source)) return "commonjs";
    const key = this.cache.key(["module-format", filename, source]);
    const { output } = this.cache.getOrProduce(key, () => {
      const ast = withoutBabelFrames(() => this.#babel.get().core.parseSync(source, {
        filename,
        babelrc: false,
        configFile: false,
        sourceType: "unambiguous",
        // Decorators parse too: a project's config may compile them (the file's own syntax
        // plugins are not known here), and a parse error would stop the file before it.
        parserOpts: { plugins: [...(isTypeScript(filename) ? ["typescript" as const] : []), ...(extension === ".ts" ? [] : ["jsx" as const]), "decorators" as const], errorRecovery: true },
      }));
      return ast?.program.sourceType === "module" ? "module" : "commonjs";
    });
    return output === "module" ? "module" : "commonjs";
  }

  /**
   * Babel's options for one file, with the files of its plugins and presets other than
   * kcov (for the cache key), or null to run it as it is (the project's config ignores it).
   */
  #babelOptions(filename: string, format: ModuleFormat, instrument: boolean, useProjectConfig: boolean): { options: BabelCore.TransformOptions; pluginFiles: string[] } | null {
    const { root } = this.config;
    const kcov = this.#kcovPlugin();
    const common: BabelCore.TransformOptions = {
      filename,
      cwd: root,
      sourceType: format === "module" ? "module" : "unambiguous",
      caller: { name: "jskcov", supportsStaticESM: format === "module", supportsDynamicImport: true, supportsTopLevelAwait: format === "module" },
      sourceMaps: "inline",
    };
    let presets: BabelCore.PluginItem[] = [];
    let plugins: BabelCore.PluginItem[] = [];
    let base: BabelCore.TransformOptions = { ...common, babelrc: false, configFile: false, compact: false };
    if (useProjectConfig) {
      const partial = this.#babel.get().core.loadPartialConfig(common);
      if (partial === null && !instrument) return null;
      if (partial !== null && partial.hasFilesystemConfig()) {
        base = { ...partial.options, sourceMaps: "inline" };
        presets = (partial.options.presets ?? []) as BabelCore.ConfigItem[];
        // The run's options win over a kcov entry in the config (its filter, seeds, mode).
        plugins = ((partial.options.plugins ?? []) as BabelCore.ConfigItem[]).filter((item) => item.file?.resolved !== KCOV_PLUGIN);
      }
    }
    const configured = [...presets, ...plugins] as BabelCore.ConfigItem[];
    if (instrument) plugins.push(kcov);
    if (isTypeScript(filename) && !configured.some((item) => resolvesTo(item, /preset-typescript|plugin-transform-typescript/))) {
      presets.push(this.#babel.get().typeScriptPreset());
    }
    // Node 20 cannot require() an ES module, so TypeScript or JSX loaded by require becomes CommonJS.
    if (format === "commonjs" && needsCompiling(filename) && !configured.some((item) => resolvesTo(item, /preset-env|plugin-transform-modules-commonjs/))) {
      plugins.push(this.#babel.get().modulesCommonJs());
    }
    const options = {
      ...base,
      parserOpts: { ...base.parserOpts, allowReturnOutsideFunction: format === "commonjs" },
      presets,
      plugins,
    };
    const pluginFiles = [...presets, ...plugins].map(fileOf).filter((file): file is string => file !== null && file !== KCOV_PLUGIN);
    return { options, pluginFiles };
  }
}

/** jskcov's own frames: its built code, and its TypeScript sources, where source maps point. */
const OWN_FRAME_DIRS = [OWN_CODE_DIR + path.sep, path.join(OWN_CODE_DIR, "..", "cli") + path.sep];

/** A stack frame of Babel's code (`at parser.next (<anonymous>)` included). */
const BABEL_OR_OWN_FRAME = /^\s+at .*(\/node_modules\/(@babel|gensync)\/|\(<anonymous>\)$)/;

/**
 * Babel's error for a file it cannot compile (TypeScript or JSX with a syntax error, syntax a
 * transform refuses) names the file, the line and column and shows the code frame; but its
 * stack is 40-60 frames of Babel's and jskcov's own code, which read as a crash of jskcov,
 * and the frames of the program (the require that loaded the file) are past the limit. So
 * the program gets an error of the same class, message and properties, with the stack of
 * where it was loaded, as Node's own SyntaxError for a file it cannot parse has.
 */
function dropBabelFrames(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (!(error instanceof Error) || typeof code !== "string" || !code.startsWith("BABEL_")) return error;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = limit + 30; // room for the frames dropped below
  const loaded = Object.assign(new (error.constructor as ErrorConstructor)(error.message), error);
  Error.stackTraceLimit = limit;
  const [head, ...frames] = (loaded.stack ?? "").split("\n    at ");
  const kept = frames.map((frame) => `    at ${frame}`).filter((line) => !BABEL_OR_OWN_FRAME.test(line) && !OWN_FRAME_DIRS.some((dir) => line.includes(dir)));
  loaded.stack = [head, ...kept.slice(0, limit)].join("\n");
  return loaded;
}

function withoutBabelFrames<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw dropBabelFrames(error);
  }
}

function isParseError(error: unknown): error is Error & { loc?: { line: number; column: number } } {
  return (error as { code?: string } | null)?.code === "BABEL_PARSE_ERROR";
}

/** `file:line:column: Babel cannot parse it (reason)`, column from 1, from Babel's parse error. */
function describeParseError(filename: string, error: Error & { loc?: { line: number; column: number } }): string {
  const reason = error.message.split("\n")[0].replace(`${filename}: `, "").replace(/ \(\d+:\d+\)$/, "");
  const where = error.loc === undefined ? filename : `${filename}:${error.loc.line}:${error.loc.column + 1}`;
  return `${where}: Babel cannot parse it (${reason})`;
}

/**
 * Whether Node may load `entry`, a main script, as an ES module (so the import hooks must
 * be registered before it loads): .mjs and .mts, TypeScript and JSX (which may be ESM),
 * and .js or extensionless files in a "type": "module" package. .cjs and .cts never are.
 */
export function mayBeEsModuleEntry(entry: string): boolean {
  const extension = path.extname(entry);
  if (extension === ".mjs" || extension === ".mts" || needsCompiling(entry)) return true;
  if (extension === ".cjs" || extension === ".cts") return false;
  return packageType(path.dirname(entry)) === "module";
}

const packageTypeByDir = new Map<string, string | undefined>();

/** The nearest package.json's "type" field, as Node resolves it for .js files; undefined when it has none. */
function packageType(dir: string): string | undefined {
  if (packageTypeByDir.has(dir)) return packageTypeByDir.get(dir);
  let type: string | undefined;
  const manifest = path.join(dir, "package.json");
  if (fs.existsSync(manifest)) {
    try {
      type = (parseJson(fs.readFileSync(manifest, "utf8")) as { type?: string }).type;
    } catch {
      type = undefined;
    }
  } else {
    const parent = path.dirname(dir);
    type = parent === dir ? undefined : packageType(parent);
  }
  packageTypeByDir.set(dir, type);
  return type;
}
