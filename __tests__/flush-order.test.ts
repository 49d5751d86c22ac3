// One flush into an area with room reports exactly the blocks that ran, each once, in
// block order (docs/runtime.md), whichever way the flush lists the blocks that share a
// counter: sorted when a few of them are due, by a pass over the file's shared blocks
// when many are. collectIndices gives the same blocks as dense indices, in the same order.
import * as path from "node:path";
import fc from "fast-check";
import { Kcov, KCOV_TRACE_PC, blockAtIndex, executedBlocks } from "../runtime";
import { REPO_ROOT, instrument, loadCommonJs, outcomeOf } from "./helpers/instrument";
import { inputs, programSource, statements } from "./helpers/generated-programs";

let files = 0;

/** Runs `run(input)` twice with an enabled device; flushes once with collect(), once with collectIndices(). */
async function flushBothWays(run: (input: unknown, log: (entry: unknown) => void) => unknown, input: unknown) {
  const kcov = new Kcov();
  try {
    kcov.initTrace(1 << 16);
    const area = kcov.mmap();
    kcov.enable(KCOV_TRACE_PC);
    await outcomeOf(run, input);
    // In block order, each once: what executedBlocks() reads without consuming the counters.
    const ran = executedBlocks().map((block) => block.pc);
    kcov.collect();
    const reported = [...area.subarray(1, 1 + Number(area[0]))];
    await outcomeOf(run, input);
    const indices = new Uint32Array(1 << 16);
    const count = kcov.collectIndices(indices);
    const indexed = [...indices.subarray(0, count)].map((index) => blockAtIndex(index)!.pc);
    return { ran, reported, indexed, leftover: kcov.leftover };
  } finally {
    kcov.close();
  }
}

test("many joins due at once (the pass over the file's shared blocks) and a few (sorted), one reported by both its counters: block order, each once", async () => {
  // Each if in more() leaves a join that shares its list's counter: many shared blocks,
  // all due when more() runs, none when it does not.
  const joins = Array.from({ length: 40 }, (_, i) => `if (input.n > ${i % 3}) log(${i});\n  total += ${i};`).join("\n  ");
  const source = `module.exports = function run(input, log) {
  let total = 0;
  // Both branches run: their join is reported by either counter, and must appear once.
  for (let i = 0; i < 2; i++) {
    if (i === 0) log("first"); else log("second");
    total += i;
  }
  if (input.few) return total;
  return total + more(input, log);
};
function more(input, log) {
  let total = 0;
  ${joins}
  return total;
}`;
  for (const pruneCounters of [true, false]) {
    const instrumented = instrument(source, path.join(REPO_ROOT, `generated/flush-order-joins-${pruneCounters}.js`), { pruneCounters });
    const run = loadCommonJs(instrumented.code);
    for (const input of [{ n: 2, few: false }, { n: 0, few: false }, { n: 1, few: true }]) {
      const { ran, reported, indexed, leftover } = await flushBothWays(run, input);
      expect(ran.length).toBeGreaterThan(input.few ? 5 : 60);
      expect(reported).toEqual(ran);
      expect(indexed).toEqual(ran);
      expect(leftover).toBe(0);
    }
  }
});

test.each([true, false])("property: generated programs, one flush reports what ran in block order (pruneCounters %s)", async (pruneCounters) => {
  await fc.assert(fc.asyncProperty(statements, fc.constantFrom(...inputs), async (body, input) => {
    const instrumented = instrument(programSource(body), path.join(REPO_ROOT, `generated/flush-order${files++}.js`), { pruneCounters });
    const { ran, reported, indexed, leftover } = await flushBothWays(loadCommonJs(instrumented.code), input);
    expect(reported).toEqual(ran);
    expect(indexed).toEqual(ran);
    expect(leftover).toBe(0);
  }), { numRuns: 60, seed: 20261201 });
});
