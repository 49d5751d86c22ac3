// The transform behind `jskcov run`'s require and import hooks: TypeScript stripped,
// files that match the filter instrumented by the plugin, an inline source map so that
// stack traces point at the original lines. The user's Babel config is not read: the
// output depends only on the source and the run's options, which the cache key holds.

import * as fs from "node:fs";
import * as path from "node:path";
import * as babel from "@babel/core";
import { resolveOptions } from "../plugin/options";
import type { RunConfig } from "./run-config";
import { TransformCache } from "./transform-cache";
import { ProgressReporter } from "./progress";

/** What the output must be: a CommonJS module (require hook) or an ES module (import hook). */
export type ModuleFormat = "commonjs" | "module";

export const TYPESCRIPT_EXTENSIONS = [".ts", ".mts", ".cts"];
export const JAVASCRIPT_EXTENSIONS = [".js", ".mjs", ".cjs"];

/** This package's built code (plugin, runtime, CLI): never instrumented, it would count itself. */
const OWN_CODE_DIR = path.resolve(__dirname, "..");

export function isTypeScript(filename: string): boolean {
  return TYPESCRIPT_EXTENSIONS.includes(path.extname(filename));
}

export class SourceTransformer {
  readonly cache: TransformCache;
  readonly progress: ProgressReporter;
  readonly #matchesFilter: (relativePath: string) => boolean;

  constructor(private readonly config: RunConfig) {
    this.#matchesFilter = resolveOptions({ instrumentationFilter: config.filter }).matchesFilter;
    this.cache = new TransformCache(config.cacheDir);
    this.progress = new ProgressReporter(config.progress, config.progressCounters);
  }

  /** Files under the root that the filter selects, except this package's own code. */
  shouldInstrument(filename: string): boolean {
    if (filename.startsWith(OWN_CODE_DIR + path.sep)) return false;
    const relative = path.relative(this.config.root, filename);
    if (relative.startsWith("..") || path.isAbsolute(relative)) return false;
    return this.#matchesFilter(relative.split(path.sep).join("/"));
  }

  /** Whether the hooks must touch this file at all: instrumented, or TypeScript. */
  needsTransform(filename: string): boolean {
    return isTypeScript(filename) || this.shouldInstrument(filename);
  }

  /** The code to run in place of `source`. Cached on disk; hits equal misses byte for byte. */
  transform(filename: string, source: string, format: ModuleFormat): string {
    const instrument = this.shouldInstrument(filename);
    const { root, filter, pcSeed, pcSeedByFile, counterMode } = this.config;
    const key = this.cache.key([filename, format, instrument, root, filter, pcSeed, pcSeedByFile, counterMode, source]);
    const { output, hit } = this.cache.getOrProduce(key, () => {
      const result = babel.transformSync(source, this.#babelOptions(filename, format, instrument));
      return result?.code ?? source;
    });
    this.progress.fileDone(hit);
    return output;
  }

  #babelOptions(filename: string, format: ModuleFormat, instrument: boolean): babel.TransformOptions {
    const typeScript = isTypeScript(filename);
    const plugins: babel.PluginItem[] = [];
    if (instrument) {
      const { root, filter, pcSeed, pcSeedByFile, counterMode } = this.config;
      plugins.push([require.resolve("../plugin"), { instrumentationFilter: filter, root, pcSeed, pcSeedByFile, counterMode }]);
    }
    // Node 20 cannot require() an ES module, so TypeScript loaded by require becomes CJS.
    if (typeScript && format === "commonjs") plugins.push(require.resolve("@babel/plugin-transform-modules-commonjs"));
    return {
      filename,
      cwd: this.config.root,
      babelrc: false,
      configFile: false,
      sourceType: format === "module" ? "module" : "unambiguous",
      parserOpts: { allowReturnOutsideFunction: format === "commonjs" },
      presets: typeScript
        ? [[require.resolve("@babel/preset-typescript"), { allowDeclareFields: true, onlyRemoveTypeImports: false }]]
        : [],
      plugins,
      sourceMaps: "inline",
      // Keep the code as close to the source as Babel allows; the map covers the rest.
      retainLines: false,
      compact: false,
    };
  }
}

const packageTypeByDir = new Map<string, string | undefined>();

/** The nearest package.json's "type" field, as Node resolves it for .js files. */
function packageType(dir: string): string | undefined {
  if (packageTypeByDir.has(dir)) return packageTypeByDir.get(dir);
  let type: string | undefined;
  const manifest = path.join(dir, "package.json");
  if (fs.existsSync(manifest)) {
    try {
      type = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { type?: string }).type ?? "commonjs";
    } catch {
      type = "commonjs";
    }
  } else {
    const parent = path.dirname(dir);
    type = parent === dir ? "commonjs" : packageType(parent);
  }
  packageTypeByDir.set(dir, type);
  return type;
}

/**
 * How Node (22, with type stripping) would run a TypeScript file: .mts as ESM, .cts as
 * CommonJS, .ts as the package's "type" says, and in a package without one as ESM
 * exactly when the file has import/export syntax.
 */
export function typeScriptFormat(filename: string, source: string): ModuleFormat {
  const extension = path.extname(filename);
  if (extension === ".mts") return "module";
  if (extension === ".cts") return "commonjs";
  const manifest = packageType(path.dirname(filename));
  if (manifest === "module") return "module";
  if (!/\b(import|export)\b/.test(source)) return "commonjs";
  const ast = babel.parseSync(source, {
    filename,
    babelrc: false,
    configFile: false,
    sourceType: "unambiguous",
    parserOpts: { plugins: ["typescript"], errorRecovery: true },
  });
  return ast?.program.sourceType === "module" ? "module" : "commonjs";
}
