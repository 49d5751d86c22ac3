// Fewer counters for the same PCs: a join point that runs exactly when the start of its
// statement list runs can share that block's counter. The runtime still reports both
// PCs; only the increment is saved. This is the one pruning rule; it knows nothing about
// how counters are emitted or how PCs are chosen.
//
// Three rules. The first two are for a join J (the statement after a control-flow
// statement):
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
// 3. Leading `if`. A counted list start S whose list reaches an `if` statement before any
//    other control flow, with nothing before it that can leave the list abruptly, runs
//    exactly when one of the if's two outcomes (consequent; alternate or implicit else)
//    runs, on every path that completes normally: S is reported when either of their
//    counters is set. They differ only when an exception thrown before the if's outcome
//    ends the list early: then S ran but is not reported.
import type { types as T } from "@babel/core";
import { t } from "./babel-types";
import type { Placement } from "./block-rules";
import type { AbruptExits } from "./abrupt-exits";

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

/** Site indices by the node and field their counter wraps (wrap-statement, wrap-expression). */
type SlotSites = Map<T.Node, Map<string, number>>;

/** The sites of an `if` statement's two outcomes, if both have one (block-rules.ts placements). */
function outcomeSites(statement: T.IfStatement, siteOfList: Map<T.Statement[], number>, slotSites: SlotSites,
                      implicitElse: Map<T.Statement, number>): [number, number] | undefined {
  const siteOfSlot = (key: "consequent" | "alternate"): number | undefined => {
    const slot = statement[key]!;
    return t.isBlockStatement(slot) ? siteOfList.get(slot.body) : slotSites.get(statement)?.get(key);
  };
  const consequent = siteOfSlot("consequent");
  const alternate = !statement.alternate ? implicitElse.get(statement)
    : t.isIfStatement(statement.alternate) ? slotSites.get(statement.alternate)?.get("test") // `else if` counts in its test
    : siteOfSlot("alternate");
  return consequent !== undefined && alternate !== undefined ? [consequent, alternate] : undefined;
}

/**
 * For each site index that needs no counter of its own, the sites whose counters report
 * it (one, or two for "either of them"). Owners of a site are never themselves listed.
 * `placements` are the sites in block order; `exits` tells which statements control can
 * leave abruptly (abrupt-exits.ts, filled in by the block walk).
 */
export function findSharedCounters(placements: readonly Placement[], exits: Pick<AbruptExits, "mayLeaveAbruptly">): Map<number, number[]> {
  const listStart = new Map<T.Statement[], number>();
  const implicitElse = new Map<T.Statement, number>();
  const joinsByList = new Map<T.Statement[], Map<T.Statement, number>>();
  const slotSites: SlotSites = new Map();
  placements.forEach((placement, index) => {
    if (placement.type === "list-start") listStart.set(placement.list, index);
    if (placement.type === "add-else") implicitElse.set(placement.statement, index);
    if (placement.type === "wrap-statement" || placement.type === "wrap-expression") {
      const byKey = slotSites.get(placement.parent) ?? new Map<string, number>();
      byKey.set(placement.key, index);
      slotSites.set(placement.parent, byKey);
    }
    if (placement.type === "before-statement") {
      const joins = joinsByList.get(placement.list) ?? new Map<T.Statement, number>();
      joins.set(placement.statement, index);
      joinsByList.set(placement.list, joins);
    }
  });

  const leavesAbruptly = (node: T.Node): boolean => exits.mayLeaveAbruptly(node);

  const owners = new Map<number, number[]>();
  const share = (site: number, by: number[] | undefined): void => {
    if (by !== undefined && !owners.has(site) && !by.includes(site)) owners.set(site, by);
  };
  for (const [list, joins] of joinsByList) {
    // Rule 1: after a guard clause.
    list.forEach((statement, i) => {
      const join = joins.get(list[i + 1]);
      const elseSite = t.isIfStatement(statement) && cannotCompleteNormally(statement.consequent)
        ? implicitElse.get(statement) : undefined;
      if (join !== undefined && elseSite !== undefined) share(join, [elseSite]);
    });
    // Rule 2: a straight list from its start (a plain `{ }` or labeled block has no start counter).
    const start = listStart.get(list);
    if (start === undefined) continue;
    let joinsLeft = joins.size;
    for (const statement of list) {
      const join = joins.get(statement);
      if (join !== undefined) {
        share(join, [start]);
        joinsLeft--;
      }
      // Statements after the last join need no look.
      if (joinsLeft === 0 || leavesAbruptly(statement)) break;
    }
  }

  // Rule 3: a list that reaches an `if` runs exactly when one of its two outcomes runs.
  for (const [list, start] of listStart) {
    for (const statement of list) {
      if (t.isIfStatement(statement)) {
        if (!leavesAbruptly(statement.test)) {
          share(start, outcomeSites(statement, listStart, slotSites, implicitElse));
        }
        break;
      }
      // Other control flow ends the rule.
      if (t.isLoop(statement) || t.isSwitchStatement(statement) || t.isTryStatement(statement) ||
          t.isLabeledStatement(statement) || leavesAbruptly(statement)) break;
    }
  }

  // Owners that are themselves shared hand on their own owners (a join of a list whose
  // start is reported by the outcomes of its first `if`).
  const resolve = (sites: number[], depth = 0): number[] => sites.flatMap((site) => {
    const next = owners.get(site);
    return next === undefined || depth > 8 ? [site] : resolve(next, depth + 1);
  });
  // A block is reported by at most two counters: a site whose owners would need more
  // keeps its own counter, which can change what others resolve to, so repeat.
  for (let changed = true; changed;) {
    changed = false;
    for (const [site, by] of owners) {
      if (new Set(resolve(by)).size > 2) {
        owners.delete(site);
        changed = true;
      }
    }
  }
  return new Map([...owners].map(([site, by]) => [site, [...new Set(resolve(by))]]));
}
