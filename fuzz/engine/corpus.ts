// The corpus and which input holds which feature (libFuzzer's FuzzerCorpus.h, simplified).
// A feature is a block index from the kcov device (in count mode, a block and a hit-count
// bucket). Each feature is held by the smallest input that reached it, so the corpus is
// minimized as it grows: an input holding no feature any more is retired. Scheduling
// weighs an input by the features it holds, how rare the features it reaches are (see
// rarityOf), its cost and its size (see costFactor), so that inputs at the frontier of
// what the corpus reaches are mutated most, and a slow or a large input less often.

import type { Random } from "./random";

export interface CorpusEntry {
  data: Uint8Array;
  /** Wall time of its last run, in milliseconds. */
  execTimeMs: number;
  /** Block executions of its last run (KcovFeedback.hits): its cost, deterministically. */
  cost: number;
  /** How many features this entry is the holder of; 0 = retired. */
  heldFeatures: number;
  /** The file it came from or was written to (a file the session wrote may be replaced). */
  file: string | undefined;
  writtenBySession: boolean;
  /** How many times it was picked for mutation. */
  picked: number;
  /** Runs of its mutants, and their wall time in all (milliseconds): see mutantFactor. */
  mutantRuns: number;
  mutantMs: number;
  /** Runs of its mutants that took MUTANT_NOISE_MS more than the corpus median or longer. */
  slowMutantRuns: number;
  /** The estimate of its mutants' mean time that its current weight was computed with, and whether that was slow. */
  scheduledMutantMs: number;
  scheduledSlow: boolean;
  /** The features its last run reached, for its rarity; emptied when it retires (their reach stays counted). */
  features: Uint32Array;
}

const NO_HOLDER = -1;
const NO_FEATURES = new Uint32Array(0);

export class Corpus {
  readonly entries: CorpusEntry[] = [];
  /** Index of the holding entry, per feature (NO_HOLDER: never reached). */
  #holder = new Int32Array(1024).fill(NO_HOLDER);
  /** How many entries reached each feature (retired ones too): the denominator of rarityOf. */
  #reach = new Uint32Array(1024);
  /**
   * 1 / #reach per feature (0 where nothing reaches it), kept as #reach changes: a rebuild
   * sums it over every feature of every entry, and a division per feature made the
   * rebuilds 2.1 µs per execution on js-yaml (500 entries, each reaching hundreds).
   */
  #inverseReach = new Float64Array(1024);
  /** Features seen so far. */
  featureCount = 0;
  activeCount = 0;
  sizeInBytes = 0;
  /**
   * Cumulative scheduling weights of entries [0, #weighted). A new entry is appended with
   * the weight the last rebuild's median and mean give it; changes to older entries' weights
   * (features moving to a new holder, REDUCE) only mark the weights stale, and a stale
   * table is rebuilt at most once per REBUILD_PICKS (or corpus size) picks: a rebuild sorts,
   * and a corpus that grows by one entry every few executions must not sort every time.
   */
  #cumulative = new Float64Array(16);
  #weighted = 0;
  #weightsStale = false;
  /** An entry's mutants turned out far slower than its weight assumes: rebuild at the next pick. */
  #weightsUrgent = false;
  #picksSinceRebuild = 0;
  #medianTime = 0;
  #medianCost = 0;
  #medianMutantMs = 0;
  /** The median entry's share of slow mutant runs: how often runs stall whatever the input (load). */
  #stallRate = 0;
  #meanSize = 1;
  /** Where #medianOver sorts (a typed array's native sort: a rebuild takes four medians). */
  #scratch = new Float64Array(16);

  /** The holder of a feature, or -1. */
  holderOf(feature: number): number {
    return feature < this.#holder.length ? this.#holder[feature] : NO_HOLDER;
  }

  /** How many of `features[0..count)` no entry holds yet. Allocation-free: the hot path. */
  countNewFeatures(features: Uint32Array, count: number): number {
    const holder = this.#holder;
    let fresh = 0;
    for (let i = 0; i < count; i++) {
      const feature = features[i];
      if (feature >= holder.length || holder[feature] === NO_HOLDER) fresh++;
    }
    return fresh;
  }

  /**
   * True when an input of `size` bytes that reached `features[0..count)` reaches every
   * feature that entry `index` holds and is smaller: it can replace that entry (REDUCE).
   */
  canReplace(index: number, size: number, features: Uint32Array, count: number): boolean {
    const entry = this.entries[index];
    if (entry.heldFeatures === 0 || size >= entry.data.length) return false;
    const holder = this.#holder;
    let held = 0;
    for (let i = 0; i < count; i++) if (holder[features[i]] === index) held++;
    return held === entry.heldFeatures;
  }

  /**
   * Adds an input that reached `features[0..count)`: it takes every feature that is new
   * or held by a larger input. Returns the new entry's index.
   */
  add(data: Uint8Array, execTimeMs: number, cost: number, features: Uint32Array, count: number, file: string | undefined, writtenBySession: boolean): number {
    const index = this.entries.length;
    const entry: CorpusEntry = { data, execTimeMs, cost, heldFeatures: 0, file, writtenBySession, picked: 0, mutantRuns: 0, mutantMs: 0, slowMutantRuns: 0, scheduledMutantMs: 0, scheduledSlow: false, features: features.slice(0, count) };
    this.entries.push(entry);
    this.sizeInBytes += data.length;
    this.activeCount++;
    for (let i = 0; i < count; i++) {
      const feature = features[i];
      this.#ensureFeature(feature);
      this.#reachedBy(feature, 1);
      const previous = this.#holder[feature];
      if (previous === NO_HOLDER) {
        this.featureCount++;
      } else {
        const old = this.entries[previous];
        if (old.data.length <= data.length) continue;
        this.#release(previous);
      }
      this.#holder[feature] = index;
      entry.heldFeatures++;
    }
    if (entry.heldFeatures === 0) {
      // Nothing of its own (blind mode keeps every seed): retired from the start.
      this.activeCount--;
      this.sizeInBytes -= data.length;
      entry.features = NO_FEATURES;
    }
    this.#appendWeight(index);
    return index;
  }

  /** Replaces entry `index`'s input by a smaller one with the same held features (REDUCE), which reached `features[0..count)`. */
  replace(index: number, data: Uint8Array, execTimeMs: number, cost: number, features: Uint32Array, count: number): CorpusEntry {
    const entry = this.entries[index];
    for (const feature of entry.features) this.#reachedBy(feature, -1);
    entry.features = features.slice(0, count);
    for (const feature of entry.features) this.#reachedBy(feature, 1);
    this.sizeInBytes += data.length - entry.data.length;
    entry.data = data;
    entry.execTimeMs = execTimeMs;
    entry.cost = cost;
    this.#weightsStale = true;
    return entry;
  }

  /**
   * A mutant of entry `index` ran for `elapsedMs`. Cheap: the hot path. Its weight is
   * updated at the next rebuild once it has MUTANT_RUNS (then twice as many, ...) runs, and
   * at the next pick when a slow run makes its estimate (mutantEstimateMs) cross the noise
   * margin or double: one run of a second must not wait for hundreds more picks.
   */
  noteMutant(index: number, elapsedMs: number): void {
    const entry = this.entries[index];
    const runs = ++entry.mutantRuns;
    entry.mutantMs += elapsedMs;
    if (runs >= MUTANT_RUNS && (runs & (runs - 1)) === 0) this.#weightsStale = true;
    const median = this.#medianMutantMs;
    if (elapsedMs - median < MUTANT_NOISE_MS) return;
    entry.slowMutantRuns++;
    const estimate = mutantEstimateMs(entry, median);
    if (hasSlowMutants(entry, estimate, median, this.#stallRate) && (!entry.scheduledSlow || estimate > 2 * entry.scheduledMutantMs)) this.#weightsUrgent = true;
  }

  #release(index: number): void {
    const entry = this.entries[index];
    entry.heldFeatures--;
    if (entry.heldFeatures === 0) {
      this.activeCount--;
      this.sizeInBytes -= entry.data.length;
      entry.features = NO_FEATURES;
    }
  }

  /** One entry more (`change` 1) or fewer (-1) reached `feature`. */
  #reachedBy(feature: number, change: number): void {
    this.#reach[feature] += change;
    const reach = this.#reach[feature];
    this.#inverseReach[feature] = reach === 0 ? 0 : 1 / reach;
  }

  #ensureFeature(feature: number): void {
    if (feature < this.#holder.length) return;
    let length = this.#holder.length;
    while (length <= feature) length *= 2;
    const grown = new Int32Array(length).fill(NO_HOLDER);
    grown.set(this.#holder);
    this.#holder = grown;
    const reach = new Uint32Array(length);
    reach.set(this.#reach);
    this.#reach = reach;
    const inverse = new Float64Array(length);
    inverse.set(this.#inverseReach);
    this.#inverseReach = inverse;
  }

  /**
   * Picks an entry to mutate, by weight: (1 + features held) x sqrt(1 + rarity) x cost factor x size factor,
   * relative to the corpus median time or cost and mean size (AFL's performance score, coarsely). Retired
   * entries have weight 0 (until a stale table is rebuilt they may keep their old one).
   * Returns -1 if the corpus has no active entry.
   */
  pick(random: Random): number {
    if (this.activeCount === 0) return -1;
    this.#picksSinceRebuild++;
    const due = this.#weightsUrgent || (this.#weightsStale && this.#picksSinceRebuild >= Math.max(REBUILD_PICKS, this.entries.length));
    if (due || this.#weighted < this.entries.length || this.#cumulative[this.#weighted - 1] <= 0) this.#rebuildWeights();
    const cumulative = this.#cumulative;
    const target = random.fraction() * cumulative[this.#weighted - 1];
    let low = 0;
    let high = this.#weighted - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] > target) high = middle;
      else low = middle + 1;
    }
    this.entries[low].picked++;
    return low;
  }

  #weightOf(entry: CorpusEntry): number {
    if (entry.heldFeatures === 0) return 0;
    const estimate = (entry.scheduledMutantMs = mutantEstimateMs(entry, this.#medianMutantMs));
    entry.scheduledSlow = hasSlowMutants(entry, estimate, this.#medianMutantMs, this.#stallRate);
    const mutantFactor = entry.scheduledSlow ? slowMutantsFactor(estimate, this.#medianMutantMs) : 1;
    return (1 + entry.heldFeatures) * Math.sqrt(1 + rarityOf(entry, this.#inverseReach)) * costFactor(entry, this.#medianTime, this.#medianCost) * sizeFactor(entry.data.length / this.#meanSize) * mutantFactor;
  }

  #appendWeight(index: number): void {
    // Taking features from older entries changed their weights: stale, rebuilt later.
    this.#weightsStale = true;
    if (this.#weighted !== index) return;
    if (index >= this.#cumulative.length) {
      const grown = new Float64Array(this.#cumulative.length * 2);
      grown.set(this.#cumulative);
      this.#cumulative = grown;
    }
    this.#cumulative[index] = (index === 0 ? 0 : this.#cumulative[index - 1]) + this.#weightOf(this.entries[index]);
    this.#weighted++;
  }

  #rebuildWeights(): void {
    const isActive = (entry: CorpusEntry) => entry.heldFeatures > 0;
    // Before any entry has MUTANT_RUNS mutants, the entries' own times stand for their mutants'.
    const isMeasured = (entry: CorpusEntry) => entry.heldFeatures > 0 && entry.mutantRuns >= MUTANT_RUNS;
    this.#medianTime = this.#medianOver(isActive, (entry) => entry.execTimeMs);
    this.#medianCost = this.#medianOver(isActive, (entry) => entry.cost);
    this.#meanSize = this.sizeInBytes / this.activeCount || 1;
    this.#medianMutantMs = this.entries.some(isMeasured) ? this.#medianOver(isMeasured, (entry) => entry.mutantMs / entry.mutantRuns) : this.#medianTime;
    this.#stallRate = this.#medianOver(isMeasured, (entry) => entry.slowMutantRuns / entry.mutantRuns);
    const count = this.entries.length;
    if (this.#cumulative.length < count) this.#cumulative = new Float64Array(count * 2);
    const weights = this.#cumulative;
    for (let i = 0; i < count; i++) weights[i] = this.#weightOf(this.entries[i]);
    this.#boundSlowShare(weights, count);
    let sum = 0;
    for (let i = 0; i < count; i++) {
      sum += weights[i];
      weights[i] = sum;
    }
    this.#weighted = count;
    this.#weightsStale = false;
    this.#weightsUrgent = false;
    this.#picksSinceRebuild = 0;
  }

  /** The median of `value(entry)` over the entries `include` admits (0 if none). */
  #medianOver(include: (entry: CorpusEntry) => boolean, value: (entry: CorpusEntry) => number): number {
    if (this.#scratch.length < this.entries.length) this.#scratch = new Float64Array(this.entries.length * 2);
    let count = 0;
    for (const entry of this.entries) if (include(entry)) this.#scratch[count++] = value(entry);
    return count === 0 ? 0 : this.#scratch.subarray(0, count).sort()[count >> 1];
  }

  /**
   * Each entry with slow mutants is held to MUTANT_SHARE times a median entry's share of
   * the time by mutantFactor, but many of them could still take most of it: together they
   * get at most SLOW_TIME_SHARE of the time (their weights scaled down alike), so that the
   * corpus's fast entries keep most of the executions.
   */
  #boundSlowShare(weights: Float64Array, count: number): void {
    let slowTime = 0;
    let otherTime = 0;
    for (let i = 0; i < count; i++) {
      const entry = this.entries[i];
      if (entry.scheduledSlow) slowTime += weights[i] * entry.scheduledMutantMs;
      else otherTime += weights[i] * Math.max(entry.scheduledMutantMs, 1e-3);
    }
    if (otherTime === 0 || slowTime / (slowTime + otherTime) <= SLOW_TIME_SHARE) return;
    const scale = (SLOW_TIME_SHARE * otherTime) / ((1 - SLOW_TIME_SHARE) * slowTime);
    for (let i = 0; i < count; i++) if (this.entries[i].scheduledSlow) weights[i] *= scale;
  }
}

/**
 * Σ 1 / (entries that reached it) over the features an entry reached: a feature that only
 * this entry reaches adds 1, one that every entry reaches almost nothing. Mutating the
 * inputs at the edge of what the corpus reaches pays more than mutating the paths that
 * every input takes (AFL++'s rare-edge schedules and libFuzzer's entropic one reason
 * alike, from executions; entries are counted here, which is cheap and deterministic).
 * Its square root weighs: on qs, 1 + rarity itself took the median executions to the
 * first finding from 1,830 to 680 (20 seeds), but doubled jpeg-js's, whose rare features
 * are deep in its decoder, far from the marker order that its bug needs; the square root
 * gave 1,015 and 1,269 (main: 708, and 1,299 on seeds 21-40, where it gave 938).
 */
function rarityOf(entry: CorpusEntry, inverseReach: Float64Array): number {
  // An indexed loop: `for...of` over the Uint32Array took 3.4x as long (gather-sums of 800 features, Node 20).
  const features = entry.features;
  let rarity = 0;
  for (let i = 0; i < features.length; i++) rarity += inverseReach[features[i]];
  return rarity;
}

/** At least this many picks between two rebuilds of stale weights. */
const REBUILD_PICKS = 256;


/**
 * Times closer than this to the corpus median count as equal: a garbage collection, a JIT
 * compilation or, on a loaded machine, the scheduler (tens of ms) during an input's first
 * run must not change the schedule, so a given -seed repeats a run exactly. Below it the
 * cost (block executions) decides, which is exact.
 */
const TIME_NOISE_MS = 1000;

/**
 * Much slower than the median: picked much less often. By cost (block executions), which
 * is deterministic: a fast target's corpus drifts to inputs that repeat a loop for its
 * hit-count buckets (qs: 200 µs against the seeds' 40) or that declare a large image
 * (jpeg-js: 160 ms against a median of 24 µs). By time only where it is a second or more
 * above the median (slow code that is not instrumented).
 */
function costFactor(entry: CorpusEntry, medianMs: number, medianCost: number): number {
  if (entry.execTimeMs - medianMs >= TIME_NOISE_MS) return slowerFactor(entry.execTimeMs / Math.max(medianMs, 1e-3));
  return slowerFactor(entry.cost / Math.max(medianCost, 1));
}

/**
 * Mild up to 100x (0.5 above 4x, 0.25 above 10x): the inputs at the frontier of a loop's
 * hit-count buckets are the costliest ones and must still be mutated. Beyond, 25/r: such
 * an input gets at most a quarter of a median input's share of the time.
 */
function slowerFactor(relative: number): number {
  if (relative > 100) return 25 / relative;
  if (relative > 10) return 0.25;
  if (relative > 4) return 0.5;
  return 1;
}

/**
 * Mutant runs of an entry before their mean time counts alone (a mean of many runs is
 * robust to a stall); until then the estimate is drawn to the corpus median as if by this
 * many median runs (mutantEstimateMs).
 */
const MUTANT_RUNS = 32;
/** Mutant time estimates closer than this to the corpus median count as equal (load, GC). */
const MUTANT_NOISE_MS = 2;
/**
 * Once an entry has this many slow runs (MUTANT_NOISE_MS above the median), and
 * STALL_FACTOR times as large a share of them as the median entry has (under load every
 * entry's runs stall now and then, by 2-20 ms), they are not stalls: its mutants are slow
 * now and then (the frame size bytes mutated), and the margin is MUTANT_TRUSTED_MARGIN_MS.
 * On a target whose median mutant takes 0.08 ms, an entry whose mutants take 1 ms on
 * average costs 12 of them. (With 2 slow runs and no comparison with the other entries,
 * two stalls at load 10 changed a seeded qs run's schedule after about 2,000 executions.)
 */
const SLOW_RUNS_TRUSTED = 4;
const STALL_FACTOR = 4;
const MUTANT_TRUSTED_MARGIN_MS = 0.25;
/** Such an entry's mutants get at most this many times a median entry's share of the time. */
const MUTANT_SHARE = 4;
/** All entries with slow mutants together get at most this share of the time. */
const SLOW_TIME_SHARE = 1 / 3;

/**
 * An entry's mutants' mean time, as if it had MUTANT_RUNS more mutants at the corpus
 * median: one stall of a few tens of ms under load moves it by a few hundredths of that,
 * not past the noise margin, while one mutant of a second (jpeg-js declaring a large
 * frame: 300 ms per mutant against a median of 0.1 ms) shows at once, not after 32.
 */
function mutantEstimateMs(entry: CorpusEntry, medianMutantMs: number): number {
  return (entry.mutantMs + MUTANT_RUNS * medianMutantMs) / (entry.mutantRuns + MUTANT_RUNS);
}

/**
 * Much slower mutants than the corpus's median entry: picked much less often. An input can
 * be cheap while small changes to it are not: a jpeg-js entry with a frame header runs in
 * 0.1 ms, but a mutant that changes the frame's size makes jpeg-js allocate and decode up
 * to the target's megapixel (3-30 ms on average over its mutants, against a median of
 * 0.15 ms). Neither the entry's cost nor its time shows this, and most of that time is
 * allocation, not block executions: so by the measured time of its mutants (their
 * estimate, mutantEstimateMs), only where it is MUTANT_NOISE_MS above the median or slow
 * runs recur (hasSlowMutants), so that a given -seed still repeats a run exactly on a fast
 * target under load.
 */
function slowMutantsFactor(estimateMs: number, medianMutantMs: number): number {
  return Math.min(1, MUTANT_SHARE / (estimateMs / Math.max(medianMutantMs, 1e-3)));
}

/** Whether an entry's mutants count as slow: beyond the noise margin, or beyond a small one once slow runs recur more than stalls do. */
function hasSlowMutants(entry: CorpusEntry, estimateMs: number, medianMutantMs: number, stallRate: number): boolean {
  const slow = entry.slowMutantRuns;
  const trusted = slow >= SLOW_RUNS_TRUSTED && slow >= STALL_FACTOR * stallRate * entry.mutantRuns;
  const margin = trusted ? MUTANT_TRUSTED_MARGIN_MS : MUTANT_NOISE_MS;
  return estimateMs - medianMutantMs >= margin;
}

function sizeFactor(relativeSize: number): number {
  if (relativeSize > 4) return 0.5;
  if (relativeSize > 2) return 0.75;
  if (relativeSize < 0.5) return 1.5;
  return 1;
}
