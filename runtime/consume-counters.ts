// The flush loop: gVisor's ConsumeCoverageData, adapted. File by file in registration
// order, it finds the non-zero counters, writes the entries of their blocks in block order
// (a counter usually has one block; joins that share their list's counter add theirs) and
// clears them. Unlike gVisor, a block that does not fit is remembered as pending, by
// block rather than by counter (a counter can stand for blocks that did fit), and the
// next flushes report it, once, before they clear anything.

import { decodeTable, type DecodedTable } from "./block-table";
import { realmRegistry, type KcovFileRecord, type KcovRegistry } from "./registry";
import { OwnFloat64Array, OwnUint32Array, OwnUint8Array, fillTypedArray } from "./intrinsics";

/** Index of a 64-bit word's low and high halves in a Uint32Array: the host's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export const LOW_HALF = LITTLE_ENDIAN ? 0 : 1;
export const HIGH_HALF = LITTLE_ENDIAN ? 1 : 0;

/** One registered file, as the flush sees it. */
interface FileCounters {
  readonly record: KcovFileRecord;
  /**
   * "hit" counters seen 8 at a time, so the scan skips 8 idle blocks per load; null
   * when the counters are Float64Array or not 8-byte aligned. A hit counter holds 0 or
   * 1, so a word with a set counter never reads as 0 (nor as -0, which needs a 0x80 byte).
   */
  readonly words: Float64Array | null;
  /** Dense index of the file's first block (blocks of earlier files come first). */
  readonly firstBlock: number;
  /** Index of the file's first counter among all counters (for `CounterCounts`). */
  readonly firstCounter: number;
  /** "count" counters (Float64Array): their values go to a `CounterCounts`. */
  readonly counts: boolean;
  /** The table's counter groups, decoded at the file's first hit. */
  groups: DecodedTable | null;
  /** Which extra blocks each counter reports, built with `groups`. */
  extras: ExtrasByCounter | null;
  /** Per block: 1 if it ran but did not fit in a flush; allocated at the file's first overflow. */
  pending: Uint8Array | null;
  pendingCount: number;
  /** Counters listed by the last flush (in `groups.hitCounters`), for `listSharedBlocks`. */
  listedHits: number;
}

/**
 * The extra blocks (DecodedTable.extraBlock) each counter reports, so that a flush visits
 * only the extras of the counters that are set, not every extra of the file: extra
 * indices `list[start[c]..start[c + 1])` for counter c. Plus the flush's scratch space.
 */
interface ExtrasByCounter {
  readonly start: Uint32Array;
  readonly list: Uint32Array;
  /** Per extra: the flush that last listed it (so a pair's extra is listed once). */
  readonly listedIn: Uint32Array;
  /** The extras of the current flush, sorted into block order before they are written. */
  readonly due: Uint32Array;
  /** The blocks of the current flush, in block order, before they are written. */
  readonly blocks: Uint32Array;
  flush: number;
}

function extrasByCounter(groups: DecodedTable, counterCount: number, blockCount: number): ExtrasByCounter {
  const { extraCounter, extraCounterB } = groups;
  const extraCount = extraCounter.length;
  const start = new OwnUint32Array(counterCount + 1);
  const pairOf = (extra: number): boolean => extraCounterB[extra] !== extraCounter[extra];
  for (let extra = 0; extra < extraCount; extra++) {
    start[extraCounter[extra] + 1]++;
    if (pairOf(extra)) start[extraCounterB[extra] + 1]++;
  }
  for (let counter = 0; counter < counterCount; counter++) start[counter + 1] += start[counter];
  const list = new OwnUint32Array(start[counterCount]);
  const filled = new OwnUint32Array(counterCount);
  for (let counter = 0; counter < counterCount; counter++) filled[counter] = start[counter];
  for (let extra = 0; extra < extraCount; extra++) {
    list[filled[extraCounter[extra]]++] = extra;
    if (pairOf(extra)) list[filled[extraCounterB[extra]]++] = extra;
  }
  return { start, list, listedIn: new OwnUint32Array(extraCount), due: new OwnUint32Array(extraCount), blocks: new OwnUint32Array(blockCount), flush: 0 };
}

/**
 * Where a flush also reports the value of every non-zero "count" counter (Float64Array:
 * "hit" files have no counts) before clearing it: `counter[0..length)` the counter's index
 * among all counters (counters of earlier-registered files first), `value[..]` its value,
 * in file then counter order. Both arrays hold at least `RegisteredCounters.counterTotal`.
 */
export interface CounterCounts {
  readonly counter: Uint32Array;
  readonly value: Float64Array;
  length: number;
}

/**
 * The registry's files plus what the flush needs from each, kept in step with the
 * registry as files register. Allocates only when a new file has registered (and once
 * per file to decode its table), never per flush.
 */
class RegisteredCounters {
  /** Blocks that did not fit in the last flush: pending, for the next. */
  leftover = 0;
  private readonly files: FileCounters[] = [];
  private blockTotal = 0;
  /** Counters of the files that take part (not left out). */
  counterTotal = 0;
  /** Registry records seen so far (files left out of coverage included). */
  private synced = 0;
  // The current flush's output, in fields so that `consumeRange` stays a small method.
  private out: Uint32Array = new OwnUint32Array(0);
  private toIndices = false;
  private next = 0;
  private limit = 0;
  private counts: CounterCounts | null = null;
  /** The current flush writes each set counter's own block only (see `consumeIntoIndices`). */
  private ownBlocksOnly = false;
  /** The last flush wrote own blocks only: `listSharedBlocks` can still write all of its blocks. */
  private sharedBlocksDue = false;

  constructor(readonly registry: KcovRegistry) {}

  /** Picks up files that registered since the last call. */
  sync(): void {
    const records = this.registry.files;
    const files = this.files;
    for (; this.synced < records.length; this.synced++) {
      const record = records[this.synced];
      if (record.leftOut !== undefined) continue;
      const { counters, blockCount } = record;
      const words =
        counters instanceof OwnUint8Array && counters.byteOffset % 8 === 0
          ? new OwnFloat64Array(counters.buffer, counters.byteOffset, counters.length >> 3)
          : null;
      files[files.length] = {
        record, words, firstBlock: this.blockTotal, firstCounter: this.counterTotal, counts: counters instanceof OwnFloat64Array,
        groups: null, extras: null, pending: null, pendingCount: 0, listedHits: 0,
      };
      this.blockTotal += blockCount;
      this.counterTotal += counters.length;
    }
  }

  /** Sets every counter to 0 and drops pending blocks: what ran before this call is forgotten. */
  clearAll(): void {
    this.sharedBlocksDue = false;
    const files = this.files;
    for (let f = 0; f < files.length; f++) {
      const file = files[f];
      fillTypedArray(file.record.counters, 0);
      if (file.pending !== null) fillTypedArray(file.pending, 0);
      file.pendingCount = 0;
    }
  }

  /**
   * Appends the PC of every hit block to a kcov area seen as 32-bit halves, from 64-bit
   * word `nextWord` up to (excluding) `areaWords`. Returns how many PCs it wrote; does
   * not touch word 0.
   */
  consumeIntoArea(area: Uint32Array, nextWord: number, areaWords: number): number {
    this.out = area;
    this.toIndices = false;
    this.next = nextWord;
    this.limit = areaWords;
    this.counts = null;
    this.consumeAll();
    return this.next - nextWord;
  }

  /**
   * Writes the dense index of every hit block into `out` from 0, clearing its counter, and
   * the values of "count" counters into `counts` if given. Returns how many blocks it wrote.
   *
   * `ownBlocksOnly`: writes only the own block (`DecodedTable.ownBlock`) of each set counter,
   * leaving out the blocks that share a counter; `listSharedBlocks` then writes every block of
   * this flush, as a full one would have. Taken only where no block can be left pending (`out`
   * holds every registered block, no file has pending blocks); otherwise the flush is full and
   * `sharedBlocksDue` says so.
   */
  consumeIntoIndices(out: Uint32Array, counts: CounterCounts | null, ownBlocksOnly = false): number {
    this.out = out;
    this.toIndices = true;
    this.next = 0;
    this.limit = out.length;
    this.counts = counts;
    if (counts !== null) counts.length = 0;
    this.ownBlocksOnly = ownBlocksOnly && out.length >= this.blockTotal && !this.anyPending();
    this.consumeAll();
    this.sharedBlocksDue = this.ownBlocksOnly;
    this.ownBlocksOnly = false;
    return this.next;
  }

  /** Whether some file has blocks pending from an earlier flush. */
  private anyPending(): boolean {
    const files = this.files;
    for (let f = 0; f < files.length; f++) if (files[f].pendingCount !== 0) return true;
    return false;
  }

  /** True while the last flush wrote own blocks only and `listSharedBlocks` can complete it. */
  get sharedBlocksPending(): boolean {
    return this.sharedBlocksDue;
  }

  /**
   * After a flush that wrote own blocks only: writes every block of that flush into `out`
   * from 0, in the order a full flush writes them (the counters are already cleared; the
   * flush's lists of set counters are still there). Returns how many it wrote.
   */
  listSharedBlocks(out: Uint32Array): number {
    if (!this.sharedBlocksDue) throw new Error("listSharedBlocks: the last flush was not one of own blocks only");
    if (out.length < this.blockTotal) throw new RangeError(`listSharedBlocks needs room for every registered block (${this.blockTotal})`);
    this.out = out;
    this.next = 0;
    const files = this.files;
    for (let f = 0; f < files.length; f++) {
      const file = files[f];
      const hits = file.listedHits;
      if (hits === 0) continue;
      const groups = file.groups!;
      const extras = file.extras!;
      const dueCount = extras.list.length === 0 ? 0 : this.listDueExtras(extras, groups.hitCounters, hits);
      this.emitIndices(file, groups, hits, dueCount);
    }
    this.sharedBlocksDue = false;
    return this.next;
  }

  private consumeAll(): void {
    this.leftover = 0;
    this.sharedBlocksDue = false;
    const files = this.files;
    for (let f = 0; f < files.length; f++) {
      const file = files[f];
      const hits = this.findHitCounters(file);
      file.listedHits = hits;
      if (file.pendingCount !== 0) this.drainFile(file, file.groups!);
      else if (hits > 0) this.emitFile(file, file.groups!, hits);
    }
  }

  /**
   * Lists the file's non-zero counters in its scratch array; returns how many. Within a
   * group that has a hit, each counter is listed unconditionally and the count advances
   * only if it is set: no branch to mispredict on the (scattered) hits.
   */
  private findHitCounters(file: FileCounters): number {
    const counters = file.record.counters;
    const words = file.words;
    if (words !== null) {
      // Most blocks did not run: test eight counters with one load, and clear them with one
      // store once listed (a file with pending blocks is cleared by drainFile instead).
      const clear = file.pendingCount === 0;
      let hits = 0;
      let list: Uint32Array | null = null;
      for (let word = 0; word < words.length; word++) {
        if (words[word] === 0) continue;
        list ??= this.groupsOf(file).hitCounters;
        for (let c = word * 8, end = c + 8; c < end; c++) {
          list[hits] = c;
          hits += counters[c] !== 0 ? 1 : 0;
        }
        if (clear) words[word] = 0;
      }
      for (let c = words.length * 8; c < counters.length; c++) {
        if (counters[c] === 0) continue;
        this.groupsOf(file).hitCounters[hits++] = c;
        if (clear) counters[c] = 0;
      }
      return hits;
    }
    // "count" counters (never negative), and "hit" counters that cannot be read as words:
    // eight at a time, by their sum, then those eight without branches; one at a time past
    // the last multiple of eight. The `| 0` keeps the indices 32-bit integers (no overflow
    // checks). Each load still pays its own bounds check; eight per test halves the loop's
    // own overhead per counter against four (about 1/6 fewer instructions per scan).
    let hits = 0;
    let list: Uint32Array | null = null;
    const whole = counters.length & ~7;
    for (let c = 0; c < whole; c = (c + 8) | 0) {
      const sum =
        counters[c] + counters[(c + 1) | 0] + (counters[(c + 2) | 0] + counters[(c + 3) | 0]) +
        (counters[(c + 4) | 0] + counters[(c + 5) | 0] + (counters[(c + 6) | 0] + counters[(c + 7) | 0]));
      if (sum === 0) continue;
      list ??= this.groupsOf(file).hitCounters;
      for (let k = c; k < c + 8; k++) {
        list[hits] = k;
        hits += counters[k] !== 0 ? 1 : 0;
      }
    }
    for (let c = whole; c < counters.length; c++) {
      if (counters[c] !== 0) this.groupsOf(file).hitCounters[hits++] = c;
    }
    return hits;
  }

  /** The file's decoded table, and which extras each counter reports: built at its first hit. */
  private groupsOf(file: FileCounters): DecodedTable {
    if (file.groups === null) {
      file.groups = decodeTable(file.record);
      file.extras = extrasByCounter(file.groups, file.record.counters.length, file.record.blockCount);
    }
    return file.groups;
  }

  /**
   * Writes the blocks of the `hits` listed counters in block order: each counter's own
   * block, merged with the extra blocks one of whose counters is set. Then clears those
   * counters (the blocks that did not fit are pending).
   */
  private emitFile(file: FileCounters, groups: DecodedTable, hits: number): void {
    const counters = file.record.counters;
    const { ownBlock, extraBlock, hitCounters } = groups;
    const extras = file.extras!;
    if (this.counts !== null && file.counts) this.reportCounts(file, hitCounters, hits);
    if (this.ownBlocksOnly) {
      // The blocks that share a counter wait for listSharedBlocks (everything fits: see consumeIntoIndices).
      this.emitIndices(file, groups, hits, 0);
      if (file.words === null) for (let i = 0; i < hits; i++) counters[hitCounters[i]] = 0;
      return;
    }
    const dueCount = extras.list.length === 0 ? 0 : this.listDueExtras(extras, hitCounters, hits);
    const count = hits + dueCount;
    if (this.toIndices && this.next + count <= this.limit) {
      // Everything fits (the usual case): straight into the output, no pending bookkeeping.
      this.emitIndices(file, groups, hits, dueCount);
      if (file.words === null) for (let i = 0; i < hits; i++) counters[hitCounters[i]] = 0;
      return;
    }
    const due = extras.due;
    const blocks = extras.blocks;
    let written = 0;
    let next = 0;
    for (let i = 0; i < hits; i++) {
      const own = ownBlock[hitCounters[i]];
      for (; next < dueCount && extraBlock[due[next]] < own; next++) blocks[written++] = extraBlock[due[next]];
      blocks[written++] = own;
    }
    for (; next < dueCount; next++) blocks[written++] = extraBlock[due[next]];
    if (file.words === null) for (let i = 0; i < hits; i++) counters[hitCounters[i]] = 0;
    this.writeBlocks(file, groups, written);
  }

  /** emitFile's merge when every block fits in the index output. */
  private emitIndices(file: FileCounters, groups: DecodedTable, hits: number, dueCount: number): void {
    const { ownBlock, extraBlock, hitCounters } = groups;
    const due = file.extras!.due;
    const out = this.out;
    const firstBlock = file.firstBlock;
    let at = this.next;
    if (dueCount === 0) {
      for (let i = 0; i < hits; i++) out[at++] = firstBlock + ownBlock[hitCounters[i]];
    } else {
      let next = 0;
      let nextExtra = extraBlock[due[0]];
      for (let i = 0; i < hits; i++) {
        const own = ownBlock[hitCounters[i]];
        while (nextExtra < own) {
          out[at++] = firstBlock + nextExtra;
          nextExtra = ++next < dueCount ? extraBlock[due[next]] : 0xffffffff;
        }
        out[at++] = firstBlock + own;
      }
      for (; next < dueCount; next++) out[at++] = firstBlock + extraBlock[due[next]];
    }
    this.next = at;
  }

  /** Appends the file's listed counters and their values to `counts`. */
  private reportCounts(file: FileCounters, hitCounters: Uint32Array, hits: number): void {
    const counts = this.counts!;
    const values = file.record.counters;
    const { counter, value } = counts;
    const firstCounter = file.firstCounter;
    let at = counts.length;
    for (let i = 0; i < hits; i++) {
      const c = hitCounters[i];
      counter[at] = firstCounter + c;
      value[at++] = values[c];
    }
    counts.length = at;
  }

  /**
   * Lists in `extras.due` the extras reported by the listed counters, each once, in block
   * order (extra indices are in block order); returns how many. Sorted in place when few;
   * when many, re-listed by one pass over the file's extras, which costs about what
   * writing that many blocks costs anyway.
   */
  private listDueExtras(extras: ExtrasByCounter, hitCounters: Uint32Array, hits: number): number {
    const { start, list, listedIn, due } = extras;
    const flush = (extras.flush = extras.flush === 0xffffffff ? 1 : extras.flush + 1);
    if (flush === 1) fillTypedArray(listedIn, 0);
    let count = 0;
    for (let i = 0; i < hits; i++) {
      const counter = hitCounters[i];
      for (let at = start[counter]; at < start[counter + 1]; at++) {
        const extra = list[at];
        if (listedIn[extra] !== flush) {
          listedIn[extra] = flush;
          due[count++] = extra;
        }
      }
    }
    if (count * count > 4 * listedIn.length) {
      count = 0;
      for (let extra = 0; extra < listedIn.length; extra++) if (listedIn[extra] === flush) due[count++] = extra;
      return count;
    }
    for (let i = 1; i < count; i++) {
      const extra = due[i];
      let j = i;
      for (; j > 0 && due[j - 1] > extra; j--) due[j] = due[j - 1];
      due[j] = extra;
    }
    return count;
  }

  /**
   * The slower flush of a file with pending blocks: every block that is pending or whose
   * counter is set, in block order, each once; then clears the counters. Only runs after
   * an overflow, until the file's pending blocks are all written.
   */
  private drainFile(file: FileCounters, groups: DecodedTable): void {
    const counters = file.record.counters;
    const pending = file.pending!;
    const blocks = file.extras!.blocks;
    const { counterByBlock, counterBByBlock } = groups;
    let count = 0;
    for (let block = 0; block < pending.length; block++) {
      if (pending[block] !== 0) {
        pending[block] = 0;
        file.pendingCount--;
      } else if (counters[counterByBlock[block]] === 0 && counters[counterBByBlock[block]] === 0) {
        continue;
      }
      blocks[count++] = block;
    }
    if (this.counts !== null && file.counts) {
      let hits = 0;
      for (let c = 0; c < counters.length; c++) if (counters[c] !== 0) groups.hitCounters[hits++] = c;
      this.reportCounts(file, groups.hitCounters, hits);
    }
    fillTypedArray(counters, 0);
    this.writeBlocks(file, groups, count);
  }

  /**
   * Writes the entries of the file's listed blocks (`extras.blocks[0..count)`) from
   * `next`; the blocks that do not fit become pending for the next flush.
   */
  private writeBlocks(file: FileCounters, groups: DecodedTable, count: number): void {
    const blocks = file.extras!.blocks;
    const out = this.out;
    const next = this.next;
    const room = this.limit - next;
    const fit = count < room ? count : room > 0 ? room : 0;
    if (this.toIndices) {
      const firstBlock = file.firstBlock;
      for (let i = 0; i < fit; i++) out[next + i] = firstBlock + blocks[i];
    } else {
      const { pcLowByBlock, pcHigh } = groups;
      for (let i = 0; i < fit; i++) {
        out[2 * (next + i) + LOW_HALF] = pcLowByBlock[blocks[i]];
        out[2 * (next + i) + HIGH_HALF] = pcHigh;
      }
    }
    this.next = next + fit;
    if (fit === count) return;
    const pending = (file.pending ??= new OwnUint8Array(file.record.blockCount));
    for (let i = fit; i < count; i++) pending[blocks[i]] = 1;
    file.pendingCount += count - fit;
    this.leftover += count - fit;
  }
}

let current: RegisteredCounters | undefined;

/** This realm's counters, in step with its registry. */
export function registeredCounters(): RegisteredCounters {
  const registry = realmRegistry();
  if (current === undefined || current.registry !== registry) {
    current = new RegisteredCounters(registry);
  }
  current.sync();
  return current;
}

export type { RegisteredCounters };
