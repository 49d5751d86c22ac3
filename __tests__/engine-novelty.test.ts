// The built-in engine's novelty check (fuzz/engine/coverage.ts): KcovFeedback's
// reachedNewFeature(), asked right after collectOwnBlocks() and answered from the set
// counters (count mode) or owning blocks alone, must say exactly what the corpus says of
// the execution's complete feature list (Corpus#countNewFeatures > 0), when every input it
// calls new is added to the corpus and marked with keep().
import fc from "fast-check";
import { KcovFeedback } from "../fuzz/engine/coverage";
import { Corpus } from "../fuzz/engine/corpus";
import type { KcovFileRecord } from "../runtime";
import { registerLinearFile, registerSharedCounterFile, resetRealm } from "./runtime-helpers";

let feedback: KcovFeedback | undefined;

afterEach(() => {
  feedback?.close();
  feedback = undefined;
});


/**
 * Runs each execution (the counters' values) through the feedback as the engine's loop
 * does; returns, per execution, whether reachedNewFeature() called it new, after checking
 * that the corpus's own check on the complete feature list agrees.
 */
function novelties(file: KcovFileRecord, countBuckets: boolean, executions: number[][]): boolean[] {
  feedback = new KcovFeedback(countBuckets);
  const corpus = new Corpus();
  return executions.map((counts) => {
    counts.forEach((value, counter) => (file.counters[counter] = file.counters instanceof Uint8Array ? Math.min(value, 1) : value));
    feedback!.collectOwnBlocks();
    const fast = feedback!.reachedNewFeature();
    feedback!.complete();
    expect(fast).toBe(corpus.countNewFeatures(feedback!.features, feedback!.featureCount) > 0);
    if (fast) {
      corpus.add(new Uint8Array(1), 0, feedback!.hits, feedback!.features, feedback!.featureCount, undefined, false);
      feedback!.keep();
    }
    return fast;
  });
}

describe("reachedNewFeature", () => {
  beforeEach(resetRealm);

  test("count mode: a new block, then each new hit-count bucket of a counter is new; a count in a kept bucket is not", () => {
    registerLinearFile("first.js", 0, 3);
    const file = registerSharedCounterFile("count");
    // Counter 1 counts 1, 2, 3, 5 (bucket 4-7), 7 (same bucket), 200 (128+), 130 (same).
    const executions = [[1], [1, 1], [1, 2], [1, 3], [1, 5], [1, 7], [1, 200], [1, 130], [0, 0, 1], [2, 2, 1]];
    expect(novelties(file, true, executions)).toEqual([true, true, true, true, true, false, true, false, true, true]);
  });

  test("count mode with -use_counters=0, and hit mode: blocks only, the counts do not matter", () => {
    registerLinearFile("first.js", 0, 3);
    const executions = [[1], [1, 1], [1, 2], [1, 3], [0, 0, 1], [3, 3, 3, 0], [0, 0, 0, 1]];
    const expected = [true, true, false, false, true, false, true];
    expect(novelties(registerSharedCounterFile("count"), false, executions)).toEqual(expected);
    resetRealm();
    registerLinearFile("first.js", 0, 3);
    expect(novelties(registerSharedCounterFile("hit"), false, executions)).toEqual(expected);
  });

  test.each([
    ["count", true],
    ["count", false],
    ["hit", false],
  ] as const)("%s counters (buckets: %s): agrees with the corpus on random executions", (counterMode, countBuckets) => {
    const value = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 100, max: 300 }));
    fc.assert(
      fc.property(fc.array(fc.array(value, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 40 }), (executions) => {
        resetRealm();
        const file = registerSharedCounterFile(counterMode);
        try {
          novelties(file, countBuckets, executions);
        } finally {
          feedback?.close();
          feedback = undefined;
        }
      }),
      { numRuns: 200 },
    );
  });
});
