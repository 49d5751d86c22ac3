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
//   `__kcov$<hex>`, valid in both, and writes the increments as plain nodes.
// - No path is requeued: counters are inserted in one pass over the plain walk's result
//   (counter-emission.ts), and the prelude by one `unshiftContainer`.
// - @babel/core 8 is an ES module; the plugin never imports it (babel-types.ts takes `t`
//   and `template` from the plugin API), and the CLI loads it through cli/babel.ts.

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
