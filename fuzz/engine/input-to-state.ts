// Input-to-state replacements (Redqueen's, as AFL++'s cmplog makes them): given the
// comparisons one input made, where the input holds one operand's bytes, an input with the
// other operand written there. The operands are looked for in the encodings a program
// reads a value in: integers little- and big-endian in every width that holds both
// operands, and as ASCII decimal and hex; strings and byte arrays as they are.

/** One comparison of the traced run, its operands as the area holds them. */
export type ComparedOperands =
  | { readonly kind: "integer"; readonly a: bigint; readonly b: bigint; readonly width: number }
  | { readonly kind: "bytes"; readonly a: Uint8Array; readonly b: Uint8Array };

/** One replacement: `input[at, at + removed)` becomes `bytes`. */
export interface Replacement {
  readonly at: number;
  readonly removed: number;
  readonly bytes: Uint8Array;
  /** Bytes of the input that matched an operand: the more, the likelier the match is no coincidence. */
  readonly matched: number;
}

/** Occurrences of one encoding looked at per input: a frequent byte value must not flood the list. */
const OCCURRENCES_PER_ENCODING = 4;

/** `value` as `width` bytes, little- or big-endian (the area's unsigned operand). */
export function integerBytes(value: bigint, width: number, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(width);
  if (value <= 0xffffffffn) {
    // Most values: without BigInt arithmetic, which cost most of the search.
    let v = Number(value);
    for (let i = 0; i < width && i < 4; i++, v >>>= 8) bytes[littleEndian ? i : width - 1 - i] = v & 0xff;
    return bytes;
  }
  for (let i = 0; i < width; i++) bytes[littleEndian ? i : width - 1 - i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return bytes;
}

/** Byte `index` of `value` as `width` bytes (little- or big-endian), without allocating. */
function byteOf(value: bigint, small: number, width: number, littleEndian: boolean, index: number): number {
  const shift = 8 * (littleEndian ? index : width - 1 - index);
  if (value <= 0xffffffffn) return shift >= 32 ? 0 : (small >>> shift) & 0xff;
  return Number((value >> BigInt(shift)) & 0xffn);
}

/** The fewest bytes of 1, 2, 4, 8 that hold `value` (unsigned, as the area records it). */
function minimalWidth(value: bigint): number {
  return value < 0x100n ? 1 : value < 0x10000n ? 2 : value < 0x100000000n ? 4 : 8;
}

const ascii = (text: string): Uint8Array => Buffer.from(text, "latin1");
const isDigit = (byte: number): boolean => byte >= 0x30 && byte <= 0x39;
const isHexDigit = (byte: number): boolean => isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INTEGER_WIDTHS = [1, 2, 4, 8];
const LITTLE_ENDIAN_ONLY = [true];
const BOTH_ENDIANS = [true, false];

/** An operand's encoding, made only once the input is known to hold its first two bytes. */
interface Encoding {
  readonly from: Uint8Array;
  readonly to: Uint8Array;
  /** For a number in text: bytes that must not surround it (it would be part of a larger number). */
  readonly whole?: (byte: number) => boolean;
}

/** The search of one input: which replacements its comparisons give. */
class Search {
  readonly found: Replacement[] = [];
  readonly #input: Uint8Array;
  readonly #haystack: Buffer;
  readonly #maxSize: number;
  readonly #start: number;
  readonly #seen = new Set<string>();
  /** The pairs of adjacent bytes the input holds: most encodings are not in it, and this says so without a search. */
  readonly #pairs = new Uint8Array(8192);
  /** The byte values the input holds (a bit each), for the same reason. */
  readonly #bytes = new Uint8Array(32);
  /** One-byte operands, looked for after all the others, and only while there is room. */
  readonly singleBytes: Encoding[] = [];

  constructor(input: Uint8Array, maxSize: number, start: number) {
    this.#input = input;
    this.#haystack = Buffer.from(input.buffer, input.byteOffset, input.length);
    this.#maxSize = maxSize;
    this.#start = input.length === 0 ? 0 : start % input.length;
    for (let i = 0; i + 1 < input.length; i++) {
      const pair = (input[i] << 8) | input[i + 1];
      this.#pairs[pair >> 3] |= 1 << (pair & 7);
    }
    for (let i = 0; i < input.length; i++) this.#bytes[input[i] >> 3] |= 1 << (input[i] & 7);
  }

  holdsByte(byte: number): boolean {
    return (this.#bytes[byte >> 3] & (1 << (byte & 7))) !== 0;
  }

  holdsPair(first: number, second: number): boolean {
    const pair = (first << 8) | second;
    return (this.#pairs[pair >> 3] & (1 << (pair & 7))) !== 0;
  }

  /** Every replacement of `encoding.from` by `encoding.to` (one-byte ones kept for later). */
  replace(encoding: Encoding, singleBytesNow = false): void {
    const { from, to, whole } = encoding;
    if (from.length === 0 || from.length > this.#input.length) return;
    if (from.length === 1 && !singleBytesNow) {
      if (this.holdsByte(from[0])) this.singleBytes.push(encoding);
      return;
    }
    // Every pair of adjacent bytes must be in the input: [0, 0, hi, lo] passes a check of
    // the first pair in most binary inputs, and most such needles are not there.
    for (let i = 0; i + 1 < from.length; i++) if (!this.holdsPair(from[i], from[i + 1])) return;
    for (const at of this.#occurrences(from, whole)) {
      this.#add(at, from.length, to, from.length);
      // Operands of different lengths (strings): also written over the input from there
      // (a prefix check sees only the first bytes).
      if (to.length !== from.length && at + to.length <= this.#input.length) this.#add(at, to.length, to, from.length);
    }
  }

  /** Where `needle` occurs, at most OCCURRENCES_PER_ENCODING times, from a varying start (then from the beginning). */
  #occurrences(needle: Uint8Array, whole?: (byte: number) => boolean): number[] {
    const input = this.#haystack;
    const found: number[] = [];
    for (let round = 0; round < 2; round++) {
      const from = round === 0 ? this.#start : 0;
      const to = round === 0 ? input.length : this.#start;
      for (let at = input.indexOf(needle, from); at >= 0 && at < to && found.length < OCCURRENCES_PER_ENCODING; at = input.indexOf(needle, at + 1)) {
        const end = at + needle.length;
        if (whole !== undefined && ((at > 0 && whole(input[at - 1])) || (end < input.length && whole(input[end])))) continue;
        found.push(at);
      }
    }
    return found;
  }

  #add(at: number, removed: number, bytes: Uint8Array, matched: number): void {
    const input = this.#input;
    if (input.length - removed + bytes.length > this.#maxSize) return;
    let same = removed === bytes.length;
    for (let i = 0; same && i < bytes.length; i++) same = input[at + i] === bytes[i];
    if (same) return;
    const key = `${at}:${removed}:${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1")}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.found.push({ at, removed, bytes, matched });
  }

  /** Whether the input holds every byte pair of `value` as `width` bytes (or its byte, for one). */
  #holdsInteger(value: bigint, small: number, width: number, littleEndian: boolean): boolean {
    let previous = byteOf(value, small, width, littleEndian, 0);
    if (width === 1) return this.holdsByte(previous);
    for (let i = 1; i < width; i++) {
      const next = byteOf(value, small, width, littleEndian, i);
      if (!this.holdsPair(previous, next)) return false;
      previous = next;
    }
    return true;
  }

  /** `from` replaced by `to` in every encoding of integers that holds both. */
  replaceInteger(from: bigint, to: bigint, width: number): void {
    // Any width that holds both: JavaScript records a number in the fewest bytes, but the
    // program may have read it with readUInt32LE from four.
    const least = Math.max(width, minimalWidth(from), minimalWidth(to));
    // The encodings' first bytes are checked before any is made: most are not in the input.
    const small = from <= 0xffffffffn ? Number(from) : 0;
    for (const bytes of INTEGER_WIDTHS) {
      if (bytes < least || (bytes === 8 && least < 8)) continue;
      for (const littleEndian of bytes === 1 ? LITTLE_ENDIAN_ONLY : BOTH_ENDIANS) {
        if (this.#holdsInteger(from, small, bytes, littleEndian)) this.replace({ from: integerBytes(from, bytes, littleEndian), to: integerBytes(to, bytes, littleEndian) });
      }
    }
    if (from > MAX_SAFE || to > MAX_SAFE) return;
    // As Numbers: the same digits as the BigInts', at a fraction of the cost.
    const fromNumber = Number(from);
    const toNumber = Number(to);
    const decimal = fromNumber.toString();
    if (decimal.length === 1 ? this.holdsByte(decimal.charCodeAt(0)) : this.holdsPair(decimal.charCodeAt(0), decimal.charCodeAt(1))) {
      this.replace({ from: ascii(decimal), to: ascii(toNumber.toString()), whole: isDigit });
    }
    if (fromNumber < 16) return;
    const lower = fromNumber.toString(16);
    for (const hex of [lower, lower.toUpperCase()]) {
      if (!this.holdsPair(hex.charCodeAt(0), hex.charCodeAt(1))) continue;
      const other = toNumber.toString(16);
      this.replace({ from: ascii(hex), to: ascii(hex === lower ? other : other.toUpperCase()), whole: isHexDigit });
    }
  }
}

/**
 * The replacements for `input` from its comparisons, most bytes matched first, at most
 * `limit`, none twice, none that changes nothing, none making the input longer than
 * `maxSize`. `start` varies which occurrences of a frequent value are taken. Matches of
 * one byte come last and are only looked for while there is room: a frequent byte
 * matches everywhere, and looking costs.
 */
export function inputToStateReplacements(
  input: Uint8Array, compared: readonly ComparedOperands[], maxSize: number, limit: number, start: number,
): Replacement[] {
  const search = new Search(input, maxSize, start);
  for (const operands of compared) {
    if (operands.kind === "integer") {
      if (operands.a === operands.b) continue;
      search.replaceInteger(operands.a, operands.b, operands.width);
      search.replaceInteger(operands.b, operands.a, operands.width);
    } else {
      search.replace({ from: operands.a, to: operands.b });
      search.replace({ from: operands.b, to: operands.a });
    }
  }
  const single = search.singleBytes;
  for (let i = 0; i < single.length && search.found.length < limit; i++) search.replace(single[i], true);
  // Stable: among equal matches, the order of the comparisons (the order the program made them).
  return search.found.sort((x, y) => y.matched - x.matched).slice(0, limit);
}

/** `input` with `replacement` applied, into `out`; returns the new size. */
export function applyReplacement(input: Uint8Array, replacement: Replacement, out: Uint8Array): number {
  const { at, removed, bytes } = replacement;
  const size = input.length - removed + bytes.length;
  out.set(input.subarray(0, at), 0);
  out.set(bytes, at);
  out.set(input.subarray(at + removed), at + bytes.length);
  return size;
}
