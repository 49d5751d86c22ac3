// Overflow drains: every block executed between two reset points is reported exactly once
// over the flushes that follow, however small the area, with counter sharing
// (pruneCounters, the default) and without. A block that does not fit is pending, by
// block, so a counter that also stands for blocks that did fit reports nothing twice.
import * as path from "node:path";
import fc from "fast-check";
import { Kcov, KCOV_TRACE_PC, executedBlocks } from "../runtime";
import { REPO_ROOT, instrument, loadCommonJs, outcomeOf } from "./helpers/instrument";
import { inputs, programSource, statements } from "./helpers/generated-programs";

let files = 0;

/** Runs `run(input)` with a device of `areaWords` words, then flushes until nothing is left; returns what ran and what the flushes reported. */
async function drain(run: (input: unknown, log: (entry: unknown) => void) => unknown, input: unknown, areaWords: number) {
  const kcov = new Kcov();
  try {
    kcov.initTrace(areaWords);
    const area = kcov.mmap();
    kcov.enable(KCOV_TRACE_PC);
    await outcomeOf(run, input);
    // What ran, read without consuming anything (executedBlocks leaves the counters alone).
    const ran = executedBlocks().map((block) => block.pc);
    const reported: bigint[] = [];
    const flushes: number[] = [];
    // Each flush reports at least one PC while any is pending, so this many always suffice.
    for (let flush = 0; flush <= ran.length; flush++) {
      area[0] = 0n;
      kcov.collect();
      flushes.push(Number(area[0]));
      reported.push(...area.subarray(1, 1 + Number(area[0])));
      if (kcov.leftover === 0) break;
    }
    // A reset point: nothing ran since, so nothing more is reported.
    area[0] = 0n;
    kcov.collect();
    return { ran, reported, flushes, leftover: kcov.leftover, afterward: Number(area[0]) };
  } finally {
    kcov.close();
  }
}

const sorted = (pcs: readonly bigint[]) => [...pcs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

test("the issue's example: a loop, if/else, a fall-through switch and try/catch/finally, into a 4-word area", async () => {
  const source = `module.exports = function run(input, log) {
  let total = 0;
  for (let i = 0; i < input.n; i++) total += i;
  if (total > 2) log("big"); else log("small");
  switch (input.n) {
    case 3: log("three");
    case 4: log("three or four"); break;
    default: log("other");
  }
  try {
    if (input.n === 3) throw new Error("boom");
  } catch (error) {
    log(error.message);
  } finally {
    log("done");
  }
  return total;
};`;
  for (const pruneCounters of [true, false]) {
    const instrumented = instrument(source, path.join(REPO_ROOT, `generated/overflow-example-${pruneCounters}.js`), { pruneCounters });
    const { ran, reported, flushes, leftover, afterward } = await drain(loadCommonJs(instrumented.code), { n: 3 }, 4);
    expect(ran.length).toBeGreaterThan(9);
    expect(sorted(reported)).toEqual(sorted(ran));
    expect(flushes).toEqual([...Array(Math.floor(ran.length / 3)).fill(3), ...(ran.length % 3 ? [ran.length % 3] : [])]);
    expect(leftover).toBe(0);
    expect(afterward).toBe(0);
  }
});

test.each([true, false])("property: generated programs, any area of 2 words or more, drain exactly (pruneCounters %s)", async (pruneCounters) => {
  await fc.assert(fc.asyncProperty(statements, fc.integer({ min: 2, max: 12 }), fc.constantFrom(...inputs), async (body, areaWords, input) => {
    const instrumented = instrument(programSource(body), path.join(REPO_ROOT, `generated/overflow${files++}.js`), { pruneCounters });
    const { ran, reported, leftover, afterward } = await drain(loadCommonJs(instrumented.code), input, areaWords);
    expect(leftover).toBe(0);
    // Exactly once: the same multiset, no PC twice, none missing.
    expect(sorted(reported)).toEqual(sorted(ran));
    expect(afterward).toBe(0);
  }), { numRuns: 60, seed: 20261201 });
});
