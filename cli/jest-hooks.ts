// Jest runs test files in vm contexts, with its own module loader (jest-runtime) and its
// own transform, so neither the require hook nor this realm's registry see the code it
// runs. Under `jskcov run`, in each of Jest's processes:
// - every file Jest loads that the filter selects is instrumented after Jest's own
//   transform, if any (babel-jest's inline source map keeps the blocks in original
//   coordinates), and Jest is given the source map of the result for its stack traces;
// - every vm context gets this realm's registry, so the counters of code that runs in a
//   test context are in this process's dump.
// Written against the ScriptTransformer of @jest/transform 29 and 30: its
// _transformAndBuildScript (CommonJS) and _transformAndBuildScriptAsync (ES modules, under
// --experimental-vm-modules), reached through createScriptTransformer. Jest 29 loads it
// from @jest/transform's ./ScriptTransformer, whose exports can be replaced; Jest 30 is one
// bundle whose exports are getters, so its requirers get a copy with the wrapped function.
// Other versions run as before, uninstrumented.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { REGISTRY_KEY, REGISTRY_VERSION, type KcovRegistry } from "../runtime";
import { requireHookExtensions } from "./file-kinds";
import type { ModuleFormat, SourceTransformer } from "./transform";

interface TransformResult {
  code: string;
  sourceMapPath: string | null;
}
interface ScriptTransformerPrototype {
  _transformAndBuildScript(filename: string, options: { isInternalModule?: boolean }, ...rest: unknown[]): TransformResult;
  _transformAndBuildScriptAsync?(filename: string, options: { isInternalModule?: boolean }, ...rest: unknown[]): Promise<TransformResult>;
}

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;charset=utf-8;base64,([A-Za-z0-9+/=]+)\s*$/;

/** The inline source map of `code` written to a file in `dir` (Jest reads maps from files). */
function sourceMapFile(code: string, dir: string | null | undefined): string | null {
  const match = INLINE_MAP.exec(code);
  if (match === null || !dir) return null;
  const file = path.join(dir, "maps", `${createHash("sha256").update(match[1]).digest("hex").slice(0, 32)}.map`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.from(match[1], "base64"));
  return file;
}

const PATCHED = Symbol.for("babel-plugin-kcov.jest-patched");

/** This realm's registry, created as an instrumented file would create it. */
function sharedRegistry(): KcovRegistry {
  const realm = globalThis as { [REGISTRY_KEY]?: KcovRegistry };
  realm[REGISTRY_KEY] ??= { version: REGISTRY_VERSION, files: [], onRegister: null };
  return realm[REGISTRY_KEY];
}

function shareRegistryWithContexts(): void {
  // The module object itself (Jest reads createContext from it at each call), not the
  // read-only namespace that `import * as` would give.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vm = require("node:vm") as typeof import("node:vm");
  const createContext = vm.createContext;
  const patched = function (this: unknown, ...args: Parameters<typeof vm.createContext>) {
    const context = createContext.apply(this, args) as Record<symbol, unknown>;
    if (!Object.prototype.hasOwnProperty.call(context, REGISTRY_KEY)) {
      // Not enumerable: the context's own globals look as they did.
      Object.defineProperty(context, REGISTRY_KEY, { value: sharedRegistry(), writable: true, configurable: true, enumerable: false });
    }
    return context;
  };
  vm.createContext = patched as typeof vm.createContext;
}

function instrumentJestTransforms(prototype: ScriptTransformerPrototype & { [PATCHED]?: boolean }, transformer: SourceTransformer, mapDir: string | null | undefined): void {
  if (prototype[PATCHED] || typeof prototype._transformAndBuildScript !== "function") return;
  prototype[PATCHED] = true;
  const extensions = new Set([...requireHookExtensions(), ".mjs", ".mts"]);
  const instrumented = (filename: string, options: { isInternalModule?: boolean }, result: TransformResult, format: ModuleFormat): TransformResult => {
    if (options.isInternalModule === true || !extensions.has(path.extname(filename)) || !transformer.shouldInstrument(filename)) return result;
    const code = transformer.instrumentTransformed(filename, result.code, format);
    return { ...result, code, sourceMapPath: sourceMapFile(code, mapDir) };
  };
  const transformAndBuild = prototype._transformAndBuildScript;
  prototype._transformAndBuildScript = function (filename, options, ...rest) {
    return instrumented(filename, options, transformAndBuild.call(this, filename, options, ...rest), "commonjs");
  };
  const transformAndBuildAsync = prototype._transformAndBuildScriptAsync;
  if (typeof transformAndBuildAsync === "function") {
    // Jest's ES module loader (jest-runtime's loadEsmModule) is its only caller.
    prototype._transformAndBuildScriptAsync = async function (filename, options, ...rest) {
      return instrumented(filename, options, await transformAndBuildAsync.call(this, filename, options, ...rest), "module");
    };
  }
}

type TransformExports = { createScriptTransformer?: (...args: unknown[]) => Promise<object> };

/** Copies of exports objects whose createScriptTransformer cannot be replaced (Jest 30's getters). */
const patchedCopies = new WeakMap<object, TransformExports>();

/** `exports` (or a copy of it) whose createScriptTransformer instruments what the transformers it makes build. */
function withInstrumentingTransformer(exports: TransformExports, transformer: SourceTransformer, mapDir: string | null | undefined): TransformExports {
  const create = exports.createScriptTransformer;
  if (typeof create !== "function" || (create as { [PATCHED]?: boolean })[PATCHED]) return exports;
  const copy = patchedCopies.get(exports);
  if (copy !== undefined) return copy;
  const wrapped = async function (this: unknown, ...args: unknown[]) {
    const scriptTransformer = await create.apply(this, args);
    instrumentJestTransforms(Object.getPrototypeOf(scriptTransformer) as ScriptTransformerPrototype, transformer, mapDir);
    return scriptTransformer;
  };
  (wrapped as { [PATCHED]?: boolean })[PATCHED] = true;
  const descriptor = Object.getOwnPropertyDescriptor(exports, "createScriptTransformer");
  if (descriptor?.writable === true) {
    exports.createScriptTransformer = wrapped;
    return exports;
  }
  const replaced: TransformExports = { ...exports, createScriptTransformer: wrapped };
  if ((exports as { __esModule?: boolean }).__esModule) Object.defineProperty(replaced, "__esModule", { value: true });
  patchedCopies.set(exports, replaced);
  return replaced;
}

/**
 * The files of @jest/transform whose exports give createScriptTransformer: Jest 29's
 * build/ScriptTransformer.js (its index.js re-exports it through a getter) and Jest 30's
 * bundled build/index.js.
 */
const JEST_TRANSFORM_FILE = /[\\/]@jest[\\/]transform[\\/]build[\\/](ScriptTransformer|index)\.js$/;

/**
 * Hooks Jest when it loads in this process; does nothing in a process without Jest. The
 * require hook calls the function it returns with every CommonJS module it has loaded, so
 * that @jest/transform's exports are replaced before any requirer sees them (a hook on
 * Module._load did it before, at the cost of a frame of jskcov's in every require's stack).
 */
export function hookJest(transformer: SourceTransformer, mapDir: string | null | undefined): (module: { exports: unknown }, filename: string) => void {
  shareRegistryWithContexts();
  return (module, filename) => {
    if (!JEST_TRANSFORM_FILE.test(filename) || module.exports === null || typeof module.exports !== "object") return;
    module.exports = withInstrumentingTransformer(module.exports as TransformExports, transformer, mapDir);
  };
}
