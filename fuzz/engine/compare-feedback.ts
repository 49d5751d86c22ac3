// Comparison feedback for the built-in engine: a KCOV_TRACE_CMP device read after every
// execution (docs/compare-area.md). Operand pairs go into a table of recent compares, as
// libFuzzer's TORC does; a mutation takes a pair and, where the input holds one operand's
// bytes, writes the other's there (input-to-state, as AFL++'s cmplog/Redqueen); where it
// holds neither, the constant (or either operand) is a dictionary token.
//
// It is a token source of the engine (fuzz/engine/token-source.ts): `afterExecution`
// reads and resets the areas, `pickToken` answers the Token mutator.

import { KCOV_CMP_CONST, KCOV_TRACE_CMP, Kcov, STRING_HEADER_BYTES, STRING_RECORD_BYTES } from "../../runtime";

/** What this source needs of the engine's random generator (fuzz/engine/random.ts). */
export interface RandomSource {
  below(n: number): number;
  coin(): boolean;
}

/** One compared pair: operand bytes as the input would hold them. */
export interface ComparePair {
  /** The constant when the comparison had one (KCOV_CMP_CONST), else the left operand. */
  readonly a: Uint8Array;
  readonly b: Uint8Array;
  readonly constant: boolean;
}

/** Entries of the table of recent compares; a new pair replaces the one at its hash. */
const TABLE_SIZE = 512;
/** Records read per execution at most: the area's capacity. */
const AREA_RECORDS = 4096;
const STRING_RECORDS = 512;

/** `value` as `width` bytes, little- or big-endian. */
function integerBytes(value: bigint, width: number, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(width);
  for (let i = 0; i < width; i++) {
    bytes[littleEndian ? i : width - 1 - i] = Number((value >> BigInt(8 * i)) & 0xffn);
  }
  return bytes;
}

/** Where `needle` first occurs in `haystack` from a random start (wrapping), or -1. */
function findFrom(haystack: Uint8Array, needle: Uint8Array, start: number): number {
  const last = haystack.length - needle.length;
  if (needle.length === 0 || last < 0) return -1;
  for (let tried = 0; tried <= last; tried++) {
    const at = (start + tried) % (last + 1);
    let i = 0;
    while (i < needle.length && haystack[at + i] === needle[i]) i++;
    if (i === needle.length) return at;
  }
  return -1;
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * The table of recent compares. `add` is cheap (a hash and a store); pairs of equal
 * operands are skipped, since the comparison already went the way the input made it go.
 */
export class CompareTable {
  readonly #pairs: (ComparePair | undefined)[] = new Array(TABLE_SIZE);
  /** The filled slots, so that a pick is uniform over the pairs however few there are. */
  readonly #filled: number[] = [];

  get size(): number {
    return this.#filled.length;
  }

  add(hash: number, pair: ComparePair): void {
    if (sameBytes(pair.a, pair.b)) return;
    const slot = (hash >>> 0) % TABLE_SIZE;
    if (this.#pairs[slot] === undefined) this.#filled.push(slot);
    this.#pairs[slot] = pair;
  }

  /** A random pair, or undefined when the table is empty. */
  pick(random: RandomSource): ComparePair | undefined {
    const filled = this.#filled;
    return filled.length === 0 ? undefined : this.#pairs[filled[random.below(filled.length)]];
  }
}

/**
 * The token for a mutation of `input` from `pair`: where the input holds one operand's
 * bytes, the other operand to write exactly there; otherwise a plain token (the constant,
 * or either operand) for the engine to insert or overwrite anywhere.
 */
export function tokenFromPair(pair: ComparePair, input: Uint8Array, random: RandomSource): Uint8Array | { token: Uint8Array; at: number } {
  const start = input.length === 0 ? 0 : random.below(input.length);
  const [first, second] = random.coin() ? [pair.b, pair.a] : [pair.a, pair.b];
  let at = findFrom(input, first, start);
  if (at >= 0 && at + second.length <= input.length) return { token: second, at };
  at = findFrom(input, second, start);
  if (at >= 0 && at + first.length <= input.length) return { token: first, at };
  return pair.constant || random.coin() ? pair.a : pair.b;
}

/** The engine's token source of comparison feedback. */
export class CompareFeedback {
  readonly mutatorName = "CMP";
  readonly table = new CompareTable();
  readonly #kcov: Kcov;
  readonly #words: BigUint64Array;
  readonly #strings: Uint8Array;
  readonly #stringView: DataView;

  /** Opens and enables the realm's TRACE_CMP device; the engine's TRACE_PC device is another. */
  constructor() {
    this.#kcov = new Kcov({ stringRecords: STRING_RECORDS });
    this.#kcov.initTrace(1 + 4 * AREA_RECORDS);
    this.#words = this.#kcov.mmap();
    this.#strings = this.#kcov.mmapStrings();
    this.#stringView = new DataView(this.#strings.buffer);
    this.#kcov.enable(KCOV_TRACE_CMP);
  }

  /** Reads the records of the execution that just ended into the table, then resets both areas. */
  afterExecution(): void {
    const words = this.#words;
    const count = Math.min(Number(words[0]), AREA_RECORDS);
    for (let i = 0; i < count; i++) {
      const at = 1 + 4 * i;
      const type = Number(words[at]);
      const width = 1 << ((type >> 1) & 3);
      const arg1 = words[at + 1], arg2 = words[at + 2];
      const constant = (type & KCOV_CMP_CONST) !== 0;
      const hash = Number(words[at + 3] & 0xffffffffn) ^ Number((arg1 ^ (arg2 << 7n)) & 0xffffffffn);
      this.table.add(hash, { a: integerBytes(arg1, width, true), b: integerBytes(arg2, width, true), constant });
      if (width > 1) this.table.add(hash ^ 0x5bd1e995, { a: integerBytes(arg1, width, false), b: integerBytes(arg2, width, false), constant });
    }
    words[0] = 0n;

    const strings = this.#strings;
    const view = this.#stringView;
    const stringCount = Math.min(Number(view.getBigUint64(0, true)), STRING_RECORDS);
    for (let i = 0; i < stringCount; i++) {
      const at = STRING_HEADER_BYTES + STRING_RECORD_BYTES * i;
      const length1 = strings[at + 10], length2 = strings[at + 11];
      const a = strings.slice(at + 16, at + 16 + length1);
      const b = strings.slice(at + 80, at + 80 + length2);
      const hash = view.getUint32(at, true) ^ (length1 << 8) ^ (a[0] ?? 0) ^ ((b[0] ?? 0) << 16);
      this.table.add(hash, { a, b, constant: (strings[at + 8] & KCOV_CMP_CONST) !== 0 });
    }
    view.setBigUint64(0, 0n, true);
  }

  pickToken(random: RandomSource, input: Uint8Array): Uint8Array | { token: Uint8Array; at: number } | undefined {
    const pair = this.table.pick(random);
    return pair === undefined ? undefined : tokenFromPair(pair, input, random);
  }

  close(): void {
    this.#kcov.close();
  }
}
