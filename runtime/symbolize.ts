// From PCs back to source: gVisor's `runsc symbolize`, over the registered files'
// block tables. Tables are parsed on first need and cached; nothing here runs during
// a flush.

import { KERNEL32_HIGH_WORD } from "./constants";
import { blockAtSlot, compareAtPc, decodeTable, symbolizedBlocks, type SymbolizedBlock } from "./block-table";
import { coveredFiles, regionBounds, regionsOf } from "./registry";
import { isInteger, isSafeInteger, toBigInt, toNumber } from "./intrinsics";

export type { SymbolizedBlock, SourcePosition } from "./block-table";

/**
 * The block a PC stands for, or the comparison site (kind `compare:...`, plugin option
 * traceCmp), or undefined if no file registered in this realm owns it.
 * `pc` is the 64-bit PC as a bigint, or, for the kernel32 layout, its low 32 bits as a
 * number (what older syzkaller keeps; in that layout all identity lives there). Only
 * files registered in this realm are known: a PC from a worker's area must be
 * symbolized in that worker.
 */
export function symbolize(pc: bigint | number): SymbolizedBlock | undefined {
  const fullPc = typeof pc === "number" ? fromLow32(pc) : pc;
  if (fullPc === undefined || fullPc < 0n || fullPc > 0xffffffffffffffffn || fullPc % 8n !== 0n) return undefined;
  const high = toNumber(fullPc >> 32n);
  const low = toNumber(fullPc & 0xffffffffn);
  const inRegion = (region: Parameters<typeof regionBounds>[0]): boolean => {
    const bounds = regionBounds(region);
    return bounds.high === high && low >= bounds.low && low < bounds.lowEnd;
  };
  const files = coveredFiles();
  for (let f = 0; f < files.length; f++) {
    const record = files[f];
    const regions = regionsOf(record);
    let owned = false;
    for (let r = 0; r < regions.length && !owned; r++) owned = inRegion(regions[r]);
    if (!owned) continue;
    // Regions never overlap: the file that owns the region owns the PC, a block or a comparison site.
    const block = inRegion(record) ? blockAtSlot(record, (low - regionBounds(record).low) / 8) : undefined;
    return block === undefined ? compareAtPc(record, fullPc) : symbolizedBlocks(record)[block];
  }
  return undefined;
}

function fromLow32(low: number): bigint | undefined {
  if (!isInteger(low) || low < 0 || low > 0xffffffff) return undefined;
  return (toBigInt(KERNEL32_HIGH_WORD) << 32n) | toBigInt(low);
}

/**
 * Every block of every file registered in this realm, in flush order (registration
 * order, then block order), as the objects `symbolize` returns. Parses each file's
 * table on first use.
 */
export function* blocks(): IterableIterator<SymbolizedBlock> {
  const files = coveredFiles();
  for (let f = 0; f < files.length; f++) {
    const symbolized = symbolizedBlocks(files[f]);
    for (let block = 0; block < symbolized.length; block++) yield symbolized[block];
  }
}

/**
 * The blocks whose counters are set, in flush order, without clearing anything: for tools
 * that dump what ran at exit (jskcov run) while the program may have its own device.
 * Not a substitute for `collect()`, which consumes the counters.
 */
export function executedBlocks(): SymbolizedBlock[] {
  const ran: SymbolizedBlock[] = [];
  const files = coveredFiles();
  for (let f = 0; f < files.length; f++) {
    const record = files[f];
    const counters = record.counters;
    let anySet = false;
    for (let c = 0; c < counters.length && !anySet; c++) anySet = counters[c] !== 0;
    if (!anySet) continue;
    const { counterByBlock, counterBByBlock } = decodeTable(record);
    const symbolized = symbolizedBlocks(record);
    for (let block = 0; block < record.blockCount; block++) {
      if (counters[counterByBlock[block]] !== 0 || counters[counterBByBlock[block]] !== 0) ran[ran.length] = symbolized[block];
    }
  }
  return ran;
}

/**
 * The block with this dense index, the number `Kcov#collectIndices` reports (blocks of
 * earlier-registered files first), or undefined past the last block.
 */
export function blockAtIndex(index: number): SymbolizedBlock | undefined {
  if (!isSafeInteger(index) || index < 0) return undefined;
  let first = 0;
  const files = coveredFiles();
  for (let f = 0; f < files.length; f++) {
    const record = files[f];
    if (index < first + record.blockCount) return symbolizedBlocks(record)[index - first];
    first += record.blockCount;
  }
  return undefined;
}

/**
 * One block in `runsc symbolize`'s form: `0x<pc in hex>` then
 * `<file>:<startLine>.<startCol>,<endLine>.<endCol>`, each line ending in "\n".
 * Columns are counted from 1 here, as Go prints them (the objects count from 0, as
 * Babel does); the end stays exclusive.
 */
export function formatSymbolized(block: SymbolizedBlock): string {
  const { start, end } = block;
  return (
    `0x${block.pc.toString(16)}\n` +
    `${block.file}:${start.line}.${start.column + 1},${end.line}.${end.column + 1}\n`
  );
}

