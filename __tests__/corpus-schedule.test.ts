// Scheduling of the built-in engine's corpus (fuzz/engine/corpus.ts): an entry whose
// mutants are much slower than the corpus median's is picked much less often, once there
// are enough of them and only beyond the noise margin; a fast target is never affected.
import { Corpus } from "../fuzz/engine/corpus";
import { Random } from "../fuzz/engine/random";

/** Four entries of the same size and cost, each holding one feature of its own. */
function corpusOfFour(): Corpus {
  const corpus = new Corpus();
  for (let i = 0; i < 4; i++) corpus.add(Uint8Array.of(i, i, i, i), 0.05, 100, Uint32Array.of(i), 1, undefined, false);
  return corpus;
}

/** How often entry 3 is picked in 10,000 picks (after enough picks for a rebuild of the weights). */
function shareOfLast(corpus: Corpus): number {
  const random = new Random(1);
  for (let i = 0; i < 1000; i++) corpus.pick(random);
  let last = 0;
  for (let i = 0; i < 10000; i++) if (corpus.pick(random) === 3) last++;
  return last / 10000;
}

function noteMutants(corpus: Corpus, runs: number, slowMs: number): void {
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < 3; i++) corpus.noteMutant(i, 0.1);
    corpus.noteMutant(3, slowMs);
  }
}

test("equal entries share the picks", () => {
  expect(shareOfLast(corpusOfFour())).toBeCloseTo(0.25, 1);
});

test("an entry whose mutants run 200x the median's gets at most 4 times its share of the time", () => {
  const corpus = corpusOfFour();
  noteMutants(corpus, 64, 20);
  // Weight x 4 / 200: 0.02 against 1 for each of the other three.
  const share = shareOfLast(corpus);
  expect(share).toBeGreaterThan(0);
  expect(share).toBeLessThan(0.015);
});

test("not before 32 mutants, and not within 2 ms of the median (load, GC on a fast target)", () => {
  const few = corpusOfFour();
  noteMutants(few, 31, 20);
  expect(shareOfLast(few)).toBeCloseTo(0.25, 1);
  const close = corpusOfFour();
  noteMutants(close, 64, 1.9);
  expect(shareOfLast(close)).toBeCloseTo(0.25, 1);
});
