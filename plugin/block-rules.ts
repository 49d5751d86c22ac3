// What counts as a basic block. This file is the one place that decides it: each rule
// below names a construct, the block(s) it starts, and where the counter goes. It does
// not emit code (counter-emission.ts) and does not choose PCs (pc-layout.ts).
import type { types as T } from "@babel/core";
import { t } from "./babel-types";
import type { BlockKind } from "./block-table";
import { propertyKeyName } from "./function-names";
import type { NodeCursor } from "./node-walk";

/** Where a block's counter is placed. Every placement keeps the program's behaviour. */
export type Placement =
  /** First statement of a statement list (after directives): `{ COUNTER; ... }`. */
  | { type: "list-start"; list: T.Statement[] }
  /** Just before `statement` in `list`: the join point after a control-flow statement. */
  | { type: "before-statement"; list: T.Statement[]; statement: T.Statement }
  /**
   * A lone statement in a slot, counted before it: `if (a) f();` -> `if (a) COUNTER, f();`,
   * `if (a) break;` -> `if (a) { COUNTER; break; }`.
   */
  | { type: "wrap-statement"; parent: T.Node; key: string }
  /**
   * An expression becomes `(COUNTER, expression)`. When the expression is an anonymous
   * function or class whose name comes from its position (`x = () => {}`), it is kept
   * named as `(COUNTER, { [name]: expression }[name])`. A class expression counts inside
   * itself instead (see `countInsideClass` in counter-emission.ts).
   */
  | { type: "wrap-expression"; parent: T.Node; key: string; keepName?: string }
  /** `if (a) x;` -> `if (a) x; else COUNTER;` */
  | { type: "add-else"; statement: T.IfStatement }
  /** A switch without default gets `default: COUNTER; break;` as its first clause. */
  | { type: "add-default"; statement: T.SwitchStatement }
  /** `a?.b` -> `a?.[(COUNTER, "b")]`: runs only when `a` is not nullish. */
  | { type: "optional-property"; member: T.OptionalMemberExpression }
  /**
   * `a?.(x)` -> `a?.((COUNTER, x))`, `a?.()` -> `a?.(...(COUNTER, E))` with E an empty
   * iterable (`spreadPrelude` in counter-emission.ts). `chainParent`: the call ends its
   * chain, its callee is a plain reference that can be written twice, and it has no
   * arguments; it is then branched as `spreadPrelude` says, in `chainParent`.
   */
  | { type: "optional-arguments"; call: T.OptionalCallExpression; chainParent?: T.Node };

export interface Range {
  start: T.SourceLocation["start"];
  end: T.SourceLocation["end"];
}

export interface BlockSite {
  kind: BlockKind;
  range: Range;
  placement: Placement;
}

type Rule<N extends T.Node> = (cursor: NodeCursor<N>, found: BlockSite[]) => void;

function range(node: T.Node): Range | undefined {
  return node.loc ? { start: node.loc.start, end: node.loc.end } : undefined;
}

/** An empty range at the end of `node`: for blocks that have no code of their own. */
function emptyRangeAtEnd(node: T.Node): Range | undefined {
  return node.loc ? { start: node.loc.end, end: node.loc.end } : undefined;
}

function add(found: BlockSite[], kind: BlockKind, where: Range | undefined, placement: Placement): void {
  // Nodes made by other plugins have no location: they are not the user's code.
  if (where) found.push({ kind, range: where, placement });
}

/** A statement slot that may hold a block or a lone statement (if/loop bodies). */
function statementBody(found: BlockSite[], kind: BlockKind, parent: T.Node, key: string): void {
  const body = (parent as unknown as Record<string, T.Statement>)[key];
  if (t.isBlockStatement(body)) add(found, kind, range(body), { type: "list-start", list: body.body });
  else add(found, kind, range(body), { type: "wrap-statement", parent, key });
}

/** Looks through TypeScript-only wrappers, which vanish before the code runs. */
export function withoutTypeWrappers(node: T.Node): T.Node {
  while (t.isTSAsExpression(node) || t.isTSSatisfiesExpression(node) || t.isTSNonNullExpression(node) ||
         t.isTSTypeAssertion(node) || t.isParenthesizedExpression(node)) {
    node = node.expression;
  }
  return node;
}

/** ECMAScript's IsAnonymousFunctionDefinition: such values take their name from their target. */
function isAnonymousFunctionDefinition(node: T.Node): boolean {
  const inner = withoutTypeWrappers(node);
  return t.isArrowFunctionExpression(inner) ||
    ((t.isFunctionExpression(inner) || t.isClassExpression(inner)) && !inner.id);
}

/** Marks a position that names its value with a key only known at run time. */
const RUNTIME_NAME = Symbol("name known only at run time");

/**
 * An expression slot. `positionName` is the name the slot gives an anonymous function or
 * class placed in it (NamedEvaluation: `x = () => {}` is named "x"), or null if none.
 */
function expressionBranch(found: BlockSite[], kind: BlockKind, parent: T.Node, key: string,
                          positionName: string | typeof RUNTIME_NAME | null = null): void {
  const value = (parent as unknown as Record<string, T.Expression>)[key];
  let keepName: string | undefined;
  if (positionName !== null && isAnonymousFunctionDefinition(value)) {
    // Wrapping would lose a name we cannot reproduce: leave this rare case uncounted.
    if (positionName === RUNTIME_NAME) return;
    keepName = positionName;
  }
  add(found, kind, range(value), { type: "wrap-expression", parent, key, keepName });
}

/** The name an assignment target gives its value: only a plain identifier gives one. */
function targetName(target: T.Node): string | null {
  return t.isIdentifier(target) ? target.name : null;
}

/** The outermost node of the optional chain that `node` is a link of. */
function chainEnd(cursor: NodeCursor): T.Node {
  let current = cursor;
  while (current.parent &&
         ((t.isOptionalMemberExpression(current.parent.node) && current.key === "object") ||
          (t.isOptionalCallExpression(current.parent.node) && current.key === "callee"))) {
    current = current.parent;
  }
  return current.node;
}

/**
 * The first call of the chain after the optional link at `cursor`, if nothing between can
 * short-circuit (`a?.b()`, `a?.b.c()`, `a?.b[k]()`, not `a?.b?.c()`): its arguments run
 * exactly when the link goes on, after every read the callee needs.
 */
function calledContinuation(cursor: NodeCursor): NodeCursor<T.OptionalCallExpression> | undefined {
  let current = cursor;
  while (current.parent) {
    const parent = current.parent.node;
    if (t.isOptionalMemberExpression(parent) && current.key === "object" && !parent.optional) {
      current = current.parent;
    } else {
      return t.isOptionalCallExpression(parent) && current.key === "callee" && !parent.optional
        ? current.parent as NodeCursor<T.OptionalCallExpression> : undefined;
    }
  }
  return undefined;
}

/** Names and property reads only (`a`, `this.#m`, `a?.b[0]`): written twice, it still has one site per link. */
function isPlainReference(node: T.Node): boolean {
  if (t.isIdentifier(node) || t.isThisExpression(node) || t.isSuper(node)) return true;
  if (t.isMemberExpression(node) || t.isOptionalMemberExpression(node)) {
    return isPlainReference(node.object) && (!node.computed || t.isStringLiteral(node.property) || t.isNumericLiteral(node.property));
  }
  return false;
}

/** The placement that counts in the arguments of `call` (see "optional-arguments"). */
function countInArguments(call: NodeCursor<T.OptionalCallExpression>): Placement {
  const node = call.node;
  const endsChain = chainEnd(call) === node;
  return node.arguments.length === 0 && endsChain && call.parent && isPlainReference(node.callee)
    ? { type: "optional-arguments", call: node, chainParent: call.parent.node }
    : { type: "optional-arguments", call: node };
}

function rangeBetween(from: T.Node, to: T.Node): Range | undefined {
  return from.loc && to.loc ? { start: from.loc.end, end: to.loc.end } : undefined;
}

const CONTROL_FLOW_STATEMENT = (node: T.Node): boolean =>
  t.isIfStatement(node) || t.isSwitchStatement(node) || t.isLoop(node) ||
  t.isTryStatement(node) || t.isLabeledStatement(node);

/**
 * Join points: in a statement list, the statement after a control-flow statement starts
 * a block, because control reaches it only when the construct completes normally (not
 * after a `return` in every branch, not before a `break label` lands there, and so on).
 * Its range runs to the end of the list.
 */
function joinPoints(list: T.Statement[], found: BlockSite[]): void {
  const last = list[list.length - 1];
  for (let i = 0; i + 1 < list.length; i++) {
    if (!CONTROL_FLOW_STATEMENT(list[i])) continue;
    const next = list[i + 1];
    const where = next.loc && last.loc ? { start: next.loc.start, end: last.loc.end } : undefined;
    add(found, "join", where, { type: "before-statement", list, statement: next });
  }
}

/** A construct whose statement list is not a BlockStatement: its entry and its join points. */
function ownStatementList(found: BlockSite[], kind: BlockKind, node: T.Node, list: T.Statement[]): void {
  add(found, kind, range(node), { type: "list-start", list });
  joinPoints(list, found);
}

function functionEntry(cursor: NodeCursor<T.Function>, found: BlockSite[]): void {
  const fn = cursor.node;
  if (t.isBlockStatement(fn.body)) {
    add(found, "function", range(fn), { type: "list-start", list: fn.body.body });
  } else {
    // Expression-bodied arrow: `x => x + 1` -> `x => (COUNTER, x + 1)`.
    add(found, "function", range(fn), { type: "wrap-expression", parent: fn, key: "body" });
  }
}

function classField(cursor: NodeCursor<T.ClassProperty | T.ClassPrivateProperty | T.ClassAccessorProperty>, found: BlockSite[]): void {
  const field = cursor.node;
  if (!field.value) return; // `x;` runs no code of its own
  const computed = "computed" in field && Boolean(field.computed);
  expressionBranch(found, "class-field", field, "value", propertyKeyName(field.key, computed) ?? RUNTIME_NAME);
}

/**
 * The rules, by node type. Read top to bottom; each says which blocks a construct starts.
 * Code units (program, functions, field initializers, static blocks) are tracked by the
 * walker in instrument.ts; rules only report sites.
 */
export const blockRules: { [K in T.Node["type"]]?: Rule<Extract<T.Node, { type: K }>> } = {
  // Program entry: the first statement of the script or module.
  Program(cursor, found) { ownStatementList(found, "program", cursor.node, cursor.node.body); },

  // Function entry, for every form: declarations, expressions, arrows (also
  // expression-bodied), object and class methods, getters/setters, constructors,
  // generators, async functions, private methods. The counter is the first statement of
  // the body, after parameter defaults ran; before `super()` is fine since it does not
  // touch `this`.
  FunctionDeclaration: functionEntry,
  FunctionExpression: functionEntry,
  ArrowFunctionExpression: functionEntry,
  ObjectMethod: functionEntry,
  ClassMethod: functionEntry,
  ClassPrivateMethod: functionEntry,

  // Class static blocks and each class field initializer run as code units of their own.
  StaticBlock(cursor, found) { ownStatementList(found, "static-block", cursor.node, cursor.node.body); },
  ClassProperty: classField,
  ClassPrivateProperty: classField,
  ClassAccessorProperty: classField,

  // Statement lists: the join point after each control-flow statement.
  BlockStatement(cursor, found) { joinPoints(cursor.node.body, found); },
  TSModuleBlock(cursor, found) { joinPoints(cursor.node.body, found); },

  // `if`: the consequent, and the alternate or, without one, the implicit else, so that
  // both outcomes of the test are observable. `else if` counts in its test.
  IfStatement(cursor, found) {
    const statement = cursor.node;
    statementBody(found, "if-consequent", statement, "consequent");
    if (!statement.alternate) {
      add(found, "if-implicit-else", emptyRangeAtEnd(statement), { type: "add-else", statement });
    } else if (t.isIfStatement(statement.alternate)) {
      add(found, "if-alternate", range(statement.alternate), { type: "wrap-expression", parent: statement.alternate, key: "test" });
    } else {
      statementBody(found, "if-alternate", statement, "alternate");
    }
  },

  // `switch`: every case body, entered by a match or by fall-through (an empty body
  // too), and the implicit "no case matched" edge when there is no default.
  SwitchStatement(cursor, found) {
    const statement = cursor.node;
    for (const clause of statement.cases) {
      const body = clause.consequent;
      const where = body.length > 0 && body[0].loc && body[body.length - 1].loc
        ? { start: body[0].loc.start, end: body[body.length - 1].loc!.end }
        : emptyRangeAtEnd(clause);
      add(found, "switch-case", where, { type: "list-start", list: body });
    }
    if (!statement.cases.some((clause) => clause.test === null)) {
      add(found, "switch-implicit-default", emptyRangeAtEnd(statement), { type: "add-default", statement });
    }
  },
  SwitchCase(cursor, found) { joinPoints(cursor.node.consequent, found); },

  // Loop bodies of all five loop forms.
  ForStatement(cursor, found) { statementBody(found, "loop-body", cursor.node, "body"); },
  ForInStatement(cursor, found) { statementBody(found, "loop-body", cursor.node, "body"); },
  ForOfStatement(cursor, found) { statementBody(found, "loop-body", cursor.node, "body"); },
  WhileStatement(cursor, found) { statementBody(found, "loop-body", cursor.node, "body"); },
  DoWhileStatement(cursor, found) { statementBody(found, "loop-body", cursor.node, "body"); },

  // `catch` and `finally` bodies.
  CatchClause(cursor, found) {
    add(found, "catch", range(cursor.node), { type: "list-start", list: cursor.node.body.body });
  },
  TryStatement(cursor, found) {
    const finalizer = cursor.node.finalizer;
    if (finalizer) add(found, "finally", range(finalizer), { type: "list-start", list: finalizer.body });
  },

  // Expression-level branches: both arms of `?:`.
  ConditionalExpression(cursor, found) {
    expressionBranch(found, "conditional-consequent", cursor.node, "consequent");
    expressionBranch(found, "conditional-alternate", cursor.node, "alternate");
  },

  // The right operand of `&&`, `||`, `??`: evaluated only when not short-circuited.
  LogicalExpression(cursor, found) {
    expressionBranch(found, "logical-right", cursor.node, "right");
  },

  // The right side of `&&=`, `||=`, `??=` (named after an identifier target).
  AssignmentExpression(cursor, found) {
    const { operator, left } = cursor.node;
    if (operator === "&&=" || operator === "||=" || operator === "??=") {
      expressionBranch(found, "logical-assignment-right", cursor.node, "right", targetName(left));
    }
  },

  // Default values of parameters and of destructuring patterns.
  AssignmentPattern(cursor, found) {
    expressionBranch(found, "default-value", cursor.node, "right", targetName(cursor.node.left));
  },

  // The continuation of an optional chain, so "short-circuited" and "went on" differ.
  OptionalMemberExpression(cursor, found) {
    const member = cursor.node;
    if (!member.optional) return;
    const where = rangeBetween(member.object, chainEnd(cursor));
    const call = calledContinuation(cursor);
    if (call) {
      // `a?.b()`, `a?.b.c()`: count in the arguments, which run before the callability
      // check, so that V8's "a?.b.c is not a function", printed from the source text,
      // stays the same.
      add(found, "optional-continuation", where, countInArguments(call));
    } else if (!t.isPrivateName(member.property)) {
      add(found, "optional-continuation", where, { type: "optional-property", member });
    }
    // `a?.#x` not called: no slot for a counter that runs only when `a` is not nullish.
  },
  OptionalCallExpression(cursor, found) {
    const call = cursor.node;
    if (!call.optional) return;
    add(found, "optional-continuation", rangeBetween(call.callee, chainEnd(cursor)), countInArguments(cursor));
  },
};
