// How a block's synthetic PC is chosen (docs/block-table.md, "Synthetic PCs"). Pure
// functions of the file's relative path, its blocks and the options: nothing here may
// depend on build order, absolute paths, caches or the machine.
import * as crypto from "node:crypto";

/** PC of slot 0. Inside syzkaller's kernel range; all identity is in the low 32 bits. */
export const PC_BASE = 0xffffffff80000000n;
/** Slots between PC_BASE and 0xffffffffff000000, 8 bytes apart. */
export const SLOT_COUNT = (0xff000000 - 0x80000000) / 8;
export const MIN_REGION_SIZE = 1 << 8;
export const MAX_REGION_SIZE = 1 << 24;

export function pcOfSlot(slot: number): bigint {
  return PC_BASE + BigInt(slot) * 8n;
}

/** Node's one-shot digest (Node 20.12+), a third the cost of createHash for short inputs. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: "buffer") => Buffer }).hash;

/** First 32 bits of SHA-256 over the parts, NUL-separated. */
export function hash32(...parts: Array<string | number>): number {
  const data = parts.join("\0");
  const digest = oneShotHash ? oneShotHash("sha256", data, "buffer") : crypto.createHash("sha256").update(data).digest();
  return digest.readUInt32BE(0);
}

/**
 * A region at most half full, so that a function whose run grows rarely pushes another
 * function's run, and no smaller than 256 slots. Files are placed by hash, so the fewer
 * slots all files take together, the less likely two files' regions overlap
 * (docs/block-table.md has the figures). layoutFile doubles it when the runs do not fit.
 */
export function regionSizeFor(blockCount: number): number {
  let size = MIN_REGION_SIZE;
  while (size < 2 * blockCount) size *= 2;
  return size;
}

export function regionStartFor(relativePath: string, regionSize: number, pcSeed: number): number {
  const regionCount = Math.floor(SLOT_COUNT / regionSize);
  return (hash32("region", pcSeed, relativePath) % regionCount) * regionSize;
}

export interface FunctionRun {
  /** Names from the program down, e.g. `Parser.parse/<anonymous>#2`. */
  key: string;
  blockCount: number;
}

/**
 * Places each function's blocks as a run of consecutive slots inside the region, at a
 * home derived from the function key alone, so editing one function leaves the others
 * where they were unless a run has to move past an occupied stretch. Returns the slot
 * offset of each run's first block, in the order of `runs`, or undefined when the runs do
 * not fit (the caller then takes a larger region).
 */
export function placeFunctionRuns(runs: readonly FunctionRun[], regionSize: number): number[] | undefined {
  const occupied = new Uint8Array(regionSize);
  const offsets = new Array<number>(runs.length);
  const placementOrder = runs.map((_, index) => index)
    .sort((a, b) => (runs[a].key < runs[b].key ? -1 : runs[a].key > runs[b].key ? 1 : 0));
  for (const index of placementOrder) {
    const { key, blockCount } = runs[index];
    const home = hash32("function", key) % regionSize;
    // The first start at or after home (cyclically) where the run fits. A start whose
    // run covers an occupied slot fails, and so does every start up to that slot, which
    // the next try skips.
    let start = home;
    for (let tried = 0; ;) {
      const clash = lastOccupied(occupied, start, blockCount);
      if (clash < 0) break;
      tried += clash + 1;
      if (tried >= regionSize) return undefined;
      start = (start + clash + 1) % regionSize;
    }
    for (let i = 0; i < blockCount; i++) occupied[(start + i) % regionSize] = 1;
    offsets[index] = start;
  }
  return offsets;
}

/** Offset of the last occupied slot among `length` slots from `start`, or -1 if all are free. */
function lastOccupied(occupied: Uint8Array, start: number, length: number): number {
  for (let i = length - 1; i >= 0; i--) {
    if (occupied[(start + i) % occupied.length]) return i;
  }
  return -1;
}

export interface FileLayout {
  regionStart: number;
  regionSize: number;
  /** Slot offset of each run's first block, in the order of the runs given. */
  runOffsets: number[];
}

/**
 * The region of a file and the place of each function run in it: the smallest region
 * (from regionSizeFor) in which the runs fit. Undefined if the file has more blocks than
 * the largest region holds.
 */
export function layoutFile(relativePath: string, runs: readonly FunctionRun[], pcSeed: number): FileLayout | undefined {
  const blockCount = runs.reduce((sum, run) => sum + run.blockCount, 0);
  for (let regionSize = regionSizeFor(blockCount); regionSize <= MAX_REGION_SIZE; regionSize *= 2) {
    const runOffsets = placeFunctionRuns(runs, regionSize);
    if (runOffsets) return { regionStart: regionStartFor(relativePath, regionSize, pcSeed), regionSize, runOffsets };
  }
  return undefined;
}
