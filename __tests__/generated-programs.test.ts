// Property: for generated programs full of branches, the instrumented program returns,
// throws and logs exactly what the original does, and counter sharing (pruneCounters,
// the default) reports exactly the blocks that every-block-counted instrumentation
// reports whenever the program completes normally.
import * as path from "node:path";
import fc from "fast-check";
import { REPO_ROOT, blocksRunBy, instrument, loadCommonJs, outcomeOf } from "./helpers/instrument";
import { LIST_START_KINDS } from "./helpers/fixtures";

const atom = fc.oneof(
  fc.constantFrom("a", "b", "v", "input.n", "o?.p", "o?.q?.()", "o?.[a % 2 ? 'p' : 'r']", "null", "undefined"),
  fc.integer({ min: -3, max: 5 }).map(String),
);

const { expression } = fc.letrec<{ expression: string }>((tie) => ({
  expression: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    atom,
    fc.tuple(tie("expression"), tie("expression"), tie("expression")).map(([c, x, y]) => `(${c} ? ${x} : ${y})`),
    fc.tuple(tie("expression"), fc.constantFrom("&&", "||", "??", "+", ">", "==="), tie("expression"))
      .map(([x, op, y]) => `(${x} ${op} ${y})`),
    tie("expression").map((x) => `log(${x})`),
    tie("expression").map((x) => `((z = ${x}) => z ?? "dflt")(${x})`),
    tie("expression").map((x) => `(v ||= ${x})`),
  ),
}));

let labels = 0;
const { statements } = fc.letrec<{ statement: string; statements: string }>((tie) => ({
  statement: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    expression.map((x) => `log(${x});`),
    expression.map((x) => `v = ${x};`),
    fc.tuple(expression, tie("statements"), fc.option(tie("statements"))).map(([c, s, e]) =>
      `if (${c}) { ${s} }${e === null ? "" : ` else { ${e} }`}`),
    fc.tuple(expression, tie("statements"), tie("statements"), fc.boolean()).map(([x, s1, s2, withDefault]) =>
      `switch (Number(${x}) % 3) { case 0: ${s1} break; case 1: ${s2}${withDefault ? " default: log('d');" : ""} }`),
    fc.tuple(expression, tie("statements")).map(([x, s]) =>
      `for (let i = 0; i < Math.abs(Number(${x}) % 3); i++) { ${s} if (i > 5) continue; }`),
    fc.tuple(tie("statements"), expression).map(([s, x]) =>
      `try { ${s} if (${x}) throw new Error("boom " + ${x}); } catch (e) { log(e.message); } finally { log("fin"); }`),
    fc.tuple(tie("statements"), expression, tie("statements")).map(([s1, x, s2]) => {
      const label = `blk${labels++}`; // unique, since labels cannot nest under one name
      return `${label}: { ${s1} if (${x}) break ${label}; ${s2} }`;
    }),
    expression.map((x) => `if (${x}) return ${x};`),
    expression.map((x) => `if (${x} === 3) throw new RangeError("three");`),
  ),
  statements: fc.array(tie("statement"), { maxLength: 3 }).map((list) => list.join("\n")),
}));

const inputs = [
  { n: 0, a: 0, b: 1, o: null },
  { n: 1, a: 2, b: -1, o: { p: 3, q: () => 4 } },
  { n: 3, a: 3, b: 3, o: { p: 0 } },
];

let counter = 0;

test("generated programs behave identically when instrumented", async () => {
  await fc.assert(fc.asyncProperty(statements, async (body) => {
    const source = `module.exports = function run(input, log) {
  let a = input.a, b = input.b, v = 0;
  const o = input.o;
  ${body}
  return [v, a, b];
};`;
    const filename = path.join(REPO_ROOT, `generated/program${counter++}.js`);
    const original = loadCommonJs(source);
    const instrumented = instrument(source, filename);
    const unpruned = instrument(source, filename.replace(".js", ".unpruned.js"), { pruneCounters: false });
    const run = loadCommonJs(instrumented.code);
    const runUnpruned = loadCommonJs(unpruned.code);
    for (const input of inputs) {
      const expected = await outcomeOf(original, input);
      const pruned = await blocksRunBy(instrumented.metadata, () => outcomeOf(run, input));
      const exact = await blocksRunBy(unpruned.metadata, () => outcomeOf(runUnpruned, input));
      expect(pruned.value).toEqual(expected);
      expect(exact.value).toEqual(expected);
      expect(exact.ran).toContain("function@1:17");
      // Counter sharing: the same blocks on every path that completes normally.
      if (expected.error === undefined) {
        expect(pruned.ran).toEqual(exact.ran);
      } else {
        // On an exception path: only joins added, only list starts missing (counter-sharing.ts).
        expect(pruned.ran.filter((label) => !exact.ran.includes(label) && !label.startsWith("join@"))).toEqual([]);
        expect(exact.ran.filter((label) => !pruned.ran.includes(label) &&
          !LIST_START_KINDS.some((kind) => label.startsWith(`${kind}@`)))).toEqual([]);
      }
    }
  }), { numRuns: 150, seed: 20261125 });
});
