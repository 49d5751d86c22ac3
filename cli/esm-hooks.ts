// Node's module customization hooks for `jskcov run` (registered by preload.ts, run on
// Node's hooks thread). ES modules that match the filter or that the project's Babel
// config compiles are transformed here; TypeScript and JSX files are compiled here if
// they are ES modules, and handed to the require hook otherwise. See https://nodejs.org/api/module.html#customization-hooks.

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { BabelNotLoaded, LazyBabel } from "./babel";
import type { RunConfig } from "./run-config";
import { COMPILED_EXTENSIONS, needsCompiling } from "./file-kinds";
import { SourceTransformer } from "./transform";
import { commonJsFacade } from "./commonjs-facade";

interface ResolveContext {
  conditions: string[];
  importAttributes: Record<string, string>;
  parentURL?: string;
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
interface LoadContext {
  conditions: string[];
  format?: string | null;
  importAttributes: Record<string, string>;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}

let transformer: SourceTransformer | undefined;
let babel: LazyBabel | undefined;
/** What Node loads as the program's entry (resolved without a parent): Node's CommonJS loading keeps require.main for it. */
const entryUrls = new Set<string>();

export function initialize(config: RunConfig): void {
  // This thread cannot require() Babel 8 (an ES module) on Node 22: it is imported on
  // the first cache miss instead (`withBabel`).
  babel = new LazyBabel(config.root, false);
  transformer = new SourceTransformer(config, babel);
}

/** Runs `work`; if it needed Babel before Babel was imported on this thread, imports it and runs it again. */
async function withBabel<T>(work: () => T): Promise<T> {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof BabelNotLoaded)) throw error;
  }
  await babel!.load();
  return work();
}

/** TypeScript's convention: `import "./a.js"` names a.ts when only a.ts exists. */
const TYPESCRIPT_FOR = new Map([
  [".js", [".ts", ".tsx"]],
  [".mjs", [".mts"]],
  [".cjs", [".cts"]],
]);

/**
 * What a relative specifier that Node cannot find may name in TypeScript: a.js -> a.ts
 * (any importer), and, from a TypeScript or JSX file, the extensionless ./a -> ./a.ts
 * and ./dir -> ./dir/index.ts, as TypeScript's own module resolution and bundlers allow.
 */
function typeScriptCandidates(specifier: string, parentURL: string | undefined): string[] {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return [];
  const extension = path.posix.extname(specifier);
  const replacements = TYPESCRIPT_FOR.get(extension);
  if (replacements !== undefined) return replacements.map((ts) => specifier.slice(0, -extension.length) + ts);
  const fromCompiled = parentURL !== undefined && COMPILED_EXTENSIONS.includes(path.posix.extname(parentURL));
  if (!fromCompiled || extension !== "") return [];
  return [...COMPILED_EXTENSIONS, ".js"].map((ext) => specifier + ext).concat(`${specifier}/index.ts`, `${specifier}/index.tsx`, `${specifier}/index.js`);
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  try {
    const resolved = await nextResolve(specifier, context);
    if (context.parentURL === undefined) entryUrls.add(resolved.url);
    return resolved;
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
    for (const candidate of typeScriptCandidates(specifier, context.parentURL)) {
      try {
        return await nextResolve(candidate, context);
      } catch {
        // Try the next one; the original error is the one to report.
      }
    }
    throw error;
  }
}

export async function load(
  url: string,
  context: LoadContext,
  nextLoad: (url: string, context: LoadContext) => Promise<LoadResult>,
): Promise<LoadResult> {
  if (transformer === undefined || !url.startsWith("file:")) return nextLoad(url, context);
  const filename = fileURLToPath(url);
  if (needsCompiling(filename)) {
    const source = fs.readFileSync(filename, "utf8");
    if (await withBabel(() => transformer!.moduleFormatOf(filename, source)) === "commonjs") {
      // No source: Node hands the file to the CommonJS loader, where the require hook
      // strips and instruments it (and `require` inside it keeps working). Imported by an
      // ES module, it gets the exports of its compiled code (commonjs-facade.ts).
      if (entryUrls.has(url)) return { format: "commonjs", shortCircuit: true };
      const codeOf = (file: string) => transformer!.transform(file, fs.readFileSync(file, "utf8"), "commonjs");
      return { format: "module", source: await withBabel(() => commonJsFacade(filename, codeOf)), shortCircuit: true };
    }
    return { format: "module", source: await withBabel(() => transformer!.transform(filename, source, "module")), shortCircuit: true };
  }
  const loaded = await nextLoad(url, context);
  if (loaded.format !== "module" || loaded.source == null || !transformer.needsTransform(filename)) return loaded;
  const source = typeof loaded.source === "string" ? loaded.source : Buffer.from(loaded.source as Uint8Array).toString("utf8");
  return { format: "module", source: await withBabel(() => transformer!.transform(filename, source, "module")) };
}
