// Comparison tracing (plugin option `traceCmp`, docs/compare-area.md): which expressions
// are comparison sites, and how each reports its operands without changing what the
// program does. The hooks only record (runtime/compare-area.ts); the comparison, the
// method call and every operand's evaluation stay in the user's code, in the original
// order, evaluated once:
//
//   a OP b       ->  H.l(pc, hi, a, b) OP H.r()   l records and returns a, keeping b for r
//   a OP y       ->  H.p(pc, hi, a, y) OP y       y a local binding (below): read again, one call
//   x OP b       ->  x OP H.q(pc, hi, x, b)       the same for x
//   a OP 5       ->  H.ki(pc, hi, a, 5) OP 5      5 is a constant: re-evaluating it is free
//   5 OP b       ->  5 OP H.ki(pc, hi, b, 5)      the same record: the constant is arg1 either way
//   a OP "x"     ->  H.ks(pc, hi, a, "x") OP "x"  (and "x" OP b), as ki for a string constant
//   a OP 2.5     ->  H.k(pc, hi, a, 2.5) OP 2.5   any other constant (BigInt, fraction, past 32 bits)
//   5n OP b      ->  5n OP H.j(pc, hi, 5n, b)
//   switch (d)   ->  switch (H.s(pc, hi, d, C[i]))   C[i]: the constant case tests, built once per file
//   switch (d)   ->  switch (H.si(pc, hi, d, C[i]))  when every one of them is a 32-bit integer
//   s.m(x, ...)  ->  s.m(H.m(pc, hi, op, s, x, isConst), ...)   s a local binding: reading it again is pure
//   "PK".m(x)    ->  "PK".m(H.m(pc, hi, op, "PK", x, 2))         a string literal receiver: re-evaluating it is free
//
// A local binding is a name of the program's own that is never a property of an object
// (rereadableNames: not a global, not an import, not a classic script's top-level var or
// function; `with` bodies, where a name can be the object's getter, get no sites at all):
// reading it twice calls nothing and gives the same value, since no user code runs
// between the two reads.
//
// `pc` and `hi` are the low and high 32 bits of the site's PC. The hook is chosen at compile
// time by the constant's kind, so that at run time it checks only the other operand's type
// and calls the recorder for that pair of types (runtime/compare-area.ts CompareRecorders).
//
// Between `l` returning and `r` running no other code can run, so the one kept operand
// per realm is enough. `r` lets go of it: the hooks keep nothing of the program's alive,
// which a WeakRef or FinalizationRegistry of the program would see (and a large operand cost).
import type { types as T } from "@babel/core";
import { statementsTemplate, t } from "./babel-types";
import type { NodeCursor } from "./node-walk";
import type { Range } from "./block-rules";
import { stringifyJson } from "../runtime/own-json";

/** Where the hooks live at run time: runtime/compare-area.ts COMPARE_HOOKS_KEY. */
export const COMPARE_HOOKS_KEY = "babel-plugin-kcov.compare";

const OPERATORS = new Set(["===", "!==", "==", "!=", "<", "<=", ">", ">="]);

/** Traced methods and their `op` in the string area (runtime/compare-area.ts COMPARE_OPS). */
const METHOD_OPS: Record<string, number> = {
  startsWith: 2, endsWith: 3, includes: 4, indexOf: 5, localeCompare: 6, equals: 7,
};

export type CompareSiteKind = "operator" | "switch" | "method";

export interface CompareSite {
  kind: CompareSiteKind;
  node: T.BinaryExpression | T.SwitchStatement | T.CallExpression;
  /** What symbolize shows: `compare:===`, `compare:switch`, `compare:startsWith`. */
  label: string;
  range: Range;
  /** An operator site between two non-constants: the operand that is a local binding, read again instead of kept. */
  reread?: "left" | "right";
}

/**
 * Which names a site may read twice (`p`/`q`, method receivers): those whose every binding
 * is a plain variable. Not a global (any read of it may be a getter of the global object),
 * not an import (a property of another module's exports once compiled to CommonJS), and in
 * a script not a top-level `var` or function: in a classic script those are properties of
 * the global object, which may be accessors defined before the script ran. A script's
 * top-level `let`, `const` and `class` are not; an ES module's top level is its own.
 * By name, not by binding: a name is refused if any of its bindings could be such a property.
 */
export function rereadableNames(program: T.Program, scope: ProgramScope): (name: string) => boolean {
  const script = program.sourceType !== "module";
  return (name) => {
    if (Object.hasOwn(scope.globals, name)) return false;
    const topLevel = scope.getOwnBinding(name);
    if (topLevel === undefined) return true;
    if (topLevel.kind === "module") return false;
    return !script || topLevel.kind === "let" || topLevel.kind === "const";
  };
}

/** What rereadableNames needs of Babel's program scope. */
export interface ProgramScope {
  globals: Record<string, unknown>;
  getOwnBinding(name: string): { kind: string } | undefined;
}

/** A constant in the sense of KCOV_CMP_CONST: a literal, `-literal`, or a template without substitutions. */
function isConstant(node: T.Node): boolean {
  if (t.isNumericLiteral(node) || t.isStringLiteral(node) || t.isBigIntLiteral(node)) return true;
  if (t.isUnaryExpression(node) && node.operator === "-") return t.isNumericLiteral(node.argument) || t.isBigIntLiteral(node.argument);
  return t.isTemplateLiteral(node) && node.expressions.length === 0;
}

/** A string constant (isConstant) that can be a method's receiver: a string literal, or a template without substitutions. */
function isStringConstant(node: T.Node): boolean {
  return t.isStringLiteral(node) || (t.isTemplateLiteral(node) && node.expressions.length === 0);
}

/**
 * A method site's `isConst`, the type byte of its string record: bit 0 when the argument
 * (operand 1) is a constant, bit 1 when the receiver (operand 2) is a string constant.
 */
function methodConstBits(receiver: T.Node, argument: T.Node): number {
  return (isConstant(argument) ? 1 : 0) | (isStringConstant(receiver) ? 2 : 0);
}

/** What kind of constant a node is (isConstant), which picks its site's hook. */
function constantKind(node: T.Node): "int32" | "string" | "other" {
  if (t.isStringLiteral(node) || t.isTemplateLiteral(node)) return "string";
  const value = t.isNumericLiteral(node) ? node.value
    : t.isUnaryExpression(node) && t.isNumericLiteral(node.argument) ? -node.argument.value : undefined;
  return value !== undefined && (value | 0) === value ? "int32" : "other";
}

/** The hook for a comparison against a constant of this kind. */
const CONSTANT_HOOKS = { int32: "ki", string: "ks" } as const;

/**
 * Operands whose comparisons the runtime never records (booleans, null, undefined, type
 * names from `typeof`, object literals): such sites are left alone, which saves their cost.
 */
function isUntraceable(node: T.Node): boolean {
  return t.isBooleanLiteral(node) || t.isNullLiteral(node) || (t.isIdentifier(node) && node.name === "undefined") ||
    (t.isUnaryExpression(node) && (node.operator === "typeof" || node.operator === "void" || node.operator === "!")) ||
    t.isObjectExpression(node) || t.isArrayExpression(node) || t.isFunction(node) || t.isClass(node) ||
    t.isRegExpLiteral(node);
}

function rangeOf(node: T.Node): Range | undefined {
  return node.loc ? { start: node.loc.start, end: node.loc.end } : undefined;
}

/**
 * The comparison site at this node, if it is one. `isLocalName` says whether an identifier
 * names a binding of the program (not a global), so that reading it again calls nothing.
 */
export function compareSiteAt(cursor: NodeCursor, isLocalName: (name: string) => boolean): CompareSite | undefined {
  const node = cursor.node;
  const range = rangeOf(node);
  if (!range) return undefined;
  const isLocal = (operand: T.Node): boolean => t.isIdentifier(operand) && isLocalName(operand.name);
  if (t.isBinaryExpression(node)) {
    if (!OPERATORS.has(node.operator) || t.isPrivateName(node.left)) return undefined;
    if (isUntraceable(node.left) || isUntraceable(node.right)) return undefined;
    const site: CompareSite = { kind: "operator", node, label: `compare:${node.operator}`, range };
    if (!isConstant(node.left) && !isConstant(node.right)) {
      if (isLocal(node.right)) site.reread = "right";
      else if (isLocal(node.left)) site.reread = "left";
    }
    return site;
  }
  if (t.isSwitchStatement(node)) {
    if (!node.cases.some((c) => c.test && isConstant(c.test))) return undefined;
    return { kind: "switch", node, label: "compare:switch", range };
  }
  if (t.isCallExpression(node)) {
    const callee = node.callee;
    if (!t.isMemberExpression(callee) || callee.computed || callee.optional || !t.isIdentifier(callee.property)) return undefined;
    if (!Object.hasOwn(METHOD_OPS, callee.property.name)) return undefined;
    const receiver = callee.object;
    if (!(t.isThisExpression(receiver) || isLocal(receiver) || isStringConstant(receiver))) return undefined;
    const first = node.arguments[0];
    if (first === undefined || t.isSpreadElement(first) || t.isArgumentPlaceholder(first) || isUntraceable(first)) return undefined;
    // Two constants: every run gives the same record, which teaches a fuzzer nothing.
    if (methodConstBits(receiver, first) === 3) return undefined;
    return { kind: "method", node, label: `compare:${callee.property.name}`, range };
  }
  return undefined;
}

export interface CompareEmitter {
  /** The hooks object: `H`, or `(H || (H = init()))` where code can run before the prelude. */
  hooks(): T.Expression;
  /**
   * A switch's constant case tests, as an element of the file's case table: `C[i]`, or
   * `(C || (C = init()))[i]`. The table is built once, so a switch allocates nothing when
   * it runs. The tests are literals, so building them early changes nothing.
   */
  cases(constants: T.Expression[]): T.Expression;
}

function hookCall(emitter: CompareEmitter, name: string, args: T.Expression[]): T.CallExpression {
  return t.callExpression(t.memberExpression(emitter.hooks(), t.identifier(name)), args);
}

/** Rewrites one site in place (its node keeps its identity, so parents and other sites stay valid). */
export function emitCompareSite(site: CompareSite, sitePc: bigint, emitter: CompareEmitter): void {
  // The PC as its two 32-bit halves: a double cannot hold every 64-bit PC.
  const pcLow = t.numericLiteral(Number(sitePc & 0xffffffffn));
  const pcHigh = t.numericLiteral(Number(sitePc >> 32n));
  switch (site.kind) {
    case "operator": {
      const node = site.node as T.BinaryExpression;
      const left = node.left as T.Expression;
      const right = node.right;
      if (isConstant(right)) {
        const kind = constantKind(right);
        node.left = hookCall(emitter, kind === "other" ? "k" : CONSTANT_HOOKS[kind], [pcLow, pcHigh, left, t.cloneNode(right)]);
      } else if (isConstant(left)) {
        const kind = constantKind(left);
        node.right = kind === "other"
          ? hookCall(emitter, "j", [pcLow, pcHigh, t.cloneNode(left), right])
          : hookCall(emitter, CONSTANT_HOOKS[kind], [pcLow, pcHigh, right, t.cloneNode(left)]);
      } else if (site.reread === "right" && t.isIdentifier(right)) {
        node.left = hookCall(emitter, "p", [pcLow, pcHigh, left, t.cloneNode(right)]);
      } else if (site.reread === "left" && t.isIdentifier(left)) {
        node.right = hookCall(emitter, "q", [pcLow, pcHigh, t.cloneNode(left), right]);
      } else {
        node.left = hookCall(emitter, "l", [pcLow, pcHigh, left, right]);
        node.right = hookCall(emitter, "r", []);
      }
      break;
    }
    case "switch": {
      const node = site.node as T.SwitchStatement;
      // Without their locations: they move to the case table at the top of the file.
      const tests = node.cases.filter((c) => c.test && isConstant(c.test)).map((c) => c.test!);
      const hook = tests.every((test) => constantKind(test) === "int32") ? "si" : "s";
      const constants = tests.map((test) => t.cloneNode(test, true, true));
      node.discriminant = hookCall(emitter, hook, [pcLow, pcHigh, node.discriminant, emitter.cases(constants)]);
      break;
    }
    case "method": {
      const node = site.node as T.CallExpression;
      const callee = node.callee as T.MemberExpression;
      const first = node.arguments[0] as T.Expression;
      const op = METHOD_OPS[(callee.property as T.Identifier).name];
      node.arguments[0] = hookCall(emitter, "m", [
        pcLow, pcHigh, t.numericLiteral(op), t.cloneNode(callee.object as T.Expression), first, t.numericLiteral(methodConstBits(callee.object, first)),
      ]);
      break;
    }
  }
}

/**
 * The hooks, as every instrumented file with traceCmp defines them on the realm's shared
 * object if no file did before: ES5, since they run wherever the user's code runs.
 * `record` is null until a device is enabled with KCOV_TRACE_CMP; the device then sets
 * the specialised recorders too (runtime/compare-area.ts installRecorders). Where only
 * `record` is set (a runtime from before them), the ones defined here pass each record on
 * to it. A file defines the hooks again when the object's are of an older version
 * (HOOKS_VERSION), so a realm's hooks are the newest any of its files brought. Never throws: when the program
 * made the shared object unreachable or unusable before the file loaded (took `Symbol`
 * away, froze the object), the file gets hooks of its own that record nothing.
 */
const HOOKS_VERSION = 3;

function hooksSource(global: string): string {
  return `
function %%initName%%() {
  try {
    var g = ${global}, key = g.Symbol.for(${stringifyJson(COMPARE_HOOKS_KEY)});
    var h = g[key] || (g[key] = { record: null });
    if (!(h.version >= ${HOOKS_VERSION})) defineHooks(h);
    if (typeof h.q === "function") return h;
  } catch (error) {}
  h = { record: null };
  defineHooks(h);
  return h;
  function recordPair(h, pc, hi, a, b) {
    if (typeof a === "number" && typeof b === "number" && (a | 0) === a && (b | 0) === b) h.recordInt32(pc, hi, a, b, 0);
    else if (typeof a === "string" && typeof b === "string") { if (a !== b) h.recordStrings(pc, hi, a, b, 0, 0); }
    else h.record(pc, hi, a, b, 0, 0);
  }
  function defineHooks(h) {
    h.kept = undefined;
    if (!h.recordInt32) {
      h.recordInt32 = function (pc, hi, a, b, isConst) { this.record(pc, hi, a, b, isConst, 0); };
      h.recordStrings = function (pc, hi, a, b, isConst, op) { this.record(pc, hi, a, b, isConst, op); };
      h.recordSwitch = function (pc, hi, cases, d) { this.record(pc, hi, cases, d, 1, 1); };
      h.recordSwitchInt32 = h.recordSwitch;
    }
    h.l = function (pc, hi, a, b) { this.kept = b; if (this.record !== null) recordPair(this, pc, hi, a, b); return a; };
    h.r = function () { var b = this.kept; this.kept = undefined; return b; };
    h.p = function (pc, hi, a, b) { if (this.record !== null) recordPair(this, pc, hi, a, b); return a; };
    h.q = function (pc, hi, a, b) { if (this.record !== null) recordPair(this, pc, hi, a, b); return b; };
    h.ki = function (pc, hi, x, k) {
      if (this.record !== null) {
        if (typeof x === "number" && (x | 0) === x) this.recordInt32(pc, hi, k, x, 1);
        else this.record(pc, hi, k, x, 1, 0);
      }
      return x;
    };
    h.ks = function (pc, hi, x, k) {
      if (this.record !== null && typeof x === "string" && x !== k) this.recordStrings(pc, hi, k, x, 1, 0);
      return x;
    };
    h.k = function (pc, hi, a, k) { if (this.record !== null) this.record(pc, hi, k, a, 1, 0); return a; };
    h.j = function (pc, hi, k, b) { if (this.record !== null) this.record(pc, hi, k, b, 1, 0); return b; };
    h.s = function (pc, hi, d, cases) { if (this.record !== null) this.recordSwitch(pc, hi, cases, d); return d; };
    h.si = function (pc, hi, d, cases) {
      if (this.record !== null) {
        if (typeof d === "number" && (d | 0) === d) this.recordSwitchInt32(pc, hi, cases, d);
        else this.recordSwitch(pc, hi, cases, d);
      }
      return d;
    };
    h.m = function (pc, hi, op, self, a, isConst) { if (this.record !== null) this.record(pc, hi, a, self, isConst, op); return a; };
    h.version = ${HOOKS_VERSION};
  }
}
var %%hooksName%% = %%initName%%();`;
}

/** The names a file's comparison code uses: the hooks variable, the case table, and their init functions. */
export interface CompareNames {
  hooks: string;
  hooksInit: string;
  cases: string;
  casesInit: string;
}

/**
 * The statements that define the file's hooks variable and case table; they go right
 * after the registration. `global`: the registration's expression for the global object.
 */
export function compareHooksPrelude(names: CompareNames, caseTable: readonly T.Expression[][], global: string): T.Statement[] {
  const statements = statementsTemplate(hooksSource(global))({ hooksName: t.identifier(names.hooks), initName: t.identifier(names.hooksInit) });
  if (caseTable.length > 0) {
    statements.push(
      t.functionDeclaration(t.identifier(names.casesInit), [], t.blockStatement([
        t.returnStatement(t.arrayExpression(caseTable.map((constants) => t.arrayExpression(constants)))),
      ])),
      t.variableDeclaration("var", [
        t.variableDeclarator(t.identifier(names.cases), t.callExpression(t.identifier(names.casesInit), [])),
      ]),
    );
  }
  return statements;
}

/** `name`, or `(name || (name = init()))` where code can run before the prelude has set it. */
function initialised(name: string, init: string, lazy: boolean): T.Expression {
  return lazy
    ? t.logicalExpression("||", t.identifier(name), t.assignmentExpression("=", t.identifier(name), t.callExpression(t.identifier(init), [])))
    : t.identifier(name);
}

/** An emitter; the eager and the lazy one of a file share its case table. */
export function createCompareEmitter(names: CompareNames, lazy: boolean, caseTable: T.Expression[][]): CompareEmitter {
  return {
    hooks: () => initialised(names.hooks, names.hooksInit, lazy),
    cases: (constants) => {
      caseTable.push(constants);
      return t.memberExpression(initialised(names.cases, names.casesInit, lazy), t.numericLiteral(caseTable.length - 1), true);
    },
  };
}
