// Reading a file's run-time block table (docs/block-table.md, "The block table").
// The table is JSON text in the registry record; it is parsed the first time a flush
// finds a hit in the file or symbolize asks about it, then cached with the record.

import { VlqReader } from "./base64-vlq";
import { compareRegionOf, regionBounds, type KcovFileRecord } from "./registry";
import {
  OwnMap, OwnUint32Array, OwnWeakMap, freeze, isArray, isInteger, mapGet, mapSet, parseJson, toBigInt, weakMapGet, weakMapSet,
} from "./intrinsics";

/** Numbers per block in the table's flat `blocks` array (plugin/block-table.ts BLOCK_FIELDS). */
const BLOCK_FIELDS = 9;
/**
 * Version 2 (plugin/block-table.ts BLOCK_TABLE_VERSION): comparison sites in a region of
 * their own. Version 1 tables (files without comparison sites, and builds from before
 * version 2, whose sites share the block region) still load.
 */
const TABLE_VERSION = 2;

/** Babel's convention: line from 1, column from 0. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** What a PC stands for. `symbolize` and `blocks` give these objects. */
export interface SymbolizedBlock {
  readonly pc: bigint;
  /** Original source file, relative to the project root, POSIX separators. */
  readonly file: string;
  readonly start: SourcePosition;
  /** Exclusive. */
  readonly end: SourcePosition;
  /** Enclosing function, "(top level)" for program code. */
  readonly functionName: string;
  /** Block kind, e.g. "if-consequent" (docs/block-table.md lists them). */
  readonly kind: string;
}

interface RuntimeBlockTable {
  version: number;
  sources: string[];
  functions: string[];
  kinds: string[];
  /** Counter pairs of virtual counters (index >= the counter count), flat; absent: none. */
  either?: number[];
  /** Delta-encoded base64 VLQ in the file; replaced by the decoded numbers on parse. */
  blocks: number[];
  /**
   * Comparison sites (plugin option traceCmp), COMPARE_FIELDS numbers each; absent: none.
   * Slot offsets in the comparison region (version 2) or the block region (version 1).
   */
  compares?: number[];
}

/** Numbers per comparison site (plugin/block-table.ts COMPARE_FIELDS). */
const COMPARE_FIELDS = 8;

/**
 * Undoes plugin/block-table.ts encodeBlockFields: BLOCK_FIELDS numbers per block, each
 * stored as a VLQ difference from its usual value. Returns undefined on malformed text.
 */
export function decodeBlockFields(text: string, blockCount: number): number[] | undefined {
  const flat: number[] = [];
  const reader = new VlqReader(text);
  const read = (): number => reader.read();
  let slot = -1, fn = 0, source = 0, line = 0;
  for (let block = 0; block < blockCount; block++) {
    const at = block * BLOCK_FIELDS;
    slot += read() + 1;
    flat[at] = slot;
    flat[at + 1] = read() + block;
    flat[at + 2] = read();
    flat[at + 3] = fn += read();
    flat[at + 4] = source += read();
    flat[at + 5] = line += read();
    flat[at + 6] = read();
    flat[at + 7] = line + read();
    flat[at + 8] = read();
  }
  if (reader.position !== text.length) return undefined;
  for (let at = 0; at < flat.length; at++) if (flat[at] !== flat[at]) return undefined; // NaN: a malformed value
  return flat;
}

/** Whether every item of `list` is an integer in [min, max): a loop, not list.every (intrinsics.ts). */
function everyInteger(list: unknown[], min: number, max: number): boolean {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!isInteger(item) || (item as number) < min || (item as number) >= max) return false;
  }
  return true;
}

/** A parsed table plus what the runtime derives from it. */
export interface DecodedTable {
  /**
   * First block of each counter. A counter usually has one block; a join that runs
   * exactly when its list's first block runs shares that block's counter
   * (plugin/counter-sharing.ts), and is then one of the `extra` blocks.
   */
  readonly ownBlock: Uint32Array;
  /**
   * Blocks that another block's counter reports, in block order, and the two counters
   * either of which reports them (the same counter twice when there is one).
   */
  readonly extraBlock: Uint32Array;
  readonly extraCounter: Uint32Array;
  readonly extraCounterB: Uint32Array;
  /** Low 32 bits of each block's PC. */
  readonly pcLowByBlock: Uint32Array;
  /** High 32 bits of every PC of the file (a region never straddles a 2^32 boundary). */
  readonly pcHigh: number;
  /** The counter(s) of each block: the block ran if either is set (the same one twice, usually). */
  readonly counterByBlock: Uint32Array;
  readonly counterBByBlock: Uint32Array;
  /** Slot offset of each block in its region, in block order. */
  readonly slotByBlock: Uint32Array;
  /** Scratch space for the flush, allocated here once so that a flush allocates nothing. */
  readonly hitCounters: Uint32Array;
  readonly table: RuntimeBlockTable;
  symbolized: readonly SymbolizedBlock[] | undefined;
  /** Block index by slot offset. */
  blockBySlot: Map<number, number> | undefined;
  /** The comparison sites by PC, built on first use. */
  compareByPc: Map<bigint, SymbolizedBlock> | undefined;
}

const decoded = new OwnWeakMap<KcovFileRecord, DecodedTable>();

/** The record's table, parsed and checked once. Throws if the table breaks the contract. */
export function decodeTable(record: KcovFileRecord): DecodedTable {
  let entry = weakMapGet(decoded, record);
  if (entry === undefined) {
    entry = parseTable(record);
    weakMapSet(decoded, record, entry);
  }
  return entry;
}

function parseTable(record: KcovFileRecord): DecodedTable {
  const table = parseJson(record.table) as Omit<RuntimeBlockTable, "blocks"> & { blocks: unknown };
  const fail = (problem: string): never => {
    throw new Error(
      `babel-plugin-kcov: the block table of "${record.path}" ${problem}. ` +
        `Re-instrument it with the plugin version that matches this runtime.`,
    );
  };
  if (table.version !== TABLE_VERSION && table.version !== 1) fail(`has version ${table.version}, not 1 or ${TABLE_VERSION}`);
  if (table.version === 1 && compareRegionOf(record) !== undefined) {
    fail("has version 1, whose comparison sites share the block region, but its registration gives them a region of their own");
  }
  if (table.version === TABLE_VERSION && table.compares !== undefined && compareRegionOf(record) === undefined) {
    fail("has comparison sites, but its registration gives them no region");
  }
  const compares = table.compares ?? [];
  const compareRegionSize = (compareRegionOf(record) ?? record).regionSize;
  if (!isArray(compares) || compares.length % COMPARE_FIELDS !== 0 || !everyInteger(compares, -Infinity, Infinity)) {
    fail("has malformed comparison sites");
  }
  for (let at = 0; at < compares.length; at += COMPARE_FIELDS) {
    if (!(compares[at] >= 0 && compares[at] < compareRegionSize)) {
      fail(`puts comparison site ${at / COMPARE_FIELDS} at slot offset ${compares[at]}, outside its region`);
    }
  }
  const flat = typeof table.blocks === "string" ? decodeBlockFields(table.blocks, record.blockCount) : undefined;
  if (flat === undefined) return fail(`does not hold ${record.blockCount} well-formed blocks`);
  const counterCount = record.counters.length;
  const either = table.either ?? [];
  if (!isArray(either) || either.length % 2 !== 0 || !everyInteger(either, 0, counterCount)) {
    return fail("has malformed counter pairs");
  }
  const region = regionBounds(record);
  const slotByBlock = new OwnUint32Array(record.blockCount);
  const pcLowByBlock = new OwnUint32Array(record.blockCount);
  const counterByBlock = new OwnUint32Array(record.blockCount);
  const counterBByBlock = new OwnUint32Array(record.blockCount);
  const ownBlock = new OwnUint32Array(counterCount);
  for (let counter = 0; counter < counterCount; counter++) ownBlock[counter] = 0xffffffff;
  const extras: number[] = [];
  for (let block = 0; block < record.blockCount; block++) {
    const slotOffset = flat[block * BLOCK_FIELDS];
    const counter = flat[block * BLOCK_FIELDS + 1];
    if (!(counter >= 0 && counter < counterCount + either.length / 2)) {
      fail(`maps block ${block} to counter ${counter} of ${counterCount}`);
    }
    if (!(slotOffset >= 0 && slotOffset < record.regionSize)) {
      fail(`puts block ${block} at slot offset ${slotOffset}, outside its region`);
    }
    slotByBlock[block] = slotOffset;
    pcLowByBlock[block] = region.low + slotOffset * 8;
    const pair = counter - counterCount;
    const a = pair >= 0 ? either[2 * pair] : counter;
    const b = pair >= 0 ? either[2 * pair + 1] : counter;
    counterByBlock[block] = a;
    counterBByBlock[block] = b;
    if (pair < 0 && ownBlock[counter] === 0xffffffff) ownBlock[counter] = block;
    else {
      const at = extras.length;
      extras[at] = block;
      extras[at + 1] = a;
      extras[at + 2] = b;
    }
  }
  for (let counter = 0; counter < counterCount; counter++) {
    if (ownBlock[counter] === 0xffffffff) fail(`has no block for counter ${counter}`);
    // The flush emits own blocks in counter order: that must be block order too.
    if (counter > 0 && ownBlock[counter] < ownBlock[counter - 1]) fail(`numbers counter ${counter} out of block order`);
  }
  const extraBlock = new OwnUint32Array(extras.length / 3);
  const extraCounter = new OwnUint32Array(extras.length / 3);
  const extraCounterB = new OwnUint32Array(extras.length / 3);
  for (let i = 0; i < extraBlock.length; i++) {
    extraBlock[i] = extras[3 * i];
    extraCounter[i] = extras[3 * i + 1];
    extraCounterB[i] = extras[3 * i + 2];
  }
  return {
    ownBlock, extraBlock, extraCounter, extraCounterB, pcLowByBlock, pcHigh: region.high, counterByBlock, counterBByBlock, slotByBlock,
    hitCounters: new OwnUint32Array(counterCount),
    table: { ...table, blocks: flat }, symbolized: undefined, blockBySlot: undefined, compareByPc: undefined,
  };
}

/** The file's blocks as symbolize objects, built on first use and frozen (they are shared). */
export function symbolizedBlocks(record: KcovFileRecord): readonly SymbolizedBlock[] {
  const entry = decodeTable(record);
  if (entry.symbolized !== undefined) return entry.symbolized;
  const { sources, functions, kinds, blocks: flat } = entry.table;
  const result: SymbolizedBlock[] = [];
  const regionPc = toBigInt(record.regionPc);
  for (let block = 0; block < record.blockCount; block++) {
    const at = block * BLOCK_FIELDS;
    result[block] = freeze({
      pc: regionPc + toBigInt(entry.slotByBlock[block] * 8),
      file: sources[flat[at + 4]],
      start: freeze({ line: flat[at + 5], column: flat[at + 6] }),
      end: freeze({ line: flat[at + 7], column: flat[at + 8] }),
      functionName: functions[flat[at + 3]],
      kind: kinds[flat[at + 2]],
    });
  }
  entry.symbolized = freeze(result);
  return entry.symbolized;
}

/** Block index at slot offset `slot` of this file's region, or undefined if no block sits there. */
export function blockAtSlot(record: KcovFileRecord, slot: number): number | undefined {
  const entry = decodeTable(record);
  if (entry.blockBySlot === undefined) {
    const blockBySlot = new OwnMap<number, number>();
    for (let block = 0; block < record.blockCount; block++) mapSet(blockBySlot, entry.slotByBlock[block], block);
    entry.blockBySlot = blockBySlot;
  }
  return mapGet(entry.blockBySlot, slot);
}

/**
 * The comparison site with this PC (kind `compare:<operator>`), or undefined. Sites have
 * PCs of their own but no counters (docs/compare-area.md); they are in the file's
 * comparison region, or, in a version 1 table, in its block region.
 */
export function compareAtPc(record: KcovFileRecord, pc: bigint): SymbolizedBlock | undefined {
  const entry = decodeTable(record);
  if (entry.compareByPc === undefined) {
    const compareByPc = new OwnMap<bigint, SymbolizedBlock>();
    const regionPc = toBigInt((compareRegionOf(record) ?? record).regionPc);
    const { sources, functions, kinds } = entry.table;
    const flat = entry.table.compares ?? [];
    for (let at = 0; at + COMPARE_FIELDS <= flat.length; at += COMPARE_FIELDS) {
      const sitePc = regionPc + toBigInt(flat[at] * 8);
      mapSet(compareByPc, sitePc, freeze({
        pc: sitePc,
        file: sources[flat[at + 3]],
        start: freeze({ line: flat[at + 4], column: flat[at + 5] }),
        end: freeze({ line: flat[at + 6], column: flat[at + 7] }),
        functionName: functions[flat[at + 2]],
        kind: kinds[flat[at + 1]],
      }));
    }
    entry.compareByPc = compareByPc;
  }
  return mapGet(entry.compareByPc, pc);
}
