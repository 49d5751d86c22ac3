// The block table: what the plugin found in one file. docs/block-table.md is the
// written contract; keep the two in step.

import { BASE64_DIGITS } from "../runtime/base64-vlq";

/**
 * Version 2: the comparison sites (plugin option traceCmp) have a region of their own, and
 * their slot offsets count from its start. A file without comparison sites gets the
 * version 1 table, unchanged, so that a build without traceCmp is byte-identical to one
 * made before version 2.
 */
export const BLOCK_TABLE_VERSION = 2;
export type BlockTableVersion = 1 | typeof BLOCK_TABLE_VERSION;

/** The table version for a file with these comparison sites. */
export function tableVersionFor(compares: readonly unknown[]): BlockTableVersion {
  return compares.length > 0 ? BLOCK_TABLE_VERSION : 1;
}

/** Numbers per block in the run-time table's flat `blocks` array. */
export const BLOCK_FIELDS = 9;

export type BlockKind =
  | "program"
  | "function"
  | "class-field"
  | "static-block"
  | "if-consequent"
  | "if-alternate"
  | "if-implicit-else"
  | "switch-case"
  | "switch-implicit-default"
  | "loop-body"
  | "catch"
  | "finally"
  | "join"
  | "conditional-consequent"
  | "conditional-alternate"
  | "logical-right"
  | "logical-assignment-right"
  | "default-value"
  | "optional-continuation";

export interface SourcePosition {
  /** From 1. */
  line: number;
  /** From 0. */
  column: number;
}

export interface SourceRange {
  start: SourcePosition;
  /** Exclusive. */
  end: SourcePosition;
}

export interface BlockEntry {
  /** Block index in the file: source order of block starts. */
  index: number;
  kind: BlockKind;
  /** 64-bit synthetic PC. */
  pc: bigint;
  /** Slot offset inside the file's region. */
  slotOffset: number;
  /**
   * Index into the file's counter array; or, from `counterCount` on, a virtual counter:
   * pair `counter - counterCount` of `eitherPairs`, the block ran if either counter is set.
   */
  counter: number;
  /** Name of the enclosing function, "(top level)" for program code. */
  functionName: string;
  /** Original source file, relative to the root, POSIX separators. */
  source: string;
  range: SourceRange;
}

/** A comparison site (plugin option traceCmp, docs/compare-area.md): a PC of its own, no counter. */
export interface CompareEntry {
  /** Site index in the file: source order. */
  index: number;
  /** `compare:` and the operator or method, or `compare:switch`. */
  kind: string;
  pc: bigint;
  /** Slot offset inside the file's comparison region (compareRegionPc). */
  slotOffset: number;
  functionName: string;
  source: string;
  range: SourceRange;
}

export interface KcovFileMetadata {
  /** 2 when the file has comparison sites, else 1 (tableVersionFor). */
  version: BlockTableVersion;
  /** The instrumented file, relative to the root, POSIX separators. */
  path: string;
  fingerprint: string;
  /** PC of the region's first slot: "0x" and 16 hex digits (docs/block-table.md). */
  regionPc: string;
  regionSize: number;
  /** The comparison sites' region (traceCmp, files that have any): PC of its first slot, and its size in slots. */
  compareRegionPc?: string;
  compareRegionSize?: number;
  counterMode: "hit" | "count";
  /** Length of the counter array: blocks may share a counter (plugin/counter-sharing.ts). */
  counterCount: number;
  /** Flat pairs of counters for virtual counters: `[a0, b0, a1, b1, ...]`. */
  eitherPairs: number[];
  blocks: BlockEntry[];
  /** Comparison sites, with the option traceCmp only. */
  compares?: CompareEntry[];
}

/** The run-time form, embedded as JSON text in each instrumented file. */
export interface RuntimeBlockTable {
  version: BlockTableVersion;
  sources: string[];
  functions: string[];
  kinds: string[];
  /** BLOCK_FIELDS numbers per block, delta-encoded as base64 VLQ (see encodeBlockFields). */
  blocks: string;
  /** Counter pairs of the virtual counters (counter index >= counterCount), flat. */
  either: number[];
  /**
   * Comparison sites (traceCmp only, absent without any): COMPARE_FIELDS numbers each,
   * `slotOffset, kindIndex, functionIndex, sourceIndex, startLine, startColumn, endLine, endColumn`,
   * the slot offset in the file's comparison region.
   */
  compares?: number[];
}

/** Numbers per comparison site in the run-time table's `compares`. */
export const COMPARE_FIELDS = 8;

export function toRuntimeTable(blocks: readonly BlockEntry[], eitherPairs: readonly number[] = [],
  compares: readonly CompareEntry[] = []): RuntimeBlockTable {
  const sources = new Interner();
  const functions = new Interner();
  const kinds = new Interner();
  const flat: number[] = [];
  for (const block of blocks) {
    const { start, end } = block.range;
    flat.push(
      block.slotOffset,
      block.counter,
      kinds.indexOf(block.kind),
      functions.indexOf(block.functionName),
      sources.indexOf(block.source),
      start.line,
      start.column,
      end.line,
      end.column,
    );
  }
  const compareFields: number[] = [];
  for (const site of compares) {
    const { start, end } = site.range;
    compareFields.push(site.slotOffset, kinds.indexOf(site.kind), functions.indexOf(site.functionName),
      sources.indexOf(site.source), start.line, start.column, end.line, end.column);
  }
  return {
    version: tableVersionFor(compares),
    sources: sources.values,
    functions: functions.values,
    kinds: kinds.values,
    blocks: encodeBlockFields(flat),
    either: [...eitherPairs],
    ...(compareFields.length > 0 ? { compares: compareFields } : {}),
  };
}

const BASE64_CODES = Uint8Array.from(BASE64_DIGITS, (c) => c.charCodeAt(0));

/**
 * The flat block fields as a string a third the size of a JSON number list: each field is
 * stored as the difference from what it usually is (next slot, own counter, previous
 * function/source/line, end line = start line), written as a source-map style base64 VLQ
 * (5 bits per character, sign in the lowest bit). runtime/block-table.ts decodes it.
 */
export function encodeBlockFields(flat: readonly number[]): string {
  // Characters go into a byte buffer: appending to a string one character at a time
  // builds a rope of one node per character, and the table has hundreds of thousands.
  let bytes = new Uint8Array(Math.max(64, flat.length * 2));
  let length = 0;
  const write = (value: number): void => {
    if (length + 8 > bytes.length) {
      const grown = new Uint8Array(bytes.length * 2);
      grown.set(bytes);
      bytes = grown;
    }
    let vlq = value < 0 ? (-value << 1) | 1 : value << 1;
    do {
      let digit = vlq & 31;
      vlq >>>= 5;
      if (vlq > 0) digit |= 32;
      bytes[length++] = BASE64_CODES[digit];
    } while (vlq > 0);
  };
  let previousSlot = -1;
  let previousFunction = 0;
  let previousSource = 0;
  let previousLine = 0;
  for (let at = 0; at < flat.length; at += BLOCK_FIELDS) {
    const slot = flat[at], fn = flat[at + 3], source = flat[at + 4], startLine = flat[at + 5], endLine = flat[at + 7];
    write(slot - previousSlot - 1);
    write(flat[at + 1] - at / BLOCK_FIELDS); // counter
    write(flat[at + 2]); // kind
    write(fn - previousFunction);
    write(source - previousSource);
    write(startLine - previousLine);
    write(flat[at + 6]); // start column
    write(endLine - startLine);
    write(flat[at + 8]); // end column
    previousSlot = slot;
    previousFunction = fn;
    previousSource = source;
    previousLine = startLine;
  }
  return Buffer.from(bytes.buffer, 0, length).toString("latin1");
}

class Interner {
  readonly values: string[] = [];
  private readonly indices = new Map<string, number>();

  indexOf(value: string): number {
    let index = this.indices.get(value);
    if (index === undefined) {
      index = this.values.length;
      this.values.push(value);
      this.indices.set(value, index);
    }
    return index;
  }
}
