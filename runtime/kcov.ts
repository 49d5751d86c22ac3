// The device: Linux's /sys/kernel/debug/kcov file descriptor, as an object. The state
// machine and its errno values follow KCOV.md's table; the flush follows gVisor.

import {
  KCOV_MAX_AREA_WORDS,
  KCOV_MIN_AREA_WORDS,
  KCOV_MODE_DISABLED,
  KCOV_MODE_INIT,
  KCOV_MODE_TRACE_CMP,
  KCOV_MODE_TRACE_PC,
  KCOV_TRACE_CMP,
  KCOV_TRACE_PC,
} from "./constants";
import { CompareArea, DEFAULT_STRING_RECORDS, compareHooks, installRecorders } from "./compare-area";
import { HIGH_HALF, LOW_HALF, registeredCounters, type CounterCounts } from "./consume-counters";
import { KcovError } from "./errors";
import { FileArea } from "./file-area";
import * as intrinsics from "./intrinsics";
import { realmRegistry } from "./registry";

/** Options for `new Kcov()`. */
export interface KcovOptions {
  /**
   * Also keep the area in this file (created or truncated by `initTrace`, mode 0600,
   * e.g. on /dev/shm), updated by every `collect()`, so that a native fuzzer can mmap
   * it. Needs Node's fs; without this option the runtime never loads fs.
   */
  file?: string;
  /**
   * Records the string area of a KCOV_TRACE_CMP device holds (docs/compare-area.md).
   * Default 1024 (147 kB); the area is allocated only when the device maps or enables it.
   */
  stringRecords?: number;
  /**
   * The string area's file, when `file` is set (default `<file>.strings`): a driver that
   * passes descriptors down names each one (`/proc/self/fd/N`), where no suffix can be added.
   */
  stringFile?: string;
}

/**
 * The realm's enabled device of each trace mode, on globalThis so that two copies of the
 * runtime agree. One TRACE_PC and one TRACE_CMP device can be enabled together, as with
 * two kcov file descriptors.
 */
const ENABLED_DEVICE_KEY = Symbol.for("babel-plugin-kcov.enabled-device");
const ENABLED_CMP_DEVICE_KEY = Symbol.for("babel-plugin-kcov.enabled-cmp-device");
type RealmGlobal = typeof globalThis & { [ENABLED_DEVICE_KEY]?: Kcov; [ENABLED_CMP_DEVICE_KEY]?: Kcov };

// Module constants rather than uses of the import: each of those is a property load.
const {
  OwnBigUint64Array, OwnFloat64Array, OwnSharedArrayBuffer, OwnUint32Array, OwnUint8Array, atomicsLoad, atomicsStore, copyWithinTypedArray, isInteger,
} = intrinsics;

const MODE_NAMES = ["DISABLED", "INIT", "TRACE_PC", "TRACE_CMP"];
const MAX_STRING_RECORDS = 1 << 20;

/**
 * A kcov device for this realm (the main thread, or one worker thread).
 *
 * Call order, as with the ioctls: `initTrace(words)`, `mmap()`, `enable(KCOV_TRACE_PC)`,
 * then `collect()` after each run of the target, `disable()`, `close()`.
 *
 * Coverage is per realm, not per thread of control: every instrumented file loaded in
 * this realm counts, whichever async task ran it, and only one device per realm can be
 * enabled at a time. Unlike Linux, nothing is appended while the target runs; the
 * target's counters are turned into PCs by `collect()`, as gVisor does when a task
 * returns to user space.
 */
export class Kcov {
  #mode = KCOV_MODE_DISABLED;
  #closed = false;
  #mapped = false;
  #areaWords = 0;
  #leftover = 0;
  #buffer: SharedArrayBuffer | undefined;
  /** The area as 32-bit halves: PCs are written without creating BigInts. */
  #halves: Uint32Array<ArrayBufferLike> = new OwnUint32Array(0);
  #view: BigUint64Array<SharedArrayBuffer> | undefined;
  #fileArea: FileArea | undefined;
  readonly #filePath: string | undefined;
  readonly #stringFilePath: string | undefined;
  readonly #stringRecords: number;
  #compare: CompareArea | undefined;
  #stringFileArea: FileArea | undefined;
  #stringView: Uint8Array<SharedArrayBuffer> | undefined;
  /** Counts last copied into the files (TRACE_CMP with `{ file }`). */
  #syncedCount = 0;
  #syncedStringCount = 0;

  /**
   * Creates a closed-to-the-world device in mode DISABLED. Also adopts this realm's
   * registry, throwing KcovRegistrationError if the files already registered clash.
   */
  constructor(options: KcovOptions = {}) {
    if (options.file !== undefined && (typeof options.file !== "string" || options.file === "")) {
      throw new TypeError(`new Kcov({ file }) needs a non-empty path string; got ${String(options.file)}`);
    }
    const stringRecords = options.stringRecords ?? DEFAULT_STRING_RECORDS;
    if (!isInteger(stringRecords) || stringRecords < 1 || stringRecords > MAX_STRING_RECORDS) {
      throw new TypeError(`new Kcov({ stringRecords }) needs a whole number from 1 to ${MAX_STRING_RECORDS}; got ${String(stringRecords)}`);
    }
    if (options.stringFile !== undefined && (typeof options.stringFile !== "string" || options.stringFile === "" || options.file === undefined)) {
      throw new TypeError(`new Kcov({ stringFile }) needs a non-empty path string and a { file } beside it; got ${String(options.stringFile)}`);
    }
    this.#filePath = options.file;
    this.#stringFilePath = options.stringFile ?? (options.file === undefined ? undefined : `${options.file}.strings`);
    this.#stringRecords = stringRecords;
    realmRegistry();
  }

  /** DISABLED (0), INIT (1), TRACE_PC (2) or TRACE_CMP (3), as Linux numbers `enum kcov_mode`. */
  get mode(): number {
    return this.#mode;
  }

  /**
   * How many executed blocks the last `collect()` or `collectIndices()` could not fit.
   * They are pending: the next flushes report them, each once (Linux and gVisor drop them).
   */
  get leftover(): number {
    return this.#leftover;
  }

  /**
   * Comparison records dropped whole since `enable(KCOV_TRACE_CMP)` because the Linux area
   * was full (also word 2 of the string area's header).
   */
  get droppedComparisons(): number {
    return this.#compare?.dropped ?? 0;
  }

  /** String-area records dropped since `enable(KCOV_TRACE_CMP)` (also word 1 of its header). */
  get droppedStringComparisons(): number {
    return this.#compare?.stringDropped ?? 0;
  }

  /** The backing file's path, if the device was created with `{ file }`. */
  get file(): string | undefined {
    return this.#filePath;
  }

  /**
   * KCOV_INIT_TRACE: allocates an area of `words` 64-bit words, word 0 included, so at
   * most `words - 1` PCs fit. Like Linux and unlike gVisor, the size need not fill whole
   * 4096-byte pages; like gVisor, it is at most KCOV_MAX_AREA_WORDS. An area cannot be
   * resized: EBUSY once initialized.
   */
  initTrace(words: number): void {
    this.#checkOpen("initTrace");
    if (this.#mode !== KCOV_MODE_DISABLED) {
      throw new KcovError(
        "EBUSY",
        `initTrace() was already called on this device (area of ${this.#areaWords} words); ` +
          `an area cannot be resized: close() this device and create a new Kcov.`,
      );
    }
    if (!isInteger(words) || words < KCOV_MIN_AREA_WORDS || words > KCOV_MAX_AREA_WORDS) {
      throw new KcovError(
        "EINVAL",
        `initTrace(words) needs a whole number of 64-bit words from ${KCOV_MIN_AREA_WORDS} ` +
          `(word 0 and one PC) to ${KCOV_MAX_AREA_WORDS}; got ${String(words)}.`,
      );
    }
    const buffer = new OwnSharedArrayBuffer(words * 8);
    // Open the file before changing state, so a failure leaves the device DISABLED.
    this.#fileArea = this.#filePath === undefined ? undefined : new FileArea(this.#filePath, buffer);
    this.#buffer = buffer;
    this.#halves = new OwnUint32Array(buffer);
    this.#areaWords = words;
    this.#mode = KCOV_MODE_INIT;
  }

  /**
   * mmap: the area as a BigUint64Array over a SharedArrayBuffer (host byte order,
   * little-endian on every platform Node ships for but s390x). Word 0 is the PC count,
   * PCs follow. Can be called more than once; every call views the same memory. The
   * optional `byteLength` is checked as Linux checks the mapping length (words * 8).
   * Post the view's `.buffer` to another thread to read it there with Atomics.
   */
  mmap(byteLength?: number): BigUint64Array<SharedArrayBuffer> {
    this.#checkOpen("mmap");
    if (this.#buffer === undefined) {
      throw new KcovError("EINVAL", "mmap() needs an area: call initTrace(words) first.");
    }
    if (byteLength !== undefined && byteLength !== this.#areaWords * 8) {
      throw new KcovError(
        "EINVAL",
        `mmap(byteLength) must map the whole area, ${this.#areaWords * 8} bytes ` +
          `(${this.#areaWords} words * 8); got ${String(byteLength)}. Omit the argument.`,
      );
    }
    this.#view ??= new OwnBigUint64Array(this.#buffer);
    this.#mapped = true;
    return this.#view;
  }

  /**
   * Extension beyond kcov: the string area of comparison tracing (docs/compare-area.md),
   * bytes over a SharedArrayBuffer, filled while this device is enabled with
   * KCOV_TRACE_CMP. Needs initTrace first; allocated (and, with `{ file }`, its file
   * `<file>.strings` or `stringFile` created) on the first call. Every call views the same memory.
   */
  mmapStrings(): Uint8Array<SharedArrayBuffer> {
    this.#checkOpen("mmapStrings");
    if (this.#buffer === undefined) {
      throw new KcovError("EINVAL", "mmapStrings() needs an area: call initTrace(words) first.");
    }
    return this.#compareArea().view;
  }

  #compareArea(): { area: CompareArea; view: Uint8Array<SharedArrayBuffer> } {
    if (this.#compare === undefined) {
      const strings = new OwnSharedArrayBuffer(CompareArea.stringAreaBytes(this.#stringRecords));
      this.#stringFileArea = this.#stringFilePath === undefined ? undefined : new FileArea(this.#stringFilePath, strings);
      this.#compare = new CompareArea(this.#buffer!, strings);
      this.#stringView = new OwnUint8Array(strings);
    }
    return { area: this.#compare, view: this.#stringView! };
  }

  /**
   * KCOV_ENABLE: starts collecting for this realm. Needs initTrace and mmap first
   * (gVisor's rule; Linux needs only initTrace). Clears the counters of every registered
   * file, as gVisor does, so the first flush holds only what ran after this call; the
   * area itself is left alone (reset word 0 to drop what it holds). Files that register
   * later take part too. With KCOV_TRACE_CMP, comparisons in code instrumented with
   * `traceCmp` append records to the area from now on (docs/compare-area.md); the
   * drop counters restart at 0. Errors are checked in Linux's order: device state
   * (EINVAL), another enabled device of that mode in this realm (EBUSY), then an unknown
   * `traceMode` (EINVAL).
   */
  enable(traceMode: number): void {
    this.#checkOpen("enable");
    if (this.#mode !== KCOV_MODE_INIT || !this.#mapped) {
      throw new KcovError(
        "EINVAL",
        this.#mode === KCOV_MODE_TRACE_PC || this.#mode === KCOV_MODE_TRACE_CMP
          ? "enable() was already called on this device; call disable() first."
          : this.#mode === KCOV_MODE_DISABLED
            ? "enable() needs an area: call initTrace(words), then mmap(), first."
            : "enable() needs the area mapped: call mmap() first.",
      );
    }
    const realm = globalThis as RealmGlobal;
    const key = traceMode === KCOV_TRACE_CMP ? ENABLED_CMP_DEVICE_KEY : ENABLED_DEVICE_KEY;
    const owner = realm[key];
    if (owner !== undefined && owner !== this) {
      throw new KcovError(
        "EBUSY",
        `another Kcov device is enabled for ${traceMode === KCOV_TRACE_CMP ? "KCOV_TRACE_CMP" : "KCOV_TRACE_PC"} ` +
          "in this realm, and tracing is per realm: call disable() on that device first " +
          "(a worker thread can have its own device; one TRACE_PC and one TRACE_CMP device can be enabled together).",
      );
    }
    if (traceMode === KCOV_TRACE_CMP) {
      const { area } = this.#compareArea();
      area.resetDropped();
      this.#syncedCount = area.count;
      this.#syncedStringCount = area.stringCount;
      installRecorders(compareHooks(), area);
      realm[key] = this;
      this.#mode = KCOV_MODE_TRACE_CMP;
      return;
    }
    if (traceMode !== KCOV_TRACE_PC) {
      throw new KcovError(
        "EINVAL",
        `unknown trace mode ${String(traceMode)}; enable KCOV_TRACE_PC (${KCOV_TRACE_PC}) or KCOV_TRACE_CMP (${KCOV_TRACE_CMP}).`,
      );
    }
    registeredCounters().clearAll();
    realm[key] = this;
    this.#mode = KCOV_MODE_TRACE_PC;
  }

  /**
   * The flush (gVisor's ConsumeCoverageData): re-reads word 0, so a consumer's reset is
   * honoured; appends the PC of every block whose counter is non-zero, once, file by
   * file in registration order and block by block; clears those counters; stores the new
   * count in word 0 last (an atomic store, after the PCs). Never writes past the area:
   * blocks that do not fit are pending for the next flushes and counted in `leftover`. If word 0
   * holds a count the area cannot have (>= words), nothing is appended, as in Linux.
   * Returns how many PCs it appended. Allocates nothing; with `{ file }`, also copies
   * the new words into the file (two preads/pwrites).
   */
  collect(): number {
    this.#checkEnabled("collect");
    if (this.#mode === KCOV_MODE_TRACE_CMP) return this.#syncComparisons();
    const halves = this.#halves;
    const areaWords = this.#areaWords;
    const fileArea = this.#fileArea;
    const counters = registeredCounters();
    const areaCount = atomicsLoad(halves, HIGH_HALF) === 0 ? atomicsLoad(halves, LOW_HALF) : Infinity;
    const fileCount = fileArea === undefined ? Infinity : fileArea.readCount();
    // A reset may have been made in either copy; a consumer only ever lowers the count.
    const count = areaCount < fileCount ? areaCount : fileCount;
    if (count >= areaWords - 1) {
      // Full, or a count no area of this size can hold: append nothing, as Linux does.
      counters.consumeIntoArea(halves, areaWords, areaWords);
      this.#leftover = counters.leftover;
      return 0;
    }
    const appended = counters.consumeIntoArea(halves, count + 1, areaWords);
    this.#leftover = counters.leftover;
    const newCount = count + appended;
    if (newCount !== areaCount) {
      halves[HIGH_HALF] = 0;
      atomicsStore(halves, LOW_HALF, newCount);
    }
    if (fileArea !== undefined && (appended > 0 || newCount !== fileCount)) fileArea.write(count + 1, newCount + 1);
    return appended;
  }

  /**
   * Extension beyond kcov, for JavaScript fuzzers that would rather not use BigInt:
   * like `collect()`, but writes the dense index of each executed block into `out`
   * (from out[0]) instead of appending PCs to the area, and returns how many it wrote.
   * Dense index = blocks of earlier-registered files + block index in its file, so it
   * depends on the order files load; map it back with `blockAtIndex`. Blocks that do
   * not fit are pending (see `leftover`). The area is not touched.
   *
   * `counts`, if given, also receives how often each block ran, for files instrumented
   * in "count" mode: the index (counters of earlier-registered files first) and value of
   * each of their non-zero counters, before the flush clears it (hit-count buckets, as
   * libFuzzer's -use_counters). Its arrays need room for `countersRegistered` entries.
   */
  collectIndices(out: Uint32Array, counts?: CounterCounts): number {
    return this.#collectIndices("collectIndices", out, counts, false);
  }

  /**
   * Extension beyond kcov, for a fuzzer that checks novelty before it looks at the blocks:
   * like `collectIndices`, but writes only the block that owns each set counter (its first
   * block), not the blocks that share it (joins, docs/block-table.md). Such a block runs
   * only when one of its counters is set, so an execution that reached a block no earlier
   * execution reached also reached an owning block no earlier one reached. Counters and
   * `counts` are consumed as by `collectIndices`. Then `completeIndices(out)` writes every
   * block of this flush, until the next flush. Where a full flush could leave blocks
   * pending (`out` shorter than the registered blocks, or pending blocks from an earlier
   * flush), this flush is a full one: `completeIndices` is then not needed (`indicesComplete`).
   */
  collectOwnIndices(out: Uint32Array, counts?: CounterCounts): number {
    return this.#collectIndices("collectOwnIndices", out, counts, true);
  }

  /** False after a `collectOwnIndices` that wrote own blocks only, until `completeIndices`. */
  get indicesComplete(): boolean {
    return !registeredCounters().sharedBlocksPending;
  }

  /**
   * After `collectOwnIndices`: writes the dense index of every block of that flush into
   * `out` (from out[0]), exactly what `collectIndices` would have written, and returns how
   * many. `out` needs room for every registered block. EINVAL when the last flush was not
   * a `collectOwnIndices` that left blocks out.
   */
  completeIndices(out: Uint32Array): number {
    this.#checkEnabled("completeIndices");
    const counters = registeredCounters();
    if (!counters.sharedBlocksPending) {
      throw new KcovError("EINVAL", "completeIndices() completes the last flush of collectOwnIndices(), and there is none to complete: " +
        "it was a full flush, or another flush came after it.");
    }
    if (!(out instanceof OwnUint32Array)) throw new TypeError("completeIndices(out) needs a Uint32Array to fill.");
    return counters.listSharedBlocks(out);
  }

  #collectIndices(call: string, out: Uint32Array, counts: CounterCounts | undefined, ownBlocksOnly: boolean): number {
    this.#checkEnabled(call);
    if (this.#mode === KCOV_MODE_TRACE_CMP) {
      throw new KcovError("EINVAL", `${call}() reports blocks: it needs a device enabled with KCOV_TRACE_PC, not KCOV_TRACE_CMP.`);
    }
    if (!(out instanceof OwnUint32Array)) {
      throw new TypeError(`${call}(out) needs a Uint32Array to fill.`);
    }
    const counters = registeredCounters();
    if (counts !== undefined && !(counts.counter instanceof OwnUint32Array && counts.value instanceof OwnFloat64Array &&
        counts.counter.length >= counters.counterTotal && counts.value.length >= counters.counterTotal)) {
      throw new TypeError(
        `${call}(out, counts) needs counts.counter (a Uint32Array) and counts.value (a Float64Array) ` +
          `of at least ${counters.counterTotal} entries, one per registered counter.`,
      );
    }
    const written = counters.consumeIntoIndices(out, counts ?? null, ownBlocksOnly);
    this.#leftover = counters.leftover;
    return written;
  }

  /** Counters of the instrumented files registered so far (the room `collectIndices`' `counts` needs). */
  get countersRegistered(): number {
    return registeredCounters().counterTotal;
  }

  /**
   * KCOV_DISABLE: stops collecting; mode returns to INIT and, as in Linux, the area
   * stays mapped (gVisor drops the mapping; a JavaScript view cannot be revoked), so
   * `enable()` can follow directly. Counters keep running but nothing reads them.
   */
  disable(): void {
    this.#checkEnabled("disable");
    this.#release();
    this.#mode = KCOV_MODE_INIT;
  }

  /**
   * Closes the device: disables it if enabled, closes the backing file (which stays on
   * disk). Views returned by `mmap()` remain readable. Calling it again does nothing;
   * any other call afterwards throws EBADF.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#mode === KCOV_MODE_TRACE_PC || this.#mode === KCOV_MODE_TRACE_CMP) this.#release();
    this.#closed = true;
    this.#mode = KCOV_MODE_DISABLED;
    this.#fileArea?.close();
    this.#fileArea = undefined;
    this.#stringFileArea?.close();
    this.#stringFileArea = undefined;
    this.#compare = undefined;
    this.#stringView = undefined;
    this.#buffer = undefined;
    this.#view = undefined;
    this.#halves = new OwnUint32Array(0);
  }

  #release(): void {
    const realm = globalThis as RealmGlobal;
    if (realm[ENABLED_DEVICE_KEY] === this) delete realm[ENABLED_DEVICE_KEY];
    if (realm[ENABLED_CMP_DEVICE_KEY] === this) {
      delete realm[ENABLED_CMP_DEVICE_KEY];
      const hooks = compareHooks();
      if (hooks.record === this.#compare?.record) installRecorders(hooks, null);
    }
  }

  /**
   * collect() of a TRACE_CMP device: records are appended while the target runs, so this
   * only copies the new ones into the files of `{ file }`. A reader in another process
   * may have reset a file's count; the records appended since the last copy then move
   * down to that count, in memory too. Returns the records appended since the last call.
   */
  #syncComparisons(): number {
    const area = this.#compare!;
    const linux = syncArea(this.#fileArea, this.#buffer!, 1, 4, area.count, this.#syncedCount,
      (count) => { area.count = count; });
    this.#syncedCount = linux.count;
    const strings = syncArea(this.#stringFileArea, area.stringBuffer, 4, 18, area.stringCount, this.#syncedStringCount,
      (count) => { area.stringCount = count; });
    this.#syncedStringCount = strings.count;
    // The header's drop counters and record size, after the records (write() ends with word 0 again).
    this.#stringFileArea?.write(1, 4);
    return linux.appended;
  }

  #checkOpen(call: string): void {
    if (this.#closed) {
      throw new KcovError("EBADF", `${call}() on a closed device; create a new Kcov.`);
    }
  }

  #checkEnabled(call: string): void {
    this.#checkOpen(call);
    if (this.#mode !== KCOV_MODE_TRACE_PC && this.#mode !== KCOV_MODE_TRACE_CMP) {
      throw new KcovError(
        "EINVAL",
        `${call}() needs an enabled device, but this one is in mode ${MODE_NAMES[this.#mode]}: ` +
          `call ${this.#mode === KCOV_MODE_DISABLED ? "initTrace(words), mmap(), then " : ""}` +
          `enable(KCOV_TRACE_PC) first.`,
      );
    }
  }
}

/**
 * Brings one comparison area's file copy up to date: records `[from, count)` are new
 * since the last copy (all of them after an in-memory reset below `synced`). If the file's
 * count was lowered by its reader, they move down to it. Records are `recordWords` words
 * from word `firstWord`.
 */
function syncArea(
  file: FileArea | undefined, buffer: SharedArrayBuffer, firstWord: number, recordWords: number,
  count: number, synced: number, setCount: (count: number) => void,
): { count: number; appended: number } {
  const from = count >= synced ? synced : 0;
  const appended = count === Infinity ? 0 : count - from;
  if (file === undefined || count === Infinity) return { count, appended };
  const fileCount = file.readCount();
  const target = fileCount < from ? fileCount : from;
  if (target < from) {
    const words = new OwnBigUint64Array(buffer);
    copyWithinTypedArray(words, firstWord + target * recordWords, firstWord + from * recordWords, firstWord + count * recordWords);
  }
  const newCount = target + appended;
  if (newCount !== count) setCount(newCount);
  file.write(firstWord + target * recordWords, firstWord + newCount * recordWords);
  return { count: newCount, appended };
}
