// The pruning rules of plugin/counter-sharing.ts, each on a small program: how many
// counters remain, which blocks every counter reports, and the one documented
// difference on an exception path.
import * as path from "node:path";
import { REPO_ROOT, blocksRunBy, instrument, loadCommonJs, outcomeOf } from "./helpers/instrument";

const GUARD = `module.exports = function pick(x) {
  if (x === 0) return "zero";
  return x > 0 ? "positive" : "negative";
};
`;

function both(source: string, name: string) {
  const pruned = instrument(source, path.join(REPO_ROOT, `src/${name}.js`));
  const exact = instrument(source, path.join(REPO_ROOT, `src/${name}-exact.js`), { pruneCounters: false });
  return { pruned, exact, prunedRun: loadCommonJs(pruned.code), exactRun: loadCommonJs(exact.code) };
}

test("a guard clause: the function entry and the join need no counters of their own", () => {
  const { pruned, exact } = both(GUARD, "guard");
  expect(exact.metadata.blocks.map((b) => b.kind)).toEqual(
    ["program", "function", "if-consequent", "if-implicit-else", "join", "conditional-consequent", "conditional-alternate"]);
  // program, if-consequent, if-implicit-else and the two arms: the entry is "either
  // outcome of its leading if", the join is the implicit else's.
  expect(pruned.metadata.counterCount).toBe(5);
  expect(pruned.code.match(/__cov_kcov\$[0-9a-f]+\[\d+\] = 1/g)).toHaveLength(5);
  const [entry, , implicitElse, join] = pruned.metadata.blocks.slice(1);
  expect(entry.counter).toBeGreaterThanOrEqual(pruned.metadata.counterCount);
  expect(join.counter).toBe(implicitElse.counter);
});

test.each([0, 5, -5])("a guard clause, input %d: the same blocks as every-block counting", async (input) => {
  const { pruned, exact, prunedRun, exactRun } = both(GUARD, "guard");
  const a = await blocksRunBy(pruned.metadata, () => outcomeOf(prunedRun, input));
  const b = await blocksRunBy(exact.metadata, () => outcomeOf(exactRun, input));
  expect(a.value).toEqual(b.value);
  expect(a.ran).toEqual(b.ran);
  expect(a.ran).toContain("function@1:17");
});

test("the documented difference: an exception before the leading if hides the list start", async () => {
  const source = `module.exports = function f(o) {
  const size = o.items.length;
  if (size > 1) return "many";
  return "few";
};
`;
  const { pruned, exact, prunedRun, exactRun } = both(source, "throws");
  const a = await blocksRunBy(pruned.metadata, () => outcomeOf(prunedRun, {}));
  const b = await blocksRunBy(exact.metadata, () => outcomeOf(exactRun, {}));
  expect(a.value.error).toMatch(/^TypeError/);
  expect(b.ran).toEqual(["function@1:17"]);
  expect(a.ran).toEqual([]);
  // On the paths that complete normally they agree.
  for (const input of [{ items: [1, 2] }, { items: [] }]) {
    const c = await blocksRunBy(pruned.metadata, () => outcomeOf(prunedRun, input));
    const d = await blocksRunBy(exact.metadata, () => outcomeOf(exactRun, input));
    expect(c.ran).toEqual(d.ran);
  }
});

test("a list start whose outcomes would need three counters keeps its own", () => {
  const source = `module.exports = function nested(a, b) {
  if (a) {
    if (b) return 1;
  } else {
    return 2;
  }
  return 3;
};
`;
  const { pruned } = both(source, "nested");
  // The inner consequent list starts with an if: it is "either of the inner outcomes";
  // the function entry would then need three counters, so it keeps its own.
  const entry = pruned.metadata.blocks.find((b) => b.kind === "function")!;
  expect(entry.counter).toBeLessThan(pruned.metadata.counterCount);
});

test("a return inside a `with` body (which gets no counters) still stops a straight list", async () => {
  // The join after the second loop must keep its own counter: the with statement before
  // it can return, so the function entry running does not mean the join ran.
  const source = `module.exports = function f(o, early) {
  o.log("start");
  while (o.more()) o.step();
  with (o) { if (early) return "early"; }
  while (o.more()) o.step();
  return "late";
};
`;
  const { pruned, exact, prunedRun, exactRun } = both(source, "with-return");
  const joins = pruned.metadata.blocks.filter((b) => b.kind === "join");
  expect(joins.map((b) => b.range.start.line)).toEqual([4, 6]);
  const entry = pruned.metadata.blocks.find((b) => b.kind === "function")!;
  expect(joins[0].counter).toBe(entry.counter); // nothing before it can leave
  expect(joins[1].counter).not.toBe(entry.counter); // the with statement can return
  for (const early of [true, false]) {
    const calls = () => { let n = 0; return { log() {}, more: () => n++ < 2, step() {} }; };
    const a = await blocksRunBy(pruned.metadata, () => outcomeOf((input: unknown) => prunedRun(calls(), input), early));
    const b = await blocksRunBy(exact.metadata, () => outcomeOf((input: unknown) => exactRun(calls(), input), early));
    expect(a.value).toEqual(b.value);
    expect(a.ran).toEqual(b.ran);
  }
});
