// The ES module an `import` of a CommonJS TypeScript or JSX file gets (esm-hooks.ts).
// Node gives an import of a CommonJS file the names cjs-module-lexer finds in its source,
// which its loader reads from disk: in TypeScript source (`export const x: number = 1`)
// it finds none of the exports the compiled file makes, so `import { x } from "./a.cts"`
// failed, where the compiled JavaScript under Node works. The facade requires the file
// (Node's CommonJS loader and jskcov's require hook, as before: `require`, `require.cache`
// and `module` inside it are Node's) and exports what Node would export for the compiled
// file: the names the same lexer finds in the compiled code and in the files it re-exports,
// each the module's own property of that name (else undefined), and `default`, the
// module's exports.

import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { parse } from "cjs-module-lexer";
import { needsCompiling } from "./file-kinds";
import { stringifyJson } from "../runtime/own-json";

/** The file's code as the require hook runs it (compiled for TypeScript and JSX). */
export type CommonJsCode = (filename: string) => string;

export function commonJsFacade(filename: string, codeOf: CommonJsCode): string {
  const names = [...exportNames(filename, codeOf, new Set([filename]))].filter((name) => name !== "default");
  const lines = [
    'import { createRequire } from "node:module";',
    `const exported = createRequire(import.meta.url)(${stringifyJson(filename)});`,
    "const own = (name) => { try { return Object.prototype.hasOwnProperty.call(exported, name) ? exported[name] : undefined; } catch { return undefined; } };",
    ...names.map((name, i) => `const export${i} = own(${stringifyJson(name)});`),
    ...(names.length > 0 ? [`export { ${names.map((name, i) => `export${i} as ${stringifyJson(name)}`).join(", ")} };`] : []),
    "export default exported;",
  ];
  return lines.join("\n") + "\n";
}

/** The names Node's loader finds (cjs-module-lexer, re-exports followed as Node follows them). */
function exportNames(filename: string, codeOf: CommonJsCode, seen: Set<string>): Set<string> {
  let lexed: { exports: string[]; reexports: string[] };
  try {
    lexed = parse(codeOf(filename));
  } catch {
    return new Set(); // Node too exports nothing but `default` from what the lexer cannot read
  }
  const names = new Set(lexed.exports);
  const requireFrom = createRequire(filename);
  for (const specifier of lexed.reexports) {
    let resolved: string;
    try {
      resolved = requireFrom.resolve(specifier);
    } catch {
      continue;
    }
    if (!path.isAbsolute(resolved) || seen.has(resolved)) continue;
    seen.add(resolved);
    const reexported = exportNames(resolved, (file) => (needsCompiling(file) ? codeOf(file) : fs.readFileSync(file, "utf8")), seen);
    for (const name of reexported) names.add(name);
  }
  return names;
}
