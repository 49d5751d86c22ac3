// The flush loop: gVisor's ConsumeCoverageData, adapted. It walks every registered
// counter in registration order, then block order, turns each non-zero one into an
// output entry and clears it. Unlike gVisor, a counter whose entry does not fit stays
// set, so the next flush reports it.

import { PC_HIGH_WORD } from "./constants";
import { decodeTable } from "./block-table";
import { realmRegistry, type KcovFileRecord, type KcovRegistry } from "./registry";

/** Index of a 64-bit word's low and high halves in a Uint32Array: the host's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export const LOW_HALF = LITTLE_ENDIAN ? 0 : 1;
export const HIGH_HALF = LITTLE_ENDIAN ? 1 : 0;

/**
 * The registry's files plus what the flush needs from each, kept in step with the
 * registry as files register. Allocates only when a new file has registered (and once
 * per file to decode its table), never per flush.
 */
class RegisteredCounters {
  /** Hits that did not fit in the last flush; their counters were left set. */
  leftover = 0;
  private readonly records: KcovFileRecord[] = [];
  /** Per file: low halves of the PCs, decoded from the table at the file's first hit. */
  private readonly pcLows: (Uint32Array | undefined)[] = [];
  /** Per file: dense index of its first block (blocks of earlier files come first). */
  private readonly firstBlocks: number[] = [];
  private blockTotal = 0;

  constructor(readonly registry: KcovRegistry) {}

  /** Picks up files that registered since the last call. */
  sync(): void {
    const files = this.registry.files;
    for (let f = this.records.length; f < files.length; f++) {
      const record = files[f];
      this.records.push(record);
      this.pcLows.push(undefined);
      this.firstBlocks.push(this.blockTotal);
      this.blockTotal += record.blockCount;
    }
  }

  /** Sets every counter to 0: what ran before this call is forgotten. */
  clearAll(): void {
    for (const record of this.records) record.counters.fill(0);
  }

  /**
   * Appends the PC of every hit block to a kcov area seen as 32-bit halves, from 64-bit
   * word `nextWord` up to (excluding) `areaWords`. Returns how many PCs it wrote; does
   * not touch word 0.
   */
  consumeIntoArea(area: Uint32Array, nextWord: number, areaWords: number): number {
    const records = this.records;
    let word = nextWord;
    let leftover = 0;
    for (let f = 0; f < records.length; f++) {
      const { counters, blockCount } = records[f];
      let pcLow = this.pcLows[f];
      for (let block = 0; block < blockCount; block++) {
        if (counters[block] === 0) continue;
        if (word >= areaWords) {
          leftover++;
          continue;
        }
        if (pcLow === undefined) pcLow = this.decode(f);
        area[2 * word + LOW_HALF] = pcLow[block];
        area[2 * word + HIGH_HALF] = PC_HIGH_WORD;
        counters[block] = 0;
        word++;
      }
    }
    this.leftover = leftover;
    return word - nextWord;
  }

  /**
   * Writes the dense index of every hit block into `out` from 0, clearing its counter.
   * Returns how many it wrote.
   */
  consumeIntoIndices(out: Uint32Array): number {
    const records = this.records;
    const capacity = out.length;
    let written = 0;
    let leftover = 0;
    for (let f = 0; f < records.length; f++) {
      const { counters, blockCount } = records[f];
      const first = this.firstBlocks[f];
      for (let block = 0; block < blockCount; block++) {
        if (counters[block] === 0) continue;
        if (written >= capacity) {
          leftover++;
          continue;
        }
        out[written++] = first + block;
        counters[block] = 0;
      }
    }
    this.leftover = leftover;
    return written;
  }

  private decode(file: number): Uint32Array {
    const pcLow = decodeTable(this.records[file]).pcLowByCounter;
    this.pcLows[file] = pcLow;
    return pcLow;
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
