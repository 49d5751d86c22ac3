// The engine's feedback: the realm's kcov device, read after every execution with
// collectIndices (dense block indices, no BigInt). This is the same device a native
// fuzzer would open; the engine has no private side channel into the counters.
//
// Features: in hit mode, a feature is a block index. With --counter-mode count and
// -use_counters=1, a counter that counted 2 or more also gives a feature for its hit-count
// bucket (libFuzzer's: 2, 3, 4-7, 8-15, 16-31, 32-127, 128+), from the counts the device
// reports as it consumes the counters (collectIndices' `counts`). Features are then
// renumbered densely, so block features and bucket features share one small id space.
//
// Most executions only ask whether they reached a feature the corpus does not hold yet
// (reachedNewFeature): answered from the device's output with one pass over the set
// counters (count mode) or the owning blocks (hit mode), against a per-counter or per-block
// mask of the features kept so far. The feature ids are built only when asked for (a new
// or a smaller input), not after every execution.

import { KCOV_TRACE_PC, Kcov, REGISTRY_KEY, type CounterCounts, type KcovRegistry } from "../../runtime";

const NO_ID = -1;

/** libFuzzer's counter buckets for a count >= 2: 1..7 (a count of 1 is the block itself). */
function bucketOf(count: number): number {
  if (count < 4) return count - 1; // 2 -> 1, 3 -> 2
  if (count < 8) return 3;
  if (count < 16) return 4;
  if (count < 32) return 5;
  if (count < 128) return 6;
  return 7;
}

/**
 * Count mode, a counter's features as bits of its `#keptByCounter` mask: bit 0 its owning
 * block (every count >= 1), bit bucketOf(count) its bucket (1..7, count >= 2). By count up
 * to 127; 128 and more are bucket 7.
 */
const FEATURE_BITS = Uint8Array.from({ length: 128 }, (_, count) => (count === 0 ? 0 : count === 1 ? 1 : 1 | (1 << bucketOf(count))));
const FEATURE_BITS_128_AND_MORE = 1 | (1 << 7);

export class KcovFeedback {
  readonly #kcov = new Kcov();
  #blocks = new Uint32Array(1024);
  #features = new Uint32Array(1024);
  #knownFiles = -1;
  #registeredBlocks = 0;
  readonly #countBuckets: boolean;
  /** Count mode: dense feature id of each block, and of each (counter, bucket). */
  #blockFeature = new Int32Array(0);
  #bucketFeature = new Int32Array(0);
  /** Count mode: the counts of the last collect(). */
  #counts: CounterCounts = { counter: new Uint32Array(0), value: new Float64Array(0), length: 0 };
  #nextFeature = 0;
  #featureCount = 0;
  #hits = 0;
  #blockCount = 0;
  /** Count mode: features, featureCount and hits of the last collect are still to be built from the counts. */
  #featuresDue = false;
  /**
   * The features the corpus holds (keep() marked them): count mode, per counter (see
   * FEATURE_BITS); otherwise, per block, 1 when held.
   */
  #keptByCounter = new Uint8Array(0);
  #keptBlock = new Uint8Array(0);

  /**
   * Opens and enables the device: what ran before this call (loading the target) is
   * forgotten. `countBuckets`: make hit-count buckets features (count mode only).
   */
  constructor(countBuckets: boolean) {
    this.#countBuckets = countBuckets;
    this.#kcov.initTrace(2);
    this.#kcov.mmap();
    this.#kcov.enable(KCOV_TRACE_PC);
  }

  /** The block indices written by the last `collect()`: `blocks[0..collect())`. */
  get blocks(): Uint32Array {
    return this.#blocks;
  }

  /** How many blocks the last `collect()` wrote into `blocks`. */
  get blockCount(): number {
    return this.#blockCount;
  }

  /** The features of the last `collect()`: `features[0..featureCount)` (count mode: built on first use). */
  get features(): Uint32Array {
    if (!this.#countBuckets) return this.#blocks;
    if (this.#featuresDue) this.#buildFeatures();
    return this.#features;
  }

  get featureCount(): number {
    if (this.#featuresDue) this.#buildFeatures();
    return this.#featureCount;
  }

  /**
   * What the last execution cost, in block executions: the sum of the counters in count
   * mode, the blocks that ran in hit mode. A deterministic stand-in for its time.
   */
  get hits(): number {
    if (this.#featuresDue) this.#buildFeatures();
    return this.#hits;
  }

  /**
   * Whether the last collect reached a feature that keep() never marked, i.e. one that no
   * corpus entry holds (entries only ever pass their features on, never drop them). Exactly
   * what countNewFeatures(features, featureCount) > 0 says, after collectOwnBlocks() as after
   * collect(): a block that shares a counter runs only with an owning block of that counter.
   */
  reachedNewFeature(): boolean {
    if (this.#countBuckets) {
      const { counter, value, length } = this.#counts;
      const kept = this.#keptByCounter;
      for (let i = 0; i < length; i++) {
        const count = value[i];
        const bits = count < 128 ? FEATURE_BITS[count] : FEATURE_BITS_128_AND_MORE;
        if ((kept[counter[i]] & bits) !== bits) return true;
      }
      return false;
    }
    const blocks = this.#blocks;
    const kept = this.#keptBlock;
    for (let i = 0, count = this.#blockCount; i < count; i++) if (kept[blocks[i]] === 0) return true;
    return false;
  }

  /** The corpus now holds every feature of the last collect (the input was added to it). */
  keep(): void {
    if (this.#countBuckets) {
      const { counter, value, length } = this.#counts;
      const kept = this.#keptByCounter;
      for (let i = 0; i < length; i++) {
        const count = value[i];
        kept[counter[i]] |= count < 128 ? FEATURE_BITS[count] : FEATURE_BITS_128_AND_MORE;
      }
      return;
    }
    const blocks = this.#blocks;
    const kept = this.#keptBlock;
    for (let i = 0, count = this.#blockCount; i < count; i++) kept[blocks[i]] = 1;
  }

  /** Blocks of every instrumented file loaded so far (PCs registered). */
  get registeredBlocks(): number {
    this.#syncFiles();
    return this.#registeredBlocks;
  }

  /** Consumes the counters of the last execution; returns how many blocks ran. */
  collect(): number {
    this.#collect(false);
    return this.#blockCount;
  }

  /**
   * Consumes the counters like collect(), but lists only the blocks that own a counter
   * (Kcov#collectOwnIndices): `features` then has a new feature exactly when collect()'s
   * would, which is all most executions need. `complete()` then gives what collect() gives.
   * Until then, `blocks` and `features` lack the blocks that share a counter, and in hit
   * mode `hits` counts owning blocks only.
   */
  collectOwnBlocks(): void {
    this.#collect(true);
  }

  /** After collectOwnBlocks(): lists every block of that execution, as collect() would have. */
  complete(): void {
    if (this.#kcov.indicesComplete) return;
    const count = this.#kcov.completeIndices(this.#blocks);
    this.#blockCount = count;
    if (this.#countBuckets) this.#featuresDue = true;
    else this.#featureCount = this.#hits = count;
  }

  close(): void {
    this.#kcov.close();
  }

  #collect(ownBlocksOnly: boolean): void {
    this.#syncFiles();
    const kcov = this.#kcov;
    if (!this.#countBuckets) {
      const count = ownBlocksOnly ? kcov.collectOwnIndices(this.#blocks) : kcov.collectIndices(this.#blocks);
      this.#blockCount = this.#featureCount = this.#hits = count;
      return;
    }
    this.#blockCount = ownBlocksOnly ? kcov.collectOwnIndices(this.#blocks, this.#counts) : kcov.collectIndices(this.#blocks, this.#counts);
    this.#featuresDue = true;
  }

  /** Count mode: the bucket features, then the features of blocks[0..blockCount). */
  #buildFeatures(): void {
    this.#featuresDue = false;
    const buckets = this.#bucketFeatures();
    const count = this.#blockCount;
    const features = this.#features;
    const blocks = this.#blocks;
    const blockFeature = this.#blockFeature;
    for (let i = 0; i < count; i++) {
      const block = blocks[i];
      let id = blockFeature[block];
      if (id === NO_ID) id = blockFeature[block] = this.#nextFeature++;
      features[buckets + i] = id;
    }
    this.#featureCount = buckets + count;
  }

  /** Writes the bucket features of the counts >= 2 at features[0..); returns how many. */
  #bucketFeatures(): number {
    const { counter, value, length } = this.#counts;
    const features = this.#features;
    const bucketFeature = this.#bucketFeature;
    let written = 0;
    let hits = 0;
    for (let i = 0; i < length; i++) {
      const count = value[i];
      hits += count;
      if (count < 2) continue;
      const key = counter[i] * 8 + bucketOf(count);
      let id = bucketFeature[key];
      if (id === NO_ID) id = bucketFeature[key] = this.#nextFeature++;
      features[written++] = id;
    }
    this.#hits = hits;
    return written;
  }

  /** Files register as they load (lazy requires): keep room for every block and counter. */
  #syncFiles(): void {
    const registry = (globalThis as { [REGISTRY_KEY]?: KcovRegistry })[REGISTRY_KEY];
    const files = registry?.files ?? [];
    if (files.length === this.#knownFiles) return;
    this.#knownFiles = files.length;
    this.#registeredBlocks = files.reduce((sum, file) => sum + file.blockCount, 0);
    if (this.#blocks.length < this.#registeredBlocks) this.#blocks = new Uint32Array(this.#registeredBlocks);
    this.#keptBlock = grownBytes(this.#keptBlock, this.#registeredBlocks);
    if (this.#countBuckets) {
      const counters = this.#kcov.countersRegistered;
      if (this.#counts.counter.length < counters) this.#counts = { counter: new Uint32Array(counters), value: new Float64Array(counters), length: 0 };
      this.#keptByCounter = grownBytes(this.#keptByCounter, counters);
      this.#blockFeature = grown(this.#blockFeature, this.#registeredBlocks);
      this.#bucketFeature = grown(this.#bucketFeature, counters * 8);
      // At most one bucket feature per counter, plus one per block.
      if (this.#features.length < counters + this.#registeredBlocks) this.#features = new Uint32Array(counters + this.#registeredBlocks);
    }
  }
}

/** `array` extended to `length` with zeros. */
function grownBytes(array: Uint8Array<ArrayBuffer>, length: number): Uint8Array<ArrayBuffer> {
  if (array.length >= length) return array;
  const result = new Uint8Array(length);
  result.set(array);
  return result;
}

/** `array` extended to `length` with NO_ID. */
function grown(array: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> {
  if (array.length >= length) return array;
  const result = new Int32Array(length).fill(NO_ID);
  result.set(array);
  return result;
}
