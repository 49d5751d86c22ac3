// Reading a file's run-time block table (docs/block-table.md, "The block table").
// The table is JSON text in the registry record; it is parsed the first time a flush
// finds a hit in the file or symbolize asks about it, then cached with the record.

import { PC_BASE, PC_LOW_BASE } from "./constants";
import type { KcovFileRecord } from "./registry";

/** Numbers per block in the table's flat `blocks` array (plugin/block-table.ts BLOCK_FIELDS). */
const BLOCK_FIELDS = 9;
const TABLE_VERSION = 1;

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
  /** Delta-encoded base64 VLQ in the file; replaced by the decoded numbers on parse. */
  blocks: number[];
}

const BASE64_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Undoes plugin/block-table.ts encodeBlockFields: BLOCK_FIELDS numbers per block, each
 * stored as a VLQ difference from its usual value. Returns undefined on malformed text.
 */
export function decodeBlockFields(text: string, blockCount: number): number[] | undefined {
  const flat = new Array<number>(blockCount * BLOCK_FIELDS);
  let position = 0;
  const read = (): number => {
    let value = 0;
    let shift = 0;
    let digit: number;
    do {
      digit = BASE64_DIGITS.indexOf(text.charAt(position++));
      if (digit < 0) return NaN;
      value += (digit & 31) * 2 ** shift;
      shift += 5;
    } while (digit & 32);
    return value % 2 === 1 ? -(value - 1) / 2 : value / 2;
  };
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
  return position === text.length && !flat.some(Number.isNaN) ? flat : undefined;
}

/** A parsed table plus what the runtime derives from it. */
export interface DecodedTable {
  /** Low 32 bits of each counter's PC; the high 32 bits are always 0xffffffff. */
  readonly pcLowByCounter: Uint32Array;
  /** Slot (regionStart + slotOffset) of each block, in block order. */
  readonly slotByBlock: Uint32Array;
  readonly table: RuntimeBlockTable;
  symbolized: readonly SymbolizedBlock[] | undefined;
  blockBySlot: Map<number, number> | undefined;
}

const decoded = new WeakMap<KcovFileRecord, DecodedTable>();

/** The record's table, parsed and checked once. Throws if the table breaks the contract. */
export function decodeTable(record: KcovFileRecord): DecodedTable {
  let entry = decoded.get(record);
  if (entry === undefined) {
    entry = parseTable(record);
    decoded.set(record, entry);
  }
  return entry;
}

function parseTable(record: KcovFileRecord): DecodedTable {
  const table = JSON.parse(record.table) as Omit<RuntimeBlockTable, "blocks"> & { blocks: unknown };
  const fail = (problem: string): never => {
    throw new Error(
      `babel-plugin-kcov: the block table of "${record.path}" ${problem}. ` +
        `Re-instrument it with the plugin version that matches this runtime.`,
    );
  };
  if (table.version !== TABLE_VERSION) fail(`has version ${table.version}, not ${TABLE_VERSION}`);
  const flat = typeof table.blocks === "string" ? decodeBlockFields(table.blocks, record.blockCount) : undefined;
  if (flat === undefined) return fail(`does not hold ${record.blockCount} well-formed blocks`);
  const pcLowByCounter = new Uint32Array(record.blockCount);
  const slotByBlock = new Uint32Array(record.blockCount);
  for (let block = 0; block < record.blockCount; block++) {
    const slotOffset = flat[block * BLOCK_FIELDS];
    const counter = flat[block * BLOCK_FIELDS + 1];
    // Version 1 gives every block its own counter, in block order; the flush relies on it.
    if (counter !== block) fail(`maps block ${block} to counter ${counter}`);
    if (!(slotOffset >= 0 && slotOffset < record.regionSize)) {
      fail(`puts block ${block} at slot offset ${slotOffset}, outside its region`);
    }
    const slot = record.regionStart + slotOffset;
    slotByBlock[block] = slot;
    pcLowByCounter[counter] = PC_LOW_BASE + slot * 8;
  }
  return { pcLowByCounter, slotByBlock, table: { ...table, blocks: flat }, symbolized: undefined, blockBySlot: undefined };
}

/** The file's blocks as symbolize objects, built on first use and frozen (they are shared). */
export function symbolizedBlocks(record: KcovFileRecord): readonly SymbolizedBlock[] {
  const entry = decodeTable(record);
  if (entry.symbolized !== undefined) return entry.symbolized;
  const { sources, functions, kinds, blocks: flat } = entry.table;
  const result: SymbolizedBlock[] = [];
  for (let block = 0; block < record.blockCount; block++) {
    const at = block * BLOCK_FIELDS;
    result.push(
      Object.freeze({
        pc: PC_BASE + BigInt(entry.slotByBlock[block]) * 8n,
        file: sources[flat[at + 4]],
        start: Object.freeze({ line: flat[at + 5], column: flat[at + 6] }),
        end: Object.freeze({ line: flat[at + 7], column: flat[at + 8] }),
        functionName: functions[flat[at + 3]],
        kind: kinds[flat[at + 2]],
      }),
    );
  }
  entry.symbolized = Object.freeze(result);
  return entry.symbolized;
}

/** Block index at `slot` in this file, or undefined if no block sits there. */
export function blockAtSlot(record: KcovFileRecord, slot: number): number | undefined {
  const entry = decodeTable(record);
  if (entry.blockBySlot === undefined) {
    entry.blockBySlot = new Map();
    for (let block = 0; block < record.blockCount; block++) {
      entry.blockBySlot.set(entry.slotByBlock[block], block);
    }
  }
  return entry.blockBySlot.get(slot);
}
