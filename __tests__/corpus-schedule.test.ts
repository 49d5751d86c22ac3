// Scheduling of the built-in engine's corpus (fuzz/engine/corpus.ts): an entry that reaches
// features few entries reach is picked more often; an entry whose mutants are much slower
// than the corpus median's is picked much less often, as soon as the evidence is beyond the
// noise margin (one stall is not); such entries together get a bounded share of the time; a
// fast target is never affected.
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

/** The four features that only entry 3 of corpusWithCommonFeatures reaches. */
const RARE_FEATURES = Uint32Array.of(3, 4, 5, 6);

/**
 * Four entries of 64 bytes: entries 0-2 hold one feature each, which 30 larger entries
 * (retired from the start: they hold nothing) reached too; entry 3 holds RARE_FEATURES.
 */
function corpusWithCommonFeatures(): Corpus {
  const corpus = new Corpus();
  for (let i = 0; i < 3; i++) corpus.add(new Uint8Array(64).fill(i), 0.05, 100, Uint32Array.of(i), 1, undefined, false);
  corpus.add(new Uint8Array(64).fill(3), 0.05, 100, RARE_FEATURES, RARE_FEATURES.length, undefined, false);
  for (let i = 0; i < 30; i++) corpus.add(new Uint8Array(128).fill(i), 0.05, 100, Uint32Array.of(0, 1, 2), 3, undefined, false);
  return corpus;
}

/**
 * Entry 3's share of the picks: weights (1 + 4 held) x sqrt(1 + 4 x 1/1) against
 * (1 + 1 held) x sqrt(1 + 1/31) for each of entries 0-2. By the features held alone it
 * would be 5 / 11.
 */
const RARE_SHARE = (5 * Math.sqrt(5)) / (5 * Math.sqrt(5) + 3 * 2 * Math.sqrt(1 + 1 / 31));

test("an entry reaching what no other entry reaches is picked more often than entries whose features many reached", () => {
  const corpus = corpusWithCommonFeatures();
  expect(corpus.activeCount).toBe(4);
  expect(shareOfLast(corpus)).toBeCloseTo(RARE_SHARE, 1);
});

test("REDUCEs of an entry do not make its features commoner: the replaced input's reach is taken back", () => {
  const corpus = corpusWithCommonFeatures();
  for (let size = 63; size > 33; size--) corpus.replace(3, new Uint8Array(size).fill(3), 0.05, 100, RARE_FEATURES, RARE_FEATURES.length);
  // Counted 31 times each, its features would be as common as the others': a share of 5 / 11.
  expect(shareOfLast(corpus)).toBeCloseTo(RARE_SHARE, 1);
});

/**
 * Sixteen entries of 64 bytes holding one feature each; entry 0 also holds RARE_FEATURES.
 * After 1,000 picks, `later` retired entries of 128 bytes reach RARE_FEATURES too.
 * Returns entry 0's share of 10,000 picks after 1,000 more.
 */
function shareOfRareEntryAfter(later: number): number {
  const corpus = new Corpus();
  const features = Uint32Array.of(0, ...RARE_FEATURES);
  corpus.add(new Uint8Array(64), 0.05, 100, features, features.length, undefined, false);
  for (let i = 1; i < 16; i++) corpus.add(new Uint8Array(64).fill(i), 0.05, 100, Uint32Array.of(100 + i), 1, undefined, false);
  const random = new Random(1);
  for (let i = 0; i < 1000; i++) corpus.pick(random);
  for (let i = 0; i < later; i++) corpus.add(new Uint8Array(128).fill(i), 0.05, 100, RARE_FEATURES, RARE_FEATURES.length, undefined, false);
  for (let i = 0; i < 1000; i++) corpus.pick(random);
  let rare = 0;
  for (let i = 0; i < 10000; i++) if (corpus.pick(random) === 0) rare++;
  return rare / 10000;
}

/** Entry 0's share when its rarity is 1 + 4 / (1 + later): (1 + 5) x sqrt(1 + rarity) against 15 x 2 x sqrt(2). */
function rareShare(later: number): number {
  const weight = 6 * Math.sqrt(2 + 4 / (1 + later));
  return weight / (weight + 15 * 2 * Math.sqrt(2));
}

test("every add counts in the rarities at the next rebuild of the weights, even one among many entries", () => {
  expect(rareShare(0) - rareShare(1)).toBeGreaterThan(0.03);
  expect(Math.abs(shareOfRareEntryAfter(0) - rareShare(0))).toBeLessThan(0.015);
  expect(Math.abs(shareOfRareEntryAfter(1) - rareShare(1))).toBeLessThan(0.015);
  expect(Math.abs(shareOfRareEntryAfter(3) - rareShare(3))).toBeLessThan(0.015);
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
