// The block table: what the plugin found in one file. docs/block-table.md is the
// written contract; keep the two in step.

export const BLOCK_TABLE_VERSION = 1;

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
  /** Index into the file's counter array. */
  counter: number;
  /** Name of the enclosing function, "(top level)" for program code. */
  functionName: string;
  /** Original source file, relative to the root, POSIX separators. */
  source: string;
  range: SourceRange;
}

export interface KcovFileMetadata {
  version: typeof BLOCK_TABLE_VERSION;
  /** The instrumented file, relative to the root, POSIX separators. */
  path: string;
  fingerprint: string;
  regionStart: number;
  regionSize: number;
  counterMode: "hit" | "count";
  blocks: BlockEntry[];
}

/** The run-time form, embedded as JSON text in each instrumented file. */
export interface RuntimeBlockTable {
  version: typeof BLOCK_TABLE_VERSION;
  sources: string[];
  functions: string[];
  kinds: string[];
  blocks: number[];
}

export function toRuntimeTable(blocks: readonly BlockEntry[]): RuntimeBlockTable {
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
  return {
    version: BLOCK_TABLE_VERSION,
    sources: sources.values,
    functions: functions.values,
    kinds: kinds.values,
    blocks: flat,
  };
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
