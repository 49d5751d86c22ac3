// Scheduling of the built-in engine's corpus (fuzz/engine/corpus.ts): an entry whose
// mutants are much slower than the corpus median's is picked much less often, as soon as
// the evidence is beyond the noise margin (one stall is not); such entries together get a
// bounded share of the time; a fast target is never affected. An entry is weighed by the
// rare features it holds, not by those of the code every input runs.
import { Corpus } from "../fuzz/engine/corpus";
import fc from "fast-check";
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

test("one stall under load does not change the schedule, nor times within 2 ms of the median (GC on a fast target)", () => {
  // One 50 ms run among 0.1 ms ones: its estimate is (50 + 32 x median) / 33, within the margin.
  const stalled = corpusOfFour();
  noteMutants(stalled, 31, 0.1);
  stalled.noteMutant(3, 50);
  expect(shareOfLast(stalled)).toBeCloseTo(0.25, 1);
  const close = corpusOfFour();
  noteMutants(close, 64, 1.9);
  expect(shareOfLast(close)).toBeCloseTo(0.25, 1);
});

test("mutants slow now and then (1 in 20 takes 10 ms): once slow runs recur, a small margin applies", () => {
  const corpus = corpusOfFour();
  for (let run = 0; run < 200; run++) {
    for (let i = 0; i < 3; i++) corpus.noteMutant(i, 0.05);
    corpus.noteMutant(3, run % 20 === 19 ? 10 : 0.05);
  }
  // Mean 0.55 ms, 11x the median, 0.5 ms above it: weight 4 / 11 against 1.
  expect(shareOfLast(corpus)).toBeLessThan(0.15);
});

test("one mutant of 300 ms counts at once: from the next pick, not after 32 runs", () => {
  const corpus = corpusOfFour();
  const random = new Random(1);
  for (let i = 0; i < 1000; i++) corpus.pick(random);
  corpus.noteMutant(3, 300);
  let last = 0;
  for (let i = 0; i < 256; i++) if (corpus.pick(random) === 3) last++;
  // Estimate (300 + 32 x 0.05) / 33 = 9.1 ms, 180x the median: weight 4 / 180 against 1.
  expect(last).toBeLessThan(8);
});

test("entries with slow mutants get together at most a third of the time, and are still mutated", () => {
  // Three of eight entries have mutants of 20 ms (200x the others'): even at 4 / 200 of a
  // fast entry's weight each, they would take 71% of the time.
  const corpus = new Corpus();
  for (let i = 0; i < 8; i++) corpus.add(Uint8Array.of(i, i, i, i), 0.05, 100, Uint32Array.of(i), 1, undefined, false);
  const mutantMs = (index: number) => (index < 3 ? 20 : 0.1);
  for (let run = 0; run < 1024; run++) for (let i = 0; i < 8; i++) corpus.noteMutant(i, mutantMs(i));
  const random = new Random(1);
  for (let i = 0; i < 1000; i++) corpus.pick(random);
  let slowPicks = 0;
  let slowTime = 0;
  let time = 0;
  for (let i = 0; i < 100000; i++) {
    const index = corpus.pick(random);
    time += mutantMs(index);
    if (index < 3) {
      slowPicks++;
      slowTime += mutantMs(index);
    }
  }
  expect(slowPicks).toBeGreaterThan(100);
  expect(slowTime / time).toBeGreaterThan(0.25);
  expect(slowTime / time).toBeLessThan(0.4);
});

test("stalls under load (runs of every entry 10 ms longer now and then) are not slow mutants; slow runs that recur more often are", () => {
  // Entries 0-2: 1,000 runs each, 1 in 200 stalled by 10 ms. Entry 3: 40 runs, 2 stalled,
  // 10x the others' share by chance, 12 ms each (its estimate 0.3 ms above the median).
  const withStalls = (entry3Slow: number): Corpus => {
    const corpus = corpusOfFour();
    for (let run = 0; run < 1000; run++) for (let i = 0; i < 3; i++) corpus.noteMutant(i, run % 200 === 3 * i ? 10 : 0.05);
    for (let run = 0; run < 40; run++) corpus.noteMutant(3, run < entry3Slow ? 12 : 0.05);
    return corpus;
  };
  expect(shareOfLast(withStalls(2))).toBeCloseTo(0.25, 1);
  // 4 slow runs in 40, 20x the others' share: slow mutants.
  expect(shareOfLast(withStalls(4))).toBeLessThan(0.15);
});

/**
 * A 2-byte entry through the code every input runs (features 0-99, which it holds, being
 * the smallest), and `others` 4-byte entries that run that code too and each hold one
 * feature no other entry reaches. Returns entry 0's share of 10,000 picks.
 */
function shareOfCommonHolder(others: number): number {
  const common = Array.from({ length: 100 }, (_, i) => i);
  const corpus = new Corpus();
  corpus.add(Uint8Array.of(0, 0), 0.05, 100, Uint32Array.from(common), common.length, undefined, false);
  for (let i = 1; i <= others; i++) corpus.add(Uint8Array.of(i, i, i, i), 0.05, 100, Uint32Array.from([...common, 100 + i]), common.length + 1, undefined, false);
  const random = new Random(1);
  for (let i = 0; i < 1000; i++) corpus.pick(random);
  let picks = 0;
  for (let i = 0; i < 10000; i++) if (corpus.pick(random) === 0) picks++;
  return picks / 10000;
}

test("the features every entry reaches do not count: the smallest input through that code is not picked for them", () => {
  // 12 active entries; features 0-99 are reached by all 12, feature 100 + i by one (rare:
  // at most a tenth). Entry 0: weight 1 against 2 for each of the 11 others. Counting all
  // held features, it would be 101 against 2 (82% of the picks).
  const share = shareOfCommonHolder(11);
  expect(share).toBeGreaterThan(0.01);
  expect(share).toBeLessThan(0.08);
});

test("a corpus of fewer than 8 active entries (a seed corpus, blind mode's) is weighed by all held features", () => {
  // Entry 0: weight 101 against 2 for each of the other 4 (93% of the picks).
  expect(shareOfCommonHolder(4)).toBeGreaterThan(0.9);
});

test("the rare features counted as entries come, shrink (REDUCE) and retire are those of a count from scratch", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ size: fc.integer({ min: 1, max: 100 }), features: fc.uniqueArray(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 6 }), reduce: fc.boolean() }), { minLength: 1, maxLength: 60 }),
      (inputs) => {
        const corpus = new Corpus();
        for (const input of inputs) {
          const features = Uint32Array.from(input.features);
          const reducible = corpus.entries.findIndex((entry, index) => corpus.canReplace(index, input.size, features, features.length));
          if (input.reduce && reducible >= 0) corpus.replace(reducible, new Uint8Array(input.size), 0.05, 100, features, features.length);
          else if (corpus.countNewFeatures(features, features.length) > 0 || corpus.entries.length === 0) corpus.add(new Uint8Array(input.size), 0.05, 100, features, features.length, undefined, true);
        }
        const random = new Random(1);
        for (let i = 0; i < 300; i++) corpus.pick(random); // a rebuild of the weights, and of the counts
        const active = corpus.entries.filter((entry) => entry.heldFeatures > 0);
        corpus.entries.forEach((entry, index) => {
          if (active.length < 8) return expect(entry.rareHeld).toBe(-1);
          const reach = (feature: number) => active.filter((other) => other.features.includes(feature)).length;
          const rare = entry.heldFeatures === 0 ? 0 : [...entry.features].filter((feature) => corpus.holderOf(feature) === index && reach(feature) <= 0.1 * active.length).length;
          expect(entry.rareHeld).toBe(rare);
        });
      },
    ),
  );
});
