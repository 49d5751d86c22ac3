// The flush loop: gVisor's ConsumeCoverageData, adapted. File by file in registration
// order, it finds the non-zero counters, writes the entries of their blocks in block order
// (a counter usually has one block; joins that share their list's counter add theirs) and
// clears them. Unlike gVisor, a block that does not fit is remembered as pending, by
// block rather than by counter (a counter can stand for blocks that did fit), and the
// next flushes report it, once, before they clear anything.

import { decodeTable, type DecodedTable } from "./block-table";
import { realmRegistry, type KcovFileRecord, type KcovRegistry } from "./registry";

/** Index of a 64-bit word's low and high halves in a Uint32Array: the host's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export const LOW_HALF = LITTLE_ENDIAN ? 0 : 1;
export const HIGH_HALF = LITTLE_ENDIAN ? 1 : 0;

/** One registered file, as the flush sees it. */
interface FileCounters {
  readonly record: KcovFileRecord;
  /**
   * "hit" counters seen 4 at a time, so the scan skips 4 idle blocks per load; null
   * when the counters are Float64Array or not 4-byte aligned.
   */
  readonly quads: Int32Array | null;
  /** Dense index of the file's first block (blocks of earlier files come first). */
  readonly firstBlock: number;
  /** The table's counter groups, decoded at the file's first hit. */
  groups: DecodedTable | null;
  /** Per block: 1 if it ran but did not fit in a flush; allocated at the file's first overflow. */
  pending: Uint8Array | null;
  pendingCount: number;
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
  /** Registry records seen so far (files left out of coverage included). */
  private synced = 0;
  // The current flush's output, in fields so that `consumeRange` stays a small method.
  private out: Uint32Array = new Uint32Array(0);
  private toIndices = false;
  private next = 0;
  private limit = 0;

  constructor(readonly registry: KcovRegistry) {}

  /** Picks up files that registered since the last call. */
  sync(): void {
    const records = this.registry.files;
    for (; this.synced < records.length; this.synced++) {
      const record = records[this.synced];
      if (record.leftOut !== undefined) continue;
      const { counters, blockCount } = record;
      const quads =
        counters instanceof Uint8Array && counters.byteOffset % 4 === 0
          ? new Int32Array(counters.buffer, counters.byteOffset, counters.length >> 2)
          : null;
      this.files.push({ record, quads, firstBlock: this.blockTotal, groups: null, pending: null, pendingCount: 0 });
      this.blockTotal += blockCount;
    }
  }

  /** Sets every counter to 0 and drops pending blocks: what ran before this call is forgotten. */
  clearAll(): void {
    for (const file of this.files) {
      file.record.counters.fill(0);
      file.pending?.fill(0);
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
    this.consumeAll();
    return this.next - nextWord;
  }

  /**
   * Writes the dense index of every hit block into `out` from 0, clearing its counter.
   * Returns how many it wrote.
   */
  consumeIntoIndices(out: Uint32Array): number {
    this.out = out;
    this.toIndices = true;
    this.next = 0;
    this.limit = out.length;
    this.consumeAll();
    return this.next;
  }

  private consumeAll(): void {
    this.leftover = 0;
    const files = this.files;
    for (let f = 0; f < files.length; f++) {
      const file = files[f];
      const hits = this.findHitCounters(file);
      if (file.pendingCount !== 0) this.drainFile(file, file.groups!);
      else if (hits > 0) this.emitFile(file, file.groups!, hits);
    }
  }

  /** Lists the file's non-zero counters in its scratch array; returns how many. */
  private findHitCounters(file: FileCounters): number {
    const counters = file.record.counters;
    const quads = file.quads;
    let hits = 0;
    let counter = 0;
    if (quads !== null) {
      // Most blocks did not run: test four counters with one load.
      for (let quad = 0; quad < quads.length; quad++) {
        if (quads[quad] === 0) continue;
        const list = (file.groups ??= decodeTable(file.record)).hitCounters;
        for (let c = quad * 4; c < quad * 4 + 4; c++) if (counters[c] !== 0) list[hits++] = c;
      }
      counter = quads.length * 4;
    }
    for (; counter < counters.length; counter++) {
      if (counters[counter] !== 0) (file.groups ??= decodeTable(file.record)).hitCounters[hits++] = counter;
    }
    return hits;
  }

  /**
   * Writes the blocks of the `hits` listed counters in block order: each counter's own
   * block, merged with the shared blocks whose counter is set. Then clears those counters
   * (the blocks that did not fit are pending).
   */
  private emitFile(file: FileCounters, groups: DecodedTable, hits: number): void {
    const counters = file.record.counters;
    const { ownBlock, extraBlock, hitCounters } = groups;
    let extra = 0;
    for (let i = 0; i < hits; i++) {
      const counter = hitCounters[i];
      const own = ownBlock[counter];
      for (; extra < extraBlock.length && extraBlock[extra] < own; extra++) this.emitExtra(file, groups, extra);
      this.emitBlock(file, groups, own);
    }
    for (; extra < extraBlock.length; extra++) this.emitExtra(file, groups, extra);
    for (let i = 0; i < hits; i++) counters[hitCounters[i]] = 0;
  }

  /**
   * The slower flush of a file with pending blocks: every block that is pending or whose
   * counter is set, in block order, each once; then clears the counters. Only runs after
   * an overflow, until the file's pending blocks are all written.
   */
  private drainFile(file: FileCounters, groups: DecodedTable): void {
    const counters = file.record.counters;
    const pending = file.pending!;
    const { counterByBlock, counterBByBlock } = groups;
    for (let block = 0; block < pending.length; block++) {
      if (pending[block] !== 0) {
        pending[block] = 0;
        file.pendingCount--;
      } else if (counters[counterByBlock[block]] === 0 && counters[counterBByBlock[block]] === 0) {
        continue;
      }
      this.emitBlock(file, groups, block);
    }
    counters.fill(0);
  }

  /** A block reported by another block's counter, or by either of two: emitted if one is set. */
  private emitExtra(file: FileCounters, groups: DecodedTable, extra: number): void {
    const counters = file.record.counters;
    const a = groups.extraCounter[extra];
    const b = groups.extraCounterB[extra];
    if (counters[a] !== 0 || counters[b] !== 0) this.emitBlock(file, groups, groups.extraBlock[extra]);
  }

  /** Writes one block's entry; if it does not fit, makes it pending for the next flush. */
  private emitBlock(file: FileCounters, groups: DecodedTable, block: number): void {
    if (this.next >= this.limit) {
      this.leftover++;
      file.pending ??= new Uint8Array(file.record.blockCount);
      file.pending[block] = 1;
      file.pendingCount++;
      return;
    }
    if (this.toIndices) {
      this.out[this.next] = file.firstBlock + block;
    } else {
      this.out[2 * this.next + LOW_HALF] = groups.pcLowByBlock[block];
      this.out[2 * this.next + HIGH_HALF] = groups.pcHigh;
    }
    this.next++;
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
