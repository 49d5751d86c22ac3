// The comparison areas of a KCOV_TRACE_CMP device (docs/compare-area.md): Linux's area of
// `type, arg1, arg2, pc` records, and the string area beside it. Instrumented code calls
// the hooks of the realm's compare-hooks object (made by plugin/compare-tracing.ts'
// prelude, or here); an enabled device puts its `record` function there.

import { HIGH_HALF, LOW_HALF } from "./consume-counters";
import * as intrinsics from "./intrinsics";

/** Where instrumented files find the hooks; Symbol.for so that every copy agrees. */
export const COMPARE_HOOKS_KEY = Symbol.for("babel-plugin-kcov.compare");

/** Type bit 0: one operand is a constant in the source, and it is arg1. */
const CMP_CONST = 1;
export { CMP_CONST as KCOV_CMP_CONST };

// Exported under their long names below. The recorder uses the local bindings: TypeScript
// compiles a use of an `export const` to a load from `exports`, which on every record
// cost as much as the record.
/** Bytes kept of each operand in the string area. */
const OPERAND_BYTES = 64;
/** Bytes per string-area record: pc, type/op/lengths/flags, two operands. */
const RECORD_BYTES = 16 + 2 * OPERAND_BYTES;
/** Bytes of the string area's header: count, dropped, Linux-area dropped, record size. */
const HEADER_BYTES = 32;
export { OPERAND_BYTES as STRING_OPERAND_BYTES, RECORD_BYTES as STRING_RECORD_BYTES, HEADER_BYTES as STRING_HEADER_BYTES };
export const DEFAULT_STRING_RECORDS = 1024;

/** `op` of a string-area record. */
export const COMPARE_OPS = [
  "compare", "switch-case", "startsWith", "endsWith", "includes", "indexOf", "localeCompare", "equals",
] as const;
const SWITCH_CASE = COMPARE_OPS.indexOf("switch-case");

/**
 * (pcLow, pcHigh, arg1, arg2, isConst, op): the site's PC in 32-bit halves; arg1 is the
 * constant when isConst is 1. For a switch (op 1), arg1 may be the array of its constant
 * cases: one record per case.
 */
export type CompareRecorder = (pcLow: number, pcHigh: number, arg1: unknown, arg2: unknown, isConst: number, op: number) => void;

/**
 * What an enabled device gives the hooks: the general recorder, and the ones the hooks
 * call when the operands' types are already known (by the site's literal, or by a check
 * in the hook), which skip the general type dispatch. Each writes exactly what `record`
 * would for the same operands.
 */
export interface CompareRecorders {
  record: CompareRecorder;
  /** Two numbers that are 32-bit integers (`(x | 0) === x`). */
  recordInt32: (pcLow: number, pcHigh: number, arg1: number, arg2: number, isConst: number) => void;
  /** Two different strings. */
  recordStrings: (pcLow: number, pcHigh: number, arg1: string, arg2: string, isConst: number, op: number) => void;
  /** A switch's constant cases (one record each) against the value switched on. */
  recordSwitch: (pcLow: number, pcHigh: number, cases: readonly unknown[], value: unknown) => void;
  /** The same, when every case is a 32-bit integer and so is the value. */
  recordSwitchInt32: (pcLow: number, pcHigh: number, cases: readonly number[], value: number) => void;
}

const RECORDER_NAMES = ["record", "recordInt32", "recordStrings", "recordSwitch", "recordSwitchInt32"] as const;

/**
 * The realm's hooks object; the prelude of instrumented files adds the call hooks to it.
 * `record` is the switch: the hooks call any recorder only while it is not null, so a
 * device sets all of them (installRecorders) and clears `record` alone.
 */
export type CompareHooks = { record: CompareRecorder | null } & Partial<Omit<CompareRecorders, "record">>;

type RealmGlobal = typeof globalThis & { [COMPARE_HOOKS_KEY]?: CompareHooks };

export function compareHooks(): CompareHooks {
  const realm = globalThis as RealmGlobal;
  return (realm[COMPARE_HOOKS_KEY] ??= { record: null });
}

/** Puts `recorders` (or nothing, for null) in the hooks; returns what was there, for a later restore. */
export function installRecorders(hooks: CompareHooks, recorders: CompareRecorders | null): CompareRecorders | null {
  let previous: CompareRecorders | null = null;
  if (hooks.record !== null) {
    const saved: Record<string, unknown> = {};
    for (let i = 0; i < RECORDER_NAMES.length; i++) saved[RECORDER_NAMES[i]] = hooks[RECORDER_NAMES[i]];
    previous = saved as unknown as CompareRecorders;
  }
  if (recorders === null) {
    hooks.record = null;
  } else {
    // The specialised recorders first: a hook that sees `record` set may call them at once.
    for (let i = 1; i < RECORDER_NAMES.length; i++) (hooks as Record<string, unknown>)[RECORDER_NAMES[i]] = recorders[RECORDER_NAMES[i]];
    hooks.record = recorders.record;
  }
  return previous;
}

// The recorders run inside the program: every built-in they call comes from intrinsics.ts,
// as it was when the runtime loaded. Copied into module constants, since TypeScript
// compiles each use of an import to a property load, which on every record cost as much as
// the record. `charCodeAt(text, i)` is `text.charCodeAt(i)` with no lookup; V8 inlines it.
const {
  OwnUint32Array, OwnUint8Array, asUintN, atomicsStore: atomicStore, callGetter, charCodeAt, isArray, mathFloor, toBigInt, toNumber,
  typedArrayLength, typedArrayTag,
} = intrinsics;

const TWO_32 = 4294967296;
const MIN_INT64 = -9223372036854775808;
const MAX_UINT64_EXCLUSIVE = 18446744073709551616;

/** log2 of the fewest bytes (1, 2, 4, 8) that hold x as a signed or an unsigned integer. */
function widthLog2(x: number): number {
  if (x >= -128 && x < 256) return 0;
  if (x >= -32768 && x < 65536) return 1;
  if (x >= -2147483648 && x < TWO_32) return 2;
  return 3;
}

/** x mod 2^32 in [0, 2^32), for an integer double x (floor division's remainder). */
function lowWord(x: number): number {
  const r = x % TWO_32;
  return r < 0 ? r + TWO_32 : r;
}

function bigintWidthLog2(x: bigint): number {
  if (x >= -128n && x < 256n) return 0;
  if (x >= -32768n && x < 65536n) return 1;
  if (x >= -2147483648n && x < 4294967296n) return 2;
  return 3;
}

/** An integer in [-2^63, 2^64). `x % 1 === 0`, not Number.isInteger: the program may have replaced that. */
function isTraceableInteger(x: number): boolean {
  return x >= MIN_INT64 && x < MAX_UINT64_EXCLUSIVE && x % 1 === 0;
}

function isTraceableBigInt(x: bigint): boolean {
  return x >= -9223372036854775808n && x < 18446744073709551616n;
}

/** Bytes of a Uint8Array (or Buffer), or undefined for anything else. Calls no user code. */
function byteArray(value: unknown): Uint8Array | undefined {
  return typeof value === "object" && value !== null && callGetter(typedArrayTag, value) === "Uint8Array"
    ? (value as Uint8Array) : undefined;
}


/** Added to an operand's written length when it was longer than OPERAND_BYTES (writeOperand). */
const TRUNCATED = 0x100;

/** A 32-bit word with its bytes reversed, for a big-endian host's stores into the little-endian area. */
function byteSwapped(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/**
 * Text that is not all ASCII, as UTF-8 (what TextEncoder gives: a lone surrogate is
 * EF BF BD), whole characters only, written here rather than through encodeInto, which
 * allocates its result and is a global the program may have replaced. Writes the operand's
 * first bytes at `at`; returns what `writeOperand` returns.
 */
function writeText(bytes: Uint8Array, operand: string, at: number): number {
  const length = operand.length;
  let written = 0;
  let i = 0;
  for (; i < length; i++) {
    let code = charCodeAt(operand, i);
    if (code < 0x80) {
      if (written + 1 > OPERAND_BYTES) break;
      bytes[at + written++] = code;
    } else if (code < 0x800) {
      if (written + 2 > OPERAND_BYTES) break;
      bytes[at + written++] = 0xc0 | (code >> 6);
      bytes[at + written++] = 0x80 | (code & 0x3f);
    } else {
      const next = code >= 0xd800 && code < 0xdc00 && i + 1 < length ? charCodeAt(operand, i + 1) : 0;
      if (next >= 0xdc00 && next < 0xe000) {
        if (written + 4 > OPERAND_BYTES) break;
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        bytes[at + written++] = 0xf0 | (code >> 18);
        bytes[at + written++] = 0x80 | ((code >> 12) & 0x3f);
        bytes[at + written++] = 0x80 | ((code >> 6) & 0x3f);
        bytes[at + written++] = 0x80 | (code & 0x3f);
        i++;
      } else {
        if (written + 3 > OPERAND_BYTES) break;
        if (code >= 0xd800 && code < 0xe000) code = 0xfffd; // a lone surrogate
        bytes[at + written++] = 0xe0 | (code >> 12);
        bytes[at + written++] = 0x80 | ((code >> 6) & 0x3f);
        bytes[at + written++] = 0x80 | (code & 0x3f);
      }
    }
  }
  return written | (i < length ? TRUNCATED : 0);
}

/** A byte array's first bytes, as writeText writes text. */
function writeByteArray(bytes: Uint8Array, operand: Uint8Array, at: number): number {
  const total = callGetter(typedArrayLength, operand) as number;
  const length = total < OPERAND_BYTES ? total : OPERAND_BYTES;
  for (let i = 0; i < length; i++) bytes[at + i] = operand[i];
  return length | (total > OPERAND_BYTES ? TRUNCATED : 0);
}

export interface CompareAreaOptions {
  /** The Linux area: words, word 0 included. */
  words: number;
  /** Records the string area holds. */
  stringRecords: number;
}

/**
 * The memory of one TRACE_CMP device and the recorder that fills it. Appends never write
 * past either area; a record that does not fit is dropped whole and counted.
 */
export class CompareArea implements CompareRecorders {
  readonly buffer: SharedArrayBuffer;
  readonly stringBuffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly stringCapacity: number;
  /** Records dropped from the Linux area since the last `resetDropped`. */
  dropped = 0;
  stringDropped = 0;
  readonly #halves: Uint32Array;
  readonly #stringHalves: Uint32Array;
  readonly #stringBytes: Uint8Array;
  /** Two strings or byte arrays, appended to the string area (a closure, as the integer writer). */
  readonly #appendStrings: (pcLow: number, pcHigh: number, isConst: number, op: number, arg1: string | Uint8Array, arg2: string | Uint8Array) => void;
  /** The recorders, closures over this area (hooks call them without `this`). */
  readonly record: CompareRecorder;
  readonly recordInt32: CompareRecorders["recordInt32"];
  readonly recordStrings: CompareRecorders["recordStrings"];
  readonly recordSwitch: CompareRecorders["recordSwitch"];
  readonly recordSwitchInt32: CompareRecorders["recordSwitchInt32"];

  constructor(buffer: SharedArrayBuffer, stringBuffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.stringBuffer = stringBuffer;
    this.capacity = mathFloor((buffer.byteLength / 8 - 1) / 4);
    this.stringCapacity = mathFloor((stringBuffer.byteLength - HEADER_BYTES) / RECORD_BYTES);
    this.#halves = new OwnUint32Array(buffer);
    this.#stringHalves = new OwnUint32Array(stringBuffer);
    this.#stringBytes = new OwnUint8Array(stringBuffer);
    this.#stringHalves[6 + LOW_HALF] = RECORD_BYTES;
    // The recorder keeps everything it touches in locals: TypeScript compiles each use of
    // an imported LOW_HALF to a property load from the module, which doubled a record's cost.
    const halves = this.#halves;
    const capacity = this.capacity;
    const low = LOW_HALF, high = HIGH_HALF;
    // The fast path, for most records (character codes, lengths, indices, token kinds,
    // switch cases): two numbers that are 32-bit integers, written inline.
    const appendInt32 = (pcLow: number, pcHigh: number, arg1: number, arg2: number, isConst: number): void => {
      const count = halves[low];
      if (count >= capacity || halves[high] !== 0) {
        this.#drop();
        return;
      }
      const width = arg1 >= -128 && arg1 < 256 && arg2 >= -128 && arg2 < 256 ? 0
        : arg1 >= -32768 && arg1 < 65536 && arg2 >= -32768 && arg2 < 65536 ? 1 : 2;
      const mask = width === 0 ? 0xff : width === 1 ? 0xffff : 0xffffffff;
      // Indices of the record's low and high halves, computed once.
      const l = 2 + 8 * count + low, h = 2 + 8 * count + high;
      halves[l] = (width << 1) | isConst;
      halves[h] = 0;
      halves[l + 2] = arg1 & mask;
      halves[h + 2] = 0;
      halves[l + 4] = arg2 & mask;
      halves[h + 4] = 0;
      halves[l + 6] = pcLow;
      halves[h + 6] = pcHigh;
      halves[low] = count + 1;
    };
    this.recordInt32 = appendInt32;
    // A switch whose cases are all 32-bit integers, on one: its records written in one
    // pass, the count stored once. The same words as a record per case: no other code
    // runs in between, and a case that would not fit sends the switch to the per-case path.
    this.recordSwitchInt32 = (pcLow, pcHigh, cases, value) => {
      const count = halves[low];
      const n = cases.length;
      if (count + n > capacity || halves[high] !== 0) {
        for (let i = 0; i < n; i++) appendInt32(pcLow, pcHigh, cases[i], value, CMP_CONST);
        return;
      }
      const valueWidth = value >= -128 && value < 256 ? 0 : value >= -32768 && value < 65536 ? 1 : 2;
      let l = 2 + 8 * count + low, h = 2 + 8 * count + high;
      for (let i = 0; i < n; i++, l += 8, h += 8) {
        const test = cases[i];
        const testWidth = test >= -128 && test < 256 ? 0 : test >= -32768 && test < 65536 ? 1 : 2;
        const width = testWidth > valueWidth ? testWidth : valueWidth;
        const mask = width === 0 ? 0xff : width === 1 ? 0xffff : 0xffffffff;
        halves[l] = (width << 1) | CMP_CONST;
        halves[h] = 0;
        halves[l + 2] = test & mask;
        halves[h + 2] = 0;
        halves[l + 4] = value & mask;
        halves[h + 4] = 0;
        halves[l + 6] = pcLow;
        halves[h + 6] = pcHigh;
      }
      halves[low] = count + n;
    };
    // The string area's writers, closures over locals as the integer writer is. A record is
    // its PC, then each operand's first bytes, then its header words (bytes 8..15, two
    // 32-bit stores: type, op, the lengths; the truncation bits and three zero bytes). The
    // bytes after an operand's length keep whatever an earlier record left (padding every
    // operand to 64 bytes was most of a string record's cost).
    const stringHalves = this.#stringHalves, stringBytes = this.#stringBytes;
    const stringCapacity = this.stringCapacity;
    const littleEndian = low === 0;
    const dropString = (): void => {
      this.stringDropped++;
      stringHalves[2 + low] = this.stringDropped;
    };
    /** Bytes 8..15 of a record, from its type, op and the two writeOperand results. */
    const writeHeader = (word: number, isConst: number, op: number, written1: number, written2: number): void => {
      const lengths = isConst | (op << 8) | ((written1 & 0xff) << 16) | ((written2 & 0xff) << 24);
      stringHalves[word + 2] = littleEndian ? lengths : byteSwapped(lengths);
      const truncated = (written1 >> 8) | ((written2 >> 8) << 1);
      stringHalves[word + 3] = littleEndian ? truncated : truncated << 24;
    };
    // ASCII text, the common case, is copied here, in a loop small enough to be inlined.
    /** Writes an operand's first bytes at `at`; returns their number, plus TRUNCATED if that is not all of it. */
    const writeOperand = (operand: string | Uint8Array, at: number): number => {
      if (typeof operand !== "string") return writeByteArray(stringBytes, operand, at);
      const length = operand.length;
      const limit = length < OPERAND_BYTES ? length : OPERAND_BYTES;
      for (let i = 0; i < limit; i++) {
        const code = charCodeAt(operand, i);
        if (code >= 0x80) return writeText(stringBytes, operand, at);
        stringBytes[at + i] = code;
      }
      return length > limit ? limit | TRUNCATED : limit;
    };
    const appendStrings = (pcLow: number, pcHigh: number, isConst: number, op: number, arg1: string | Uint8Array, arg2: string | Uint8Array): void => {
      const count = stringHalves[low];
      if (count >= stringCapacity || stringHalves[high] !== 0) {
        dropString();
        return;
      }
      const at = HEADER_BYTES + count * RECORD_BYTES;
      const word = at >> 2;
      stringHalves[word + low] = pcLow;
      stringHalves[word + high] = pcHigh;
      writeHeader(word, isConst, op, writeOperand(arg1, at + 16), writeOperand(arg2, at + 16 + OPERAND_BYTES));
      stringHalves[low] = count + 1;
    };
    this.#appendStrings = appendStrings;
    this.recordStrings = (pcLow, pcHigh, arg1, arg2, isConst, op) => appendStrings(pcLow, pcHigh, isConst, op, arg1, arg2);
    /**
     * A switch on a string: a record per string case other than the value (a case of another
     * type gives none against a string), as appendStrings writes each, in case order. The
     * value is encoded once, into the first record, and copied into the others a 32-bit word
     * at a time (operands start at multiples of 16; the bytes after a length are unspecified).
     */
    const appendStringSwitch = (pcLow: number, pcHigh: number, cases: readonly unknown[], value: string): void => {
      let count = stringHalves[low];
      const full = stringHalves[high] !== 0;
      let first = -1;
      let valueWritten = 0;
      for (let i = 0; i < cases.length; i++) {
        const test = cases[i];
        if (typeof test !== "string" || test === value) continue;
        if (full || count >= stringCapacity) {
          dropString();
          continue;
        }
        const at = HEADER_BYTES + count * RECORD_BYTES;
        const word = at >> 2;
        stringHalves[word + low] = pcLow;
        stringHalves[word + high] = pcHigh;
        const testWritten = writeOperand(test, at + 16);
        if (first < 0) {
          first = at;
          valueWritten = writeOperand(value, at + 16 + OPERAND_BYTES);
        } else {
          const length = valueWritten & 0xff;
          const from = (first + 16 + OPERAND_BYTES) >> 2, to = (at + 16 + OPERAND_BYTES) >> 2;
          for (let w = 0; w < length; w += 4) stringHalves[to + (w >> 2)] = stringHalves[from + (w >> 2)];
        }
        writeHeader(word, CMP_CONST, SWITCH_CASE, testWritten, valueWritten);
        count++;
      }
      if (first >= 0) stringHalves[low] = count;
    };
    this.recordSwitch = (pcLow, pcHigh, cases, value) => {
      // The two common switches, on a 32-bit integer or on a string, take their cases of
      // the same type straight to the writer; everything else goes through the dispatch.
      if (typeof value === "string") {
        appendStringSwitch(pcLow, pcHigh, cases, value);
        return;
      }
      const valueIsInt32 = typeof value === "number" && (value | 0) === value;
      for (let i = 0; i < cases.length; i++) {
        const test = cases[i];
        if (valueIsInt32 && typeof test === "number" && (test | 0) === test) appendInt32(pcLow, pcHigh, test, value, CMP_CONST);
        else this.#record(pcLow, pcHigh, test, value, CMP_CONST, SWITCH_CASE);
      }
    };
    this.record = (pcLow, pcHigh, arg1, arg2, isConst, op) => {
      if (typeof arg1 === "number" && typeof arg2 === "number" && (arg1 | 0) === arg1 && (arg2 | 0) === arg2) {
        appendInt32(pcLow, pcHigh, arg1, arg2, isConst);
      } else {
        this.#record(pcLow, pcHigh, arg1, arg2, isConst, op);
      }
    };
  }

  #drop(): void {
    this.dropped++;
    this.#stringHalves[4 + LOW_HALF] = this.dropped;
  }

  static stringAreaBytes(records: number): number {
    return HEADER_BYTES + records * RECORD_BYTES;
  }

  resetDropped(): void {
    this.dropped = 0;
    this.stringDropped = 0;
    this.#stringHalves[2 + LOW_HALF] = 0;
    this.#stringHalves[4 + LOW_HALF] = 0;
  }

  /** Records in the Linux area (word 0), Infinity if word 0 holds more than 32 bits. */
  get count(): number {
    return this.#halves[HIGH_HALF] === 0 ? this.#halves[LOW_HALF] : Infinity;
  }

  set count(value: number) {
    this.#halves[HIGH_HALF] = 0;
    atomicStore(this.#halves, LOW_HALF, value);
  }

  get stringCount(): number {
    return this.#stringHalves[HIGH_HALF] === 0 ? this.#stringHalves[LOW_HALF] : Infinity;
  }

  set stringCount(value: number) {
    this.#stringHalves[HIGH_HALF] = 0;
    this.#stringHalves[LOW_HALF] = value;
  }

  #record(pcLow: number, pcHigh: number, arg1: unknown, arg2: unknown, isConst: number, op: number): void {
    if (op === SWITCH_CASE && isArray(arg1)) {
      this.recordSwitch(pcLow, pcHigh, arg1, arg2);
      return;
    }
    const type1 = typeof arg1;
    const type2 = typeof arg2;
    // Most frequent first: numbers, strings. Objects are recorded only as byte arrays in a
    // method call, so an operator between objects costs two typeof checks.
    if (type1 === "number" && type2 === "number") {
      const a = arg1 as number, b = arg2 as number;
      if (isTraceableInteger(a) && isTraceableInteger(b)) {
        const widthA = widthLog2(a), widthB = widthLog2(b);
        this.#appendNumbers(pcLow, pcHigh, isConst, widthA > widthB ? widthA : widthB, a, b);
      }
    } else if (type1 === "string" && type2 === "string") {
      // Equal strings teach a fuzzer nothing: libFuzzer's strcmp/memcmp hooks return early too.
      if (arg1 !== arg2) this.#appendStrings(pcLow, pcHigh, isConst, op, arg1 as string, arg2 as string);
    } else if (type1 === "bigint" || type2 === "bigint") {
      const a = type1 === "bigint" ? arg1 as bigint : type1 === "number" && isTraceableInteger(arg1 as number) ? toBigInt(arg1 as number) : undefined;
      const b = type2 === "bigint" ? arg2 as bigint : type2 === "number" && isTraceableInteger(arg2 as number) ? toBigInt(arg2 as number) : undefined;
      if (a !== undefined && b !== undefined) this.#bigints(pcLow, pcHigh, isConst, a, b);
    } else if (op >= 2 && (type1 === "object" || type1 === "string") && (type2 === "object" || type2 === "string")) {
      const bytes1 = type1 === "string" ? arg1 as string : byteArray(arg1);
      const bytes2 = type2 === "string" ? arg2 as string : byteArray(arg2);
      if (bytes1 !== undefined && bytes2 !== undefined) this.#appendStrings(pcLow, pcHigh, isConst, op, bytes1, bytes2);
    }
  }

  #bigints(pcLow: number, pcHigh: number, isConst: number, a: bigint, b: bigint): void {
    if (!isTraceableBigInt(a) || !isTraceableBigInt(b)) return;
    const widthA = bigintWidthLog2(a), widthB = bigintWidthLog2(b);
    const width = widthA > widthB ? widthA : widthB;
    // Two's complement truncated to the width, as for numbers; as numbers, halves of it are exact.
    const bits = 8 << width;
    const a64 = asUintN(bits, a), b64 = asUintN(bits, b);
    this.#append(pcLow, pcHigh, isConst, width,
      toNumber(a64 & 0xffffffffn), toNumber(a64 >> 32n), toNumber(b64 & 0xffffffffn), toNumber(b64 >> 32n));
  }

  #appendNumbers(pcLow: number, pcHigh: number, isConst: number, width: number, a: number, b: number): void {
    if (width < 3) {
      const mask = width === 0 ? 0xff : width === 1 ? 0xffff : 0xffffffff;
      this.#append(pcLow, pcHigh, isConst, width, (a & mask) >>> 0, 0, (b & mask) >>> 0, 0);
      return;
    }
    // Exact for every integer double in [-2^63, 2^64): remainders and divisions by 2^32 only shift.
    const aLow = lowWord(a), bLow = lowWord(b);
    this.#append(pcLow, pcHigh, isConst, 3, aLow, ((a - aLow) / TWO_32) >>> 0, bLow, ((b - bLow) / TWO_32) >>> 0);
  }

  #append(pcLow: number, pcHigh: number, isConst: number, width: number,
    a1Low: number, a1High: number, a2Low: number, a2High: number): void {
    const halves = this.#halves;
    const count = this.count;
    if (count >= this.capacity) {
      this.#drop();
      return;
    }
    const at = (1 + 4 * count) * 2;
    halves[at + LOW_HALF] = (width << 1) | isConst;
    halves[at + HIGH_HALF] = 0;
    halves[at + 2 + LOW_HALF] = a1Low;
    halves[at + 2 + HIGH_HALF] = a1High;
    halves[at + 4 + LOW_HALF] = a2Low;
    halves[at + 4 + HIGH_HALF] = a2High;
    halves[at + 6 + LOW_HALF] = pcLow;
    halves[at + 6 + HIGH_HALF] = pcHigh;
    this.count = count + 1;
  }


}
