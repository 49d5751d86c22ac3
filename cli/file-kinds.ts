// Which files jskcov's hooks take, by extension: what Node runs itself, what needs
// compiling first (TypeScript, JSX), and what the require hook registers for.

import * as path from "node:path";

export const TYPESCRIPT_EXTENSIONS = [".ts", ".mts", ".cts", ".tsx"];
/** Files Node cannot run as they are: TypeScript, and JSX, which needs the project's config. */
export const COMPILED_EXTENSIONS = [...TYPESCRIPT_EXTENSIONS, ".jsx"];
export const JAVASCRIPT_EXTENSIONS = [".js", ".mjs", ".cjs", ".jsx", ".es6", ".es"];

export function isTypeScript(filename: string): boolean {
  return TYPESCRIPT_EXTENSIONS.includes(path.extname(filename));
}

/** Files Node cannot load without a compile step. */
export function needsCompiling(filename: string): boolean {
  return COMPILED_EXTENSIONS.includes(path.extname(filename));
}

/** The extensions the require hook takes (.mjs and .mts are ES modules, never required). */
export function requireHookExtensions(): string[] {
  return [...JAVASCRIPT_EXTENSIONS, ...TYPESCRIPT_EXTENSIONS].filter((ext) => ext !== ".mjs" && ext !== ".mts");
}
