// Fewer counters for the same PCs: a join point that runs exactly when the start of its
// statement list runs can share that block's counter. The runtime still reports both
// PCs; only the increment is saved. This is the one pruning rule; it knows nothing about
// how counters are emitted or how PCs are chosen.
//
// Two rules, each for a join J (the statement after a control-flow statement):
//
// 1. Guard clauses. After `if (test) CONSEQUENT` without `else`, where CONSEQUENT cannot
//    complete normally (it ends in `return`, `throw`, `break` or `continue` on every
//    path), J runs exactly when the implicit else runs, on every path, exceptions
//    included: J shares the implicit else's counter.
// 2. Straight lists. In a statement list that starts with a counted block S (a function
//    body, an if branch, a loop body, a case, catch, finally, static block, the
//    program), J shares S's counter when every statement from the start of the list up
//    to J can only be left by falling through to the next statement: no `return`,
//    `throw`, `break`/`continue` to a target outside it, and no `yield` or `await` (a
//    flush could happen while suspended). On every path that completes normally, J then
//    runs exactly when S runs. They differ only when an exception thrown by a call or an
//    operator between S and J ends the list early (J is reported, though it did not
//    run), or when a loop between them never ends (the program does not complete).
import type { types as T } from "@babel/core";
import { t } from "./babel-types";
import type { Placement } from "./block-rules";
import { walk } from "./node-walk";

/** Whether control that enters `statement` can leave it other than by falling through. */
function mayLeaveAbruptly(statement: T.Statement): boolean {
  let leaves = false;
  const loops: boolean[] = []; // for each enclosing loop or switch inside `statement`: is it a loop?
  const labels: string[] = [];
  walk(statement, {
    enter({ node }) {
      if (leaves || t.isFunction(node)) return false;
      switch (node.type) {
        case "ReturnStatement": case "ThrowStatement": case "YieldExpression": case "AwaitExpression":
          leaves = true;
          return false;
        case "ForOfStatement":
          if (node.await) leaves = true;
          break;
        case "BreakStatement":
          leaves = node.label ? !labels.includes(node.label.name) : loops.length === 0;
          return false;
        case "ContinueStatement":
          leaves = node.label ? !labels.includes(node.label.name) : !loops.includes(true);
          return false;
        case "LabeledStatement":
          labels.push(node.label.name);
          break;
      }
      if (t.isLoop(node)) loops.push(true);
      else if (t.isSwitchStatement(node)) loops.push(false);
      return true;
    },
    exit({ node }) {
      if (t.isLoop(node) || t.isSwitchStatement(node)) loops.pop();
      else if (t.isLabeledStatement(node)) labels.pop();
    },
  });
  return leaves;
}

/** Whether every path through `statement` ends in `return`, `throw`, `break` or `continue`. */
function cannotCompleteNormally(statement: T.Statement): boolean {
  switch (statement.type) {
    case "ReturnStatement": case "ThrowStatement": case "BreakStatement": case "ContinueStatement":
      return true;
    case "BlockStatement":
      return statement.body.some(cannotCompleteNormally);
    case "IfStatement":
      return statement.alternate != null &&
        cannotCompleteNormally(statement.consequent) && cannotCompleteNormally(statement.alternate);
    default:
      return false;
  }
}

/**
 * For each site index whose counter can be shared, the index of the site that owns the
 * counter; owners come before the sites that share with them. `placements` are the sites
 * in block order.
 */
export function findSharedCounters(placements: readonly Placement[]): Map<number, number> {
  const listStart = new Map<T.Statement[], number>();
  const implicitElse = new Map<T.Statement, number>();
  const joinsByList = new Map<T.Statement[], Map<T.Statement, number>>();
  placements.forEach((placement, index) => {
    if (placement.type === "list-start") listStart.set(placement.list, index);
    if (placement.type === "add-else") implicitElse.set(placement.statement, index);
    if (placement.type === "before-statement") {
      const joins = joinsByList.get(placement.list) ?? new Map<T.Statement, number>();
      joins.set(placement.statement, index);
      joinsByList.set(placement.list, joins);
    }
  });

  const owners = new Map<number, number>();
  const share = (join: number, owner: number | undefined): void => {
    if (owner !== undefined && owner < join && !owners.has(join)) owners.set(join, owner);
  };
  for (const [list, joins] of joinsByList) {
    // Rule 1: after a guard clause.
    list.forEach((statement, i) => {
      const join = joins.get(list[i + 1]);
      if (join !== undefined && t.isIfStatement(statement) && cannotCompleteNormally(statement.consequent)) {
        share(join, implicitElse.get(statement));
      }
    });
    // Rule 2: a straight list from its start (a plain `{ }` or labeled block has no start counter).
    const start = listStart.get(list);
    if (start === undefined) continue;
    let joinsLeft = joins.size;
    for (const statement of list) {
      const join = joins.get(statement);
      if (join !== undefined) {
        share(join, start);
        joinsLeft--;
      }
      // Statements after the last join need no look (each look walks the statement).
      if (joinsLeft === 0 || mayLeaveAbruptly(statement)) break;
    }
  }
  return owners;
}
