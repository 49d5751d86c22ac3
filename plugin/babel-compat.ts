// What differs between the Babel majors the plugin supports, in one place. The AST
// differences that need no code are listed here too, so that a reader checking Babel 8's
// migration notes (https://babeljs.io/docs/v8-migration-api) finds every decision:
//
// - `import()` is an ImportExpression in Babel 8 (a CallExpression with an Import callee in
//   Babel 7): the walk follows each Babel's VISITOR_KEYS and no block rule looks at calls
//   other than optional ones, so both give the same blocks.
// - TypeScript type fields were renamed (`typeParameters` -> `typeArguments`,
//   `superTypeParameters` -> `superTypeArguments`, enum `members` -> `body`): node-walk.ts
//   skips the type-only fields under both names and reads the keys of the running Babel.
// - `BigIntLiteral.value` is a bigint in Babel 8, a string in Babel 7: `bigIntName`.
// - Babel 8's builders validate more strictly: the plugin builds only identifiers named
//   `__cov_kcov$<hex>`, valid in both, and writes the increments as plain nodes.
// - No path is requeued: counters are inserted in one pass over the plain walk's result
//   (counter-emission.ts), and the prelude by one `unshiftContainer`.
// - Babel 8 reads a file's input source map only when `sourceMaps` is on, Babel 7 always:
//   `inputSourceMap` reads it the way Babel 7 does when Babel 8 has not.
// - @babel/core 8 is an ES module; the plugin never imports it (babel-types.ts takes `t`
//   and `template` from the plugin API), and the CLI loads it through cli/babel.ts.

import * as fs from "node:fs";
import * as path from "node:path";
import { parseJson } from "../runtime/own-json";

/** The @babel/core versions the plugin runs under; also the package's peer range. */
export const SUPPORTED_BABEL = "^7.22.0 || ^8.0.0";

/**
 * The name JavaScript gives a function whose key is this BigInt literal (`{ 0x10n() {} }`
 * is named "16"). Babel 7 gives the literal's digits as written ("0x10", "1_000"),
 * Babel 8 the bigint itself.
 */
export function bigIntName(value: string | bigint): string {
  return typeof value === "bigint" ? value.toString() : BigInt(value.replace(/_/g, "")).toString();
}

/** Babel's own patterns for a `//# sourceMappingURL=` comment, inline (base64) and external. */
const INLINE_SOURCEMAP = /^[@#]\s+sourceMappingURL=data:(?:application|text)\/json;(?:charset[:=]\S+?;)?base64,(.*)$/;
const EXTERNAL_SOURCEMAP = /^[@#][ \t]+sourceMappingURL=([^\s'"`]+)[ \t]*$/;

interface BabelFile {
  inputMap?: { sourcemap?: unknown; toObject(): object } | null;
  opts: { filename?: string | null; root?: string; sourceMaps?: unknown; inputSourceMap?: unknown };
  ast: { comments?: readonly { value: string }[] | null };
}

/**
 * The file's input source map as a plain object, read only, or undefined. Babel keeps it in
 * a convert-source-map Converter, whose `toObject()` deep-copies it through JSON: for a
 * large map that copy cost more than the mapping, so the object it holds is used when present.
 */
export function inputSourceMap(babelFile: unknown): object | undefined {
  const file = babelFile as BabelFile;
  const converter = file.inputMap;
  if (converter) {
    return typeof converter.sourcemap === "object" && converter.sourcemap !== null ? converter.sourcemap : converter.toObject();
  }
  if (file.opts.sourceMaps || file.opts.inputSourceMap === false) return undefined;
  // Babel 8 with source maps off: read it as Babel 7 would have.
  if (typeof file.opts.inputSourceMap === "object" && file.opts.inputSourceMap !== null) return file.opts.inputSourceMap;
  const comments = (file.ast.comments ?? []).map((comment) => comment.value).reverse();
  try {
    const inline = comments.find((value) => INLINE_SOURCEMAP.test(value));
    if (inline !== undefined) return parseJson(Buffer.from(INLINE_SOURCEMAP.exec(inline)![1], "base64").toString("utf8"));
    const external = comments.find((value) => EXTERNAL_SOURCEMAP.test(value));
    const filename = file.opts.filename;
    if (external === undefined || typeof filename !== "string") return undefined;
    const mapFile = externalMapFile(filename, file.opts.root ?? path.dirname(filename), EXTERNAL_SOURCEMAP.exec(external)![1]);
    return mapFile === undefined ? undefined : parseJson(fs.readFileSync(mapFile, "utf8"));
  } catch {
    return undefined; // An unreadable map is ignored, as Babel ignores it.
  }
}

/** Babel 7's rule: a map outside the directory of the file is read only inside the file's package. */
function externalMapFile(filename: string, root: string, url: string): string | undefined {
  const dir = path.dirname(filename);
  const mapFile = path.resolve(dir, url);
  const outside = (from: string) => {
    const relative = path.relative(from, mapFile);
    return relative.startsWith("..") || path.isAbsolute(relative);
  };
  if (!outside(dir)) return mapFile;
  let packageRoot = root;
  for (let current = dir; ; current = path.dirname(current)) {
    if (fs.existsSync(path.join(current, "package.json"))) {
      packageRoot = current;
      break;
    }
    if (current === path.resolve(root) || current === path.dirname(current)) break;
  }
  return outside(packageRoot) ? undefined : mapFile;
}
