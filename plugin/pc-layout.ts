// How a block's synthetic PC is chosen (docs/block-table.md, "Synthetic PCs"). Pure
// functions of the file's relative path, its function runs and the options: nothing here
// may depend on build order, absolute paths, caches or the machine.
import * as crypto from "node:crypto";

/** A space of `slotCount` slots, 8 bytes of PC apart, from `firstPc`; regions are placed by `hash`. */
export interface PcSpace {
  readonly firstPc: bigint;
  readonly slotCount: bigint;
  readonly hash: (...parts: Array<string | number>) => bigint;
}

/**
 * The PC spaces a file's region can be placed in. PCs are 8 apart in both (syzkaller's
 * coverage filter ignores the low 3 bits).
 * - full64 (default): the whole 64-bit range, for consumers that keep full PCs (syzkaller
 *   since 2024). 2^61 slots: collisions between files are negligible at any project size.
 * - kernel32: syzkaller's Linux kernel range [0xffffffff80000000, 0xffffffffff000000), all
 *   identity in the low 32 bits, for consumers that truncate PCs to 32 bits or drop PCs
 *   outside that range. 266,338,304 slots: files collide in large projects.
 */
export const PC_LAYOUTS = {
  full64: { firstPc: 0n, slotCount: 1n << 61n, hash: hash64 },
  kernel32: { firstPc: 0xffffffff80000000n, slotCount: (0xffffffffff000000n - 0xffffffff80000000n) / 8n, hash: hash32n },
} satisfies Record<string, PcSpace>;
export type PcLayoutName = keyof typeof PC_LAYOUTS;
export const DEFAULT_PC_LAYOUT: PcLayoutName = "full64";
export const PC_LAYOUT_NAMES = Object.keys(PC_LAYOUTS) as PcLayoutName[];

export const MIN_REGION_SIZE = 1 << 7;
/** 2^24 slots = 2^27 bytes of PCs: a region never straddles a 2^32 boundary (it is aligned). */
export const MAX_REGION_SIZE = 1 << 24;
/** Free slots a region keeps beyond its blocks, up to this many: room for runs to grow in place. */
export const REGION_SLACK = 32;

/** Node's one-shot digest (Node 20.12+), a third the cost of createHash for short inputs. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: "buffer") => Buffer }).hash;

function sha256(parts: ReadonlyArray<string | number>): Buffer {
  const data = parts.join("\0");
  return oneShotHash ? oneShotHash("sha256", data, "buffer") : crypto.createHash("sha256").update(data).digest();
}

/** First 32 bits of SHA-256 over the parts, NUL-separated. */
export function hash32(...parts: Array<string | number>): number {
  return sha256(parts).readUInt32BE(0);
}

/** First 64 bits of SHA-256 over the parts, NUL-separated. */
export function hash64(...parts: Array<string | number>): bigint {
  return sha256(parts).readBigUInt64BE(0);
}

function hash32n(...parts: Array<string | number>): bigint {
  return BigInt(hash32(...parts));
}

/**
 * The smallest power of two that holds the blocks plus min(blockCount, REGION_SLACK) free
 * slots, and at least MIN_REGION_SIZE. Small files stay at most half full, so a function
 * that grows rarely pushes another, and files of up to 64 blocks never change region size;
 * large files get little slack, because the chance that
 * two files overlap grows with the larger region of the pair and large files take part in
 * almost every pair (docs/block-table.md has the formula and the measured figures).
 */
export function regionSizeFor(blockCount: number): number {
  const wanted = blockCount + Math.min(blockCount, REGION_SLACK);
  let size = MIN_REGION_SIZE;
  while (size < wanted) size *= 2;
  return size;
}

/**
 * First slot of the file's region, counted from the space's first PC: an aligned
 * multiple of `regionSize` chosen by hashing the path and the seed.
 */
export function regionStartFor(relativePath: string, regionSize: number, pcSeed: number, space: PcSpace): bigint {
  const size = BigInt(regionSize);
  return (space.hash("region", pcSeed, relativePath) % (space.slotCount / size)) * size;
}

/**
 * How many pairs of files are expected to have overlapping regions when `fileCount` files,
 * each with a region size drawn independently from `regionSizes`, are placed in a space
 * of `slotCount` slots. Two aligned power-of-two regions overlap exactly when the smaller
 * one starts inside the larger, which has probability max(R_i, R_j) / slotCount, so the
 * answer is C(fileCount, 2) * E[max(R_i, R_j)] / slotCount (docs/block-table.md).
 */
export function expectedOverlappingPairs(regionSizes: readonly number[], fileCount: number, slotCount: number): number {
  const sorted = [...regionSizes].sort((a, b) => a - b);
  const n = sorted.length;
  // E[max] over two independent draws: the k-th smallest is the max in 2k + 1 of n^2 pairs.
  let sum = 0;
  for (let k = 0; k < n; k++) sum += sorted[k] * (2 * k + 1);
  return (fileCount * (fileCount - 1) / 2) * (sum / (n * n)) / slotCount;
}

export interface FunctionRun {
  /** Names from the program down, e.g. `Parser.parse/<anonymous>#2`; unique in the file. */
  key: string;
  blockCount: number;
}

/**
 * Places each function's blocks as a run of consecutive slots inside the region. Each run
 * has a home, hashed from its key alone; runs are laid out in order of home, each at its
 * home or right after the run before it, whichever is later (and, if that overflows the
 * region, pushed back from its end). So a run that grows pushes only the runs after it
 * whose homes it reaches, and only until a gap absorbs the growth: the other functions keep
 * their PCs. Returns each run's first slot offset, in the order of `runs`, or undefined if
 * the runs hold more blocks than the region.
 */
export function placeFunctionRuns(runs: readonly FunctionRun[], regionSize: number): number[] | undefined {
  const homes = runs.map((run) => hash32("function", run.key) % regionSize);
  const order = runs.map((_, index) => index)
    .sort((a, b) => homes[a] - homes[b] || (runs[a].key < runs[b].key ? -1 : runs[a].key > runs[b].key ? 1 : 0));
  const offsets = new Array<number>(runs.length);
  let end = 0;
  for (const index of order) {
    offsets[index] = Math.max(homes[index], end);
    end = offsets[index] + runs[index].blockCount;
  }
  if (end <= regionSize) return offsets;
  let limit = regionSize;
  for (let i = order.length - 1; i >= 0; i--) {
    const index = order[i];
    offsets[index] = Math.min(offsets[index], limit - runs[index].blockCount);
    limit = offsets[index];
  }
  return limit >= 0 ? offsets : undefined;
}

/** A region and the slot offset of each run in it. */
export interface RegionLayout {
  /** PC of the region's first slot. */
  regionPc: bigint;
  regionSize: number;
  /** Slot offset of each run's first slot, in the order of the runs given. */
  runOffsets: number[];
}

export interface FileLayout extends RegionLayout {
  /**
   * The comparison sites' region (plugin option traceCmp), when the file has any: a region
   * of its own, so that tracing comparisons never moves a block's PC.
   */
  compares?: RegionLayout;
}

export interface LayoutOptions {
  pcLayout: PcLayoutName;
  /** pcSeedByFile's entry for this file, else pcSeed. */
  pcSeed: number;
}

/**
 * Where a file's regions start, as slots from the space's first PC: the blocks' region
 * hashed from `"region"`, the comparison sites' (when `compareRegionSize` is given) from
 * `"compare-region"`, with an attempt number from 1 appended while it would overlap the
 * file's own block region. Both move together with the file's seed.
 */
export function regionStartsFor(relativePath: string, regionSize: number, compareRegionSize: number | undefined,
  pcSeed: number, space: PcSpace): { block: bigint; compare?: bigint } {
  const block = regionStartFor(relativePath, regionSize, pcSeed, space);
  if (compareRegionSize === undefined) return { block };
  const size = BigInt(compareRegionSize);
  const blockEnd = block + BigInt(regionSize);
  for (let attempt = 0; ; attempt++) {
    const parts: Array<string | number> = attempt === 0 ? ["compare-region", pcSeed, relativePath] : ["compare-region", pcSeed, relativePath, attempt];
    const compare = (space.hash(...parts) % (space.slotCount / size)) * size;
    if (compare + size <= block || compare >= blockEnd) return { block, compare };
  }
}

/**
 * The one placement of a file's PCs: its block region and the slot offset of each
 * function's run of blocks in it, and, given comparison sites (`compareRuns`, one run per
 * function that has any), their own region placed by the same rules. Undefined if the
 * file has more blocks, or more comparison sites, than the largest region holds.
 */
export function layoutFile(relativePath: string, runs: readonly FunctionRun[], options: LayoutOptions,
  compareRuns: readonly FunctionRun[] = []): FileLayout | undefined {
  const sizeOf = (list: readonly FunctionRun[]): number => regionSizeFor(list.reduce((sum, run) => sum + run.blockCount, 0));
  const regionSize = sizeOf(runs);
  const compareRegionSize = compareRuns.length > 0 ? sizeOf(compareRuns) : undefined;
  if (regionSize > MAX_REGION_SIZE || (compareRegionSize ?? 0) > MAX_REGION_SIZE) return undefined;
  const space = PC_LAYOUTS[options.pcLayout];
  const starts = regionStartsFor(relativePath, regionSize, compareRegionSize, options.pcSeed, space);
  const layout: FileLayout = {
    regionPc: space.firstPc + starts.block * 8n, regionSize, runOffsets: placeFunctionRuns(runs, regionSize)!,
  };
  if (compareRegionSize !== undefined) {
    layout.compares = {
      regionPc: space.firstPc + starts.compare! * 8n,
      regionSize: compareRegionSize,
      runOffsets: placeFunctionRuns(compareRuns, compareRegionSize)!,
    };
  }
  return layout;
}

/** The PC of a slot of a region. */
export function pcAt(layout: RegionLayout, slotOffset: number): bigint {
  return layout.regionPc + BigInt(slotOffset) * 8n;
}

/** A PC as the registry and the block map write it: "0x" and 16 lowercase hex digits. */
export function formatPc(pc: bigint): string {
  return `0x${pc.toString(16).padStart(16, "0")}`;
}
