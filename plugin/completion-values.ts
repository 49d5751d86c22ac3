// A script's completion value (what eval, vm.runInContext and `node -p` give back) is the
// value of the last statement that has one. A counter statement `C[i] = 1;` has the value 1:
// where nothing with a value of its own runs after it, it would become the script's value
// (`if (x) {}` gets `else C[i] = 1;`, `"use strict"; function f() {}` gets `C[0] = 1;` after
// the directive). Those counters are written `var C = (C[i] = 1, C);`: a var statement has
// no value, and C is the file's own var already, so nothing else changes. ES modules have
// no completion value, and neither do function bodies, so only scripts, outside functions.
//
// A `break` or `continue` skips the rest of its list: the value of `{ C[i] = 1; continue; }`
// is the counter's (`if (x) continue; y;` gets that block), though a value follows in the
// list around it. So a statement that can jump out of its list is looked into whatever
// follows it, and unless it always has a value of its own (an `if`, a loop, a `switch`, a
// `try` or a `with` gives `undefined` for an empty one) it does not count as a value for
// what comes before it.

import type { types as T } from "@babel/core";
import { t } from "./babel-types";
import type { AbruptExits } from "./abrupt-exits";

type Jumps = Pick<AbruptExits, "mayJumpOut">;

/** Whether `expression` is only counter increments of `countersName` (`C[i] = 1`, `C[i]++`, or a sequence of them). */
function isCounterIncrement(expression: T.Expression, countersName: string): boolean {
  if (t.isSequenceExpression(expression)) return expression.expressions.every((part) => isCounterIncrement(part, countersName));
  const slot = t.isAssignmentExpression(expression) ? expression.left : t.isUpdateExpression(expression) ? expression.argument : null;
  return t.isMemberExpression(slot) && t.isIdentifier(slot.object, { name: countersName }) && t.isNumericLiteral(slot.property);
}

/** Statements whose completion is empty: the value before them stays the list's value. */
function hasNoValue(statement: T.Statement): boolean {
  if (t.isBlockStatement(statement)) return statement.body.every(hasNoValue);
  if (t.isLabeledStatement(statement)) return hasNoValue(statement.body);
  return t.isDeclaration(statement) || t.isEmptyStatement(statement) || t.isDebuggerStatement(statement) ||
    t.isBreakStatement(statement) || t.isContinueStatement(statement);
}

/** Statements whose completion is never empty, also when a `break` or `continue` leaves them. */
function neverEmpty(statement: T.Statement): boolean {
  return t.isIfStatement(statement) || t.isLoop(statement) || t.isSwitchStatement(statement) ||
    t.isTryStatement(statement) || t.isWithStatement(statement);
}

/** Whether a `break` or `continue` can skip what follows `statement` in its list, or in a labeled statement's body. */
function mayJump(statement: T.Statement, exits: Jumps): boolean {
  return exits.mayJumpOut(statement) || (t.isLabeledStatement(statement) && exits.mayJumpOut(statement.body));
}

/** `var C = (INCREMENT, C);` */
function withoutValue(increment: T.Expression, countersName: string): T.VariableDeclaration {
  return t.variableDeclaration("var", [t.variableDeclarator(t.identifier(countersName), t.sequenceExpression([increment, t.identifier(countersName)]))]);
}

/**
 * The statement lists inside `statement` whose values can become its own value: blocks,
 * branches, loop bodies, try blocks, switch cases; not functions or classes.
 */
function innerStatementSlots(statement: T.Statement): Array<{ node: T.Node; key: string }> {
  if (t.isBlockStatement(statement)) return [{ node: statement, key: "body" }];
  if (t.isIfStatement(statement)) return [{ node: statement, key: "consequent" }, ...(statement.alternate ? [{ node: statement, key: "alternate" }] : [])];
  if (t.isLoop(statement) || t.isWithStatement(statement) || t.isLabeledStatement(statement)) return [{ node: statement, key: "body" }];
  if (t.isTryStatement(statement)) {
    return [{ node: statement.block, key: "body" }, ...(statement.handler ? [{ node: statement.handler.body, key: "body" }] : [])];
  }
  if (t.isSwitchStatement(statement)) return statement.cases.map((switchCase) => ({ node: switchCase, key: "consequent" }));
  return [];
}

/** Rewrites the counters of `list` (and of the lists inside it) that could give it its value. */
function keepListValue(list: T.Statement[], countersName: string, exits: Jumps): void {
  let valueFollows = false;
  for (let index = list.length - 1; index >= 0; index--) {
    const statement = list[index];
    if (!valueFollows && t.isExpressionStatement(statement) && isCounterIncrement(statement.expression, countersName)) {
      list[index] = withoutValue(statement.expression, countersName);
      continue;
    }
    // A statement followed by a value cannot give the list its value (a loop's body can, in its
    // last run: it is followed by nothing), unless a break or continue in it skips that value.
    const jumps = mayJump(statement, exits);
    if (!valueFollows || jumps) keepStatementValue(statement, countersName, exits);
    valueFollows = jumps && !neverEmpty(statement) ? false : valueFollows || !hasNoValue(statement);
  }
}

function keepStatementValue(statement: T.Statement, countersName: string, exits: Jumps): void {
  for (const { node, key } of innerStatementSlots(statement)) {
    const slot = (node as unknown as Record<string, T.Statement | T.Statement[]>)[key];
    if (Array.isArray(slot)) {
      keepListValue(slot, countersName, exits);
    } else if (t.isExpressionStatement(slot) && isCounterIncrement(slot.expression, countersName)) {
      (node as unknown as Record<string, T.Statement>)[key] = withoutValue(slot.expression, countersName);
    } else {
      keepStatementValue(slot, countersName, exits);
    }
  }
}

/** Keeps the completion value of a script whose counters are in place (see above). */
export function keepScriptCompletionValue(program: T.Program, countersName: string, exits: Jumps): void {
  if (program.sourceType === "module") return;
  keepListValue(program.body, countersName, exits);
}
