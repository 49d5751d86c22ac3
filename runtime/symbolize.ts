// From PCs back to source: gVisor's `runsc symbolize`, over the registered files'
// block tables. Tables are parsed on first need and cached; nothing here runs during
// a flush.

import { KERNEL32_HIGH_WORD } from "./constants";
import { blockAtSlot, compareAtPc, decodeTable, symbolizedBlocks, type SymbolizedBlock } from "./block-table";
import { coveredFiles, regionBounds, regionsOf } from "./registry";

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
  const high = Number(fullPc >> 32n);
  const low = Number(fullPc & 0xffffffffn);
  const inRegion = (region: Parameters<typeof regionBounds>[0]): boolean => {
    const bounds = regionBounds(region);
    return bounds.high === high && low >= bounds.low && low < bounds.lowEnd;
  };
  for (const record of coveredFiles()) {
    if (!regionsOf(record).some(inRegion)) continue;
    // Regions never overlap: the file that owns the region owns the PC, a block or a comparison site.
    const block = inRegion(record) ? blockAtSlot(record, (low - regionBounds(record).low) / 8) : undefined;
    return block === undefined ? compareAtPc(record, fullPc) : symbolizedBlocks(record)[block];
  }
  return undefined;
}

function fromLow32(low: number): bigint | undefined {
  if (!Number.isInteger(low) || low < 0 || low > 0xffffffff) return undefined;
  return (BigInt(KERNEL32_HIGH_WORD) << 32n) | BigInt(low);
}

/**
 * Every block of every file registered in this realm, in flush order (registration
 * order, then block order), as the objects `symbolize` returns. Parses each file's
 * table on first use.
 */
export function* blocks(): IterableIterator<SymbolizedBlock> {
  for (const record of coveredFiles()) yield* symbolizedBlocks(record);
}

/**
 * The blocks whose counters are set, in flush order, without clearing anything: for tools
 * that dump what ran at exit (jskcov run) while the program may have its own device.
 * Not a substitute for `collect()`, which consumes the counters.
 */
export function executedBlocks(): SymbolizedBlock[] {
  const ran: SymbolizedBlock[] = [];
  for (const record of coveredFiles()) {
    if (!record.counters.some((value) => value !== 0)) continue;
    const { counterByBlock, counterBByBlock } = decodeTable(record);
    const symbolized = symbolizedBlocks(record);
    for (let block = 0; block < record.blockCount; block++) {
      if (record.counters[counterByBlock[block]] !== 0 || record.counters[counterBByBlock[block]] !== 0) {
        ran.push(symbolized[block]);
      }
    }
  }
  return ran;
}

/**
 * The block with this dense index, the number `Kcov#collectIndices` reports (blocks of
 * earlier-registered files first), or undefined past the last block.
 */
export function blockAtIndex(index: number): SymbolizedBlock | undefined {
  if (!Number.isSafeInteger(index) || index < 0) return undefined;
  let first = 0;
  for (const record of coveredFiles()) {
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

