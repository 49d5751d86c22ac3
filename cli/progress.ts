// Progress on stderr while `jskcov run` transforms many files. Quiet for short startups:
// nothing is printed before the first second, then at most one line a second. The
// counts live in a SharedArrayBuffer that the require hook (main thread) and the import
// hooks (Node's hooks thread) both add to, so the summary at exit covers both.

const FIRST_REPORT_MS = 1000;
const REPORT_INTERVAL_MS = 1000;

// Captured at load: the require hook counts, and the exit flush reads, after the program
// may have replaced Atomics' functions (runtime/intrinsics.ts).
const atomicsAdd = Atomics.add;
const atomicsLoad = Atomics.load;

const FILES = 0;
const CACHE_HITS = 1;

export function createProgressCounters(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

export class ProgressReporter {
  readonly #counts: Int32Array;
  readonly #started = Date.now();
  #lastReport = 0;

  constructor(readonly enabled: boolean, counters: SharedArrayBuffer) {
    this.#counts = new Int32Array(counters);
  }

  fileDone(cacheHit: boolean): void {
    atomicsAdd(this.#counts, FILES, 1);
    if (cacheHit) atomicsAdd(this.#counts, CACHE_HITS, 1);
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.#started < FIRST_REPORT_MS || now - this.#lastReport < REPORT_INTERVAL_MS) return;
    this.#lastReport = now;
    process.stderr.write(`jskcov: ${this.describe()} so far\n`);
  }

  files(): number {
    return atomicsLoad(this.#counts, FILES);
  }

  cacheHits(): number {
    return atomicsLoad(this.#counts, CACHE_HITS);
  }

  /** E.g. "transformed 120 files (100 from the cache)". */
  describe(): string {
    return `transformed ${atomicsLoad(this.#counts, FILES)} files (${atomicsLoad(this.#counts, CACHE_HITS)} from the cache)`;
  }
}
