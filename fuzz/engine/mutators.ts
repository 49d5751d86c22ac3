// Every mutator of the built-in engine, in one table, each a small function with the name
// the status lines print after `MS:` (libFuzzer's names where libFuzzer has the mutator).
// A mutator changes `m.data[0..m.size)` in place and returns the new size, or 0 if it
// cannot apply to this input (the engine then picks another one).

import type { Random } from "./random";
import type { TokenSource } from "./token-source";

export interface Mutation {
  /** The input being mutated, in a buffer of at least `maxSize` bytes. */
  readonly data: Uint8Array;
  size: number;
  readonly maxSize: number;
  readonly random: Random;
  /** Another corpus input to splice with, or undefined (cross-over off or a single entry). */
  readonly crossOverWith: () => Uint8Array | undefined;
  readonly tokenSources: readonly TokenSource[];
  /** Set by a mutator whose printed name depends on the source it used (Token). */
  appliedName: string | undefined;
}

export interface Mutator {
  readonly name: string;
  readonly mutate: (m: Mutation) => number;
}

/** AFL's interesting values: boundaries where off-by-one bugs live. */
const INTERESTING_8 = [-128, -1, 0, 1, 16, 32, 64, 100, 127];
const INTERESTING_16 = [...INTERESTING_8, -32768, -129, 128, 255, 256, 512, 1000, 1024, 4096, 32767, 65535];
const INTERESTING_32 = [...INTERESTING_16, -2147483648, -100663046, -32769, 32768, 65536, 100663045, 2147483647, 4294967295];
/** AFL's ARITH_MAX: the largest step of an arithmetic mutation. */
const ARITH_MAX = 35;

function randomByte(random: Random): number {
  return random.next() & 0xff;
}

/** Opens `count` bytes at `at` (the caller checked that they fit). */
function openGap(m: Mutation, at: number, count: number): void {
  m.data.copyWithin(at + count, at, m.size);
}

function changeBit(m: Mutation): number {
  if (m.size === 0) return 0;
  m.data[m.random.below(m.size)] ^= 1 << m.random.below(8);
  return m.size;
}

function changeByte(m: Mutation): number {
  if (m.size === 0) return 0;
  m.data[m.random.below(m.size)] = randomByte(m.random);
  return m.size;
}

function insertByte(m: Mutation): number {
  if (m.size >= m.maxSize) return 0;
  const at = m.random.below(m.size + 1);
  openGap(m, at, 1);
  m.data[at] = randomByte(m.random);
  return m.size + 1;
}

function insertRepeatedBytes(m: Mutation): number {
  const room = m.maxSize - m.size;
  if (room < 3) return 0;
  const count = 3 + m.random.below(Math.min(room, 128) - 2);
  const at = m.random.below(m.size + 1);
  const value = m.random.coin() ? randomByte(m.random) : m.random.coin() ? 0 : 0xff;
  openGap(m, at, count);
  m.data.fill(value, at, at + count);
  return m.size + count;
}

function eraseBytes(m: Mutation): number {
  if (m.size <= 1) return 0;
  const count = 1 + m.random.below(Math.max(1, m.size >> 1));
  const at = m.random.below(m.size - count + 1);
  m.data.copyWithin(at, at + count, m.size);
  return m.size - count;
}

function shuffleBytes(m: Mutation): number {
  if (m.size < 2) return 0;
  const count = 2 + m.random.below(Math.min(m.size, 8) - 1);
  const at = m.random.below(m.size - count + 1);
  for (let i = count - 1; i > 0; i--) {
    const j = m.random.below(i + 1);
    const swap = m.data[at + i];
    m.data[at + i] = m.data[at + j];
    m.data[at + j] = swap;
  }
  return m.size;
}

/** Copies a chunk of the input over another place, or inserts it there. */
function copyPart(m: Mutation): number {
  if (m.size < 2) return 0;
  const count = 1 + m.random.below(m.size - 1);
  const from = m.random.below(m.size - count + 1);
  if (m.random.coin() || m.size + count > m.maxSize) {
    const to = m.random.below(m.size - count + 1);
    m.data.copyWithin(to, from, from + count);
    return m.size;
  }
  // A copy (Buffer's slice() would be a view of bytes that openGap moves).
  const chunk = new Uint8Array(m.data.subarray(from, from + count));
  const to = m.random.below(m.size + 1);
  openGap(m, to, count);
  m.data.set(chunk, to);
  return m.size + count;
}

/** Finds a run of ASCII digits and changes the number they spell. */
function changeAsciiInteger(m: Mutation): number {
  if (m.size === 0) return 0;
  let start = m.random.below(m.size);
  while (start < m.size && (m.data[start] < 0x30 || m.data[start] > 0x39)) start++;
  if (start === m.size) return 0;
  let end = start;
  while (end < m.size && end - start < 15 && m.data[end] >= 0x30 && m.data[end] <= 0x39) end++;
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (m.data[i] - 0x30);
  switch (m.random.below(5)) {
    case 0: value++; break;
    case 1: value = Math.max(0, value - 1); break;
    case 2: value = value * 2; break;
    case 3: value = Math.floor(value / 2); break;
    default: value = m.random.below(Math.max(1, value * 10)); break;
  }
  const digits = String(value);
  const newSize = m.size - (end - start) + digits.length;
  if (newSize > m.maxSize) return 0;
  m.data.copyWithin(start + digits.length, end, m.size);
  for (let i = 0; i < digits.length; i++) m.data[start + i] = digits.charCodeAt(i);
  return newSize;
}

/** Reads/writes a 1, 2 or 4 byte integer at `at`, little- or big-endian. */
function integerAt(m: Mutation, width: number, at: number, bigEndian: boolean): number {
  let value = 0;
  for (let i = 0; i < width; i++) value += m.data[at + (bigEndian ? i : width - 1 - i)] * 2 ** (8 * (width - 1 - i));
  return value;
}

function storeInteger(m: Mutation, width: number, at: number, bigEndian: boolean, value: number): void {
  let v = ((value % 2 ** (8 * width)) + 2 ** (8 * width)) % 2 ** (8 * width);
  for (let i = 0; i < width; i++) {
    m.data[at + (bigEndian ? width - 1 - i : i)] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

function pickWidth(m: Mutation): number {
  const widths = m.size >= 4 ? 3 : m.size >= 2 ? 2 : 1;
  return 1 << m.random.below(widths);
}

/** Adds or subtracts 1..ARITH_MAX to an integer of the input (AFL's arith stage). */
function changeBinaryInteger(m: Mutation): number {
  if (m.size === 0) return 0;
  const width = pickWidth(m);
  const at = m.random.below(m.size - width + 1);
  const bigEndian = m.random.coin();
  const step = 1 + m.random.below(ARITH_MAX);
  storeInteger(m, width, at, bigEndian, integerAt(m, width, at, bigEndian) + (m.random.coin() ? step : -step));
  return m.size;
}

/** Overwrites an integer of the input with one of AFL's interesting values. */
function interestingValue(m: Mutation): number {
  if (m.size === 0) return 0;
  const width = pickWidth(m);
  const values = width === 1 ? INTERESTING_8 : width === 2 ? INTERESTING_16 : INTERESTING_32;
  const at = m.random.below(m.size - width + 1);
  storeInteger(m, width, at, m.random.coin(), values[m.random.below(values.length)]);
  return m.size;
}

/** Splices another corpus input in: its prefix or a chunk of it, inserted or overwritten. */
function crossOver(m: Mutation): number {
  const other = m.crossOverWith();
  if (other === undefined || other.length === 0) return 0;
  const count = 1 + m.random.below(other.length);
  const from = m.random.below(other.length - count + 1);
  if (m.size > 0 && (m.random.coin() || m.size + count > m.maxSize)) {
    const fit = Math.min(count, m.size);
    const to = m.random.below(m.size - fit + 1);
    m.data.set(other.subarray(from, from + fit), to);
    return m.size;
  }
  if (m.size + count > m.maxSize) return 0;
  const to = m.random.below(m.size + 1);
  openGap(m, to, count);
  m.data.set(other.subarray(from, from + count), to);
  return m.size + count;
}

/** A token from a token source (-dict, comparison feedback), inserted or overwritten. */
function token(m: Mutation): number {
  if (m.tokenSources.length === 0) return 0;
  const source = m.tokenSources[m.random.below(m.tokenSources.length)];
  const picked = source.pickToken(m.random, m.data.subarray(0, m.size));
  if (picked === undefined) return 0;
  m.appliedName = source.mutatorName;
  const bytes = picked instanceof Uint8Array ? picked : picked.token;
  if (!(picked instanceof Uint8Array)) {
    if (picked.at < 0 || picked.at + bytes.length > m.size) return 0;
    m.data.set(bytes, picked.at);
    return m.size;
  }
  if (bytes.length <= m.size && (m.random.coin() || m.size + bytes.length > m.maxSize)) {
    m.data.set(bytes, m.random.below(m.size - bytes.length + 1));
    return m.size;
  }
  if (m.size + bytes.length > m.maxSize) return 0;
  const at = m.random.below(m.size + 1);
  openGap(m, at, bytes.length);
  m.data.set(bytes, at);
  return m.size + bytes.length;
}

/** The table. The engine picks uniformly from it; the order is the order of the docs. */
export const MUTATORS: readonly Mutator[] = [
  { name: "ChangeBit", mutate: changeBit },
  { name: "ChangeByte", mutate: changeByte },
  { name: "InsertByte", mutate: insertByte },
  { name: "InsertRepeatedBytes", mutate: insertRepeatedBytes },
  { name: "EraseBytes", mutate: eraseBytes },
  { name: "ShuffleBytes", mutate: shuffleBytes },
  { name: "CopyPart", mutate: copyPart },
  { name: "ChangeASCIIInt", mutate: changeAsciiInteger },
  { name: "ChangeBinInt", mutate: changeBinaryInteger },
  { name: "InterestingValue", mutate: interestingValue },
  { name: "CrossOver", mutate: crossOver },
  { name: "Token", mutate: token },
];

/** libFuzzer's -only_ascii: each byte made printable ASCII or whitespace. */
export function toAscii(data: Uint8Array, size: number): void {
  for (let i = 0; i < size; i++) {
    const byte = data[i] & 0x7f;
    const printable = (byte >= 0x20 && byte < 0x7f) || (byte >= 0x09 && byte <= 0x0d);
    data[i] = printable ? byte : 0x20;
  }
}
