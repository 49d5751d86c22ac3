// The recorder against an independent model of docs/compare-area.md: for any operands
// (32-bit integers, which take the recorder's fast path, and everything else, which takes
// the general one: -0, NaN, fractions, integers past 2^53 and 2^64, BigInts, strings past
// the 64-byte bound, non-ASCII text, lone surrogates, booleans, null, objects), the exact
// words of the Linux area and the defined bytes of the string area.
import * as path from "node:path";
import * as vm from "node:vm";
import fc from "fast-check";
import { CompareArea, COMPARE_HOOKS_KEY, installRecorders, type CompareHooks } from "../runtime/compare-area";
import { instrument } from "./helpers/instrument";

const RECORDS = 256;
const SWITCH_CASE = 1;

type Operand = unknown;
interface Comparison { pc: bigint; a: Operand; b: Operand; isConst: number; op: number }
type Expected = { kind: "int"; words: bigint[] } | { kind: "string"; pc: bigint; type: number; op: number; bytes1: number[]; bytes2: number[]; truncated: number };

/** The operand as a 64-bit-range integer (BigInt), or undefined if it is not one. */
function integer(x: Operand): bigint | undefined {
  if (typeof x === "bigint") return x >= -(2n ** 63n) && x < 2n ** 64n ? x : undefined;
  if (typeof x === "number" && Number.isInteger(x)) return integer(BigInt(x));
  return undefined;
}

function widthLog2(x: bigint): number {
  for (let log2 = 0; log2 < 3; log2++) {
    const bits = 8n << BigInt(log2);
    if (x >= -(1n << (bits - 1n)) && x < 1n << bits) return log2;
  }
  return 3;
}

/** UTF-8 of whole characters (a lone surrogate is EF BF BD), at most 64 bytes. */
function utf8Prefix(text: string): { bytes: number[]; truncated: number } {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const encoded = [...Buffer.from(code >= 0xd800 && code <= 0xdfff ? "\ufffd" : char, "utf8")];
    if (bytes.length + encoded.length > 64) return { bytes, truncated: 1 };
    bytes.push(...encoded);
  }
  return { bytes, truncated: 0 };
}

function expected({ pc, a, b, isConst, op }: Comparison): Expected[] {
  if (op === SWITCH_CASE && Array.isArray(a)) return a.flatMap((test) => expected({ pc, a: test, b, isConst: 1, op }));
  const x = integer(a), y = integer(b);
  if (x !== undefined && y !== undefined && (typeof a === "bigint" || typeof b === "bigint" || (typeof a === "number" && typeof b === "number"))) {
    const log2 = Math.max(widthLog2(x), widthLog2(y));
    const bits = 8 << log2;
    return [{ kind: "int", words: [BigInt((log2 << 1) | isConst), BigInt.asUintN(bits, x), BigInt.asUintN(bits, y), pc] }];
  }
  if (typeof a === "string" && typeof b === "string" && a !== b) {
    const one = utf8Prefix(a), two = utf8Prefix(b);
    return [{ kind: "string", pc, type: isConst, op, bytes1: one.bytes, bytes2: two.bytes, truncated: one.truncated | (two.truncated << 1) }];
  }
  return [];
}

function actual(area: CompareArea): Expected[] {
  const words = new BigUint64Array(area.buffer);
  const bytes = new Uint8Array(area.stringBuffer);
  const view = new DataView(area.stringBuffer);
  const ints: Expected[] = [];
  for (let i = 0; i < Number(words[0]); i++) ints.push({ kind: "int", words: [...words.subarray(1 + 4 * i, 5 + 4 * i)] });
  const strings: Expected[] = [];
  for (let i = 0; i < Number(view.getBigUint64(0, true)); i++) {
    const at = 32 + 144 * i;
    expect([...bytes.subarray(at + 13, at + 16)]).toEqual([0, 0, 0]);
    strings.push({
      kind: "string", pc: view.getBigUint64(at, true), type: bytes[at + 8], op: bytes[at + 9],
      bytes1: [...bytes.subarray(at + 16, at + 16 + bytes[at + 10])], bytes2: [...bytes.subarray(at + 80, at + 80 + bytes[at + 11])],
      truncated: bytes[at + 12],
    });
  }
  return [...ints, ...strings];
}

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const edgeNumbers = fc.constantFrom(0, -0, -1, 127, 128, 255, 256, -128, -129, 65535, 65536, -32769, 2 ** 31, 2 ** 32 - 1, 2 ** 32,
  -(2 ** 31) - 1, 2 ** 53, 2 ** 63, -(2 ** 63), 2 ** 64, -(2 ** 63) * 2, 0.5, -1.5, NaN, Infinity, -Infinity);
const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ minLength: 60, maxLength: 70 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("(", "this", "a".repeat(64), "é".repeat(32), "x".repeat(63) + "é", "\ud800", "PK"),
);
const operand: fc.Arbitrary<Operand> = fc.oneof(
  int32, int32, edgeNumbers, fc.double(), fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 65n }), text, text,
  fc.constantFrom(true, null, undefined, {}, [1]),
);
const comparison: fc.Arbitrary<Comparison> = fc.record({
  pc: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  a: operand, b: operand, isConst: fc.constantFrom(0, 1), op: fc.constantFrom(0, 0, 2, 4),
});
const switchCases: fc.Arbitrary<Comparison> = fc.record({
  pc: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  a: fc.array(operand, { minLength: 1, maxLength: 6 }), b: operand, isConst: fc.constant(1), op: fc.constant(SWITCH_CASE),
});

test("every record, through the fast path or the general one, is what the model says", () => {
  fc.assert(fc.property(fc.array(fc.oneof(comparison, comparison, switchCases), { maxLength: 12 }), (comparisons) => {
    const area = new CompareArea(new SharedArrayBuffer(8 * (1 + 4 * RECORDS)), new SharedArrayBuffer(CompareArea.stringAreaBytes(RECORDS)));
    // Stale bytes everywhere a record goes: each must write all of its header.
    new Uint8Array(area.stringBuffer).fill(0xff, 32);
    for (const c of comparisons) area.record(Number(c.pc & 0xffffffffn), Number(c.pc >> 32n), c.a, c.b, c.isConst, c.op);
    const all = comparisons.flatMap(expected);
    expect(actual(area)).toEqual([...all.filter((r) => r.kind === "int"), ...all.filter((r) => r.kind === "string")]);
    expect(area.dropped + area.stringDropped).toBe(0);
  }), { numRuns: 400 });
});

test("a switch on a string gives the records of its string cases one by one, whatever came before in the area", () => {
  const area = new CompareArea(new SharedArrayBuffer(8 * (1 + 4 * RECORDS)), new SharedArrayBuffer(CompareArea.stringAreaBytes(RECORDS)));
  const cases = ["break", 7, "é".repeat(40), "do", 1n];
  // A long record first, so that stale bytes sit where the shorter ones go.
  area.record(1, 0, "z".repeat(70), "y".repeat(70), 0, 0);
  area.record(2, 0, cases, "do", 1, SWITCH_CASE);
  area.record(3, 0, cases, "dé", 1, SWITCH_CASE);
  const records = actual(area);
  const pcs = records.map((r) => (r.kind === "string" ? r.pc : -1n));
  expect(pcs).toEqual([1n, 2n, 2n, 3n, 3n, 3n]);
  expect(records.slice(1)).toEqual([
    expected({ pc: 2n, a: "break", b: "do", isConst: 1, op: SWITCH_CASE })[0],
    expected({ pc: 2n, a: "é".repeat(40), b: "do", isConst: 1, op: SWITCH_CASE })[0],
    expected({ pc: 3n, a: "break", b: "dé", isConst: 1, op: SWITCH_CASE })[0],
    expected({ pc: 3n, a: "é".repeat(40), b: "dé", isConst: 1, op: SWITCH_CASE })[0],
    expected({ pc: 3n, a: "do", b: "dé", isConst: 1, op: SWITCH_CASE })[0],
  ]);
  expect((records[2] as { truncated: number }).truncated).toBe(1);
});

// The hooks an instrumented file calls, as its prelude defines them, against the same
// model: each hook checks its operand types itself and calls the recorder for them, so
// every hook must give exactly the records `record` gives for its operands, through the
// specialised recorders a device installs and through the prelude's own ones that pass
// everything on to `record` (hooks object holding only `record`).

type Hooks = Record<string, (...args: unknown[]) => unknown>;

const { code: instrumentedFile } = instrument("module.exports = function (x) { switch (x) { case 1: return x === 2; } };",
  path.join(__dirname, "model-hooks.js"), { traceCmp: true });

/** A fresh realm whose hooks object is `hooks`, after an instrumented file has loaded there. */
function preludeHooks(hooks: CompareHooks): Hooks {
  const code = instrumentedFile;
  const context = vm.createContext({});
  (context as Record<symbol, unknown>)[COMPARE_HOOKS_KEY] = hooks;
  vm.runInContext(`(function (module, exports) {${code}\n})`, context)({ exports: {} }, {});
  return hooks as unknown as Hooks;
}

interface HookCall { hook: string; pc: bigint; args: unknown[]; returns: number; records: Comparison[] }

const pc = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const int32Constant = fc.oneof(int32, fc.constantFrom(0, -0, -1, 255, 256, -129, 65536, 2 ** 31 - 1, -(2 ** 31)));
/** Each hook, with the operands a site of its kind can give it, what it returns and the records it must make. */
const hookCall: fc.Arbitrary<HookCall> = fc.oneof(
  fc.tuple(pc, operand, operand).map(([pc, a, b]) => ({ hook: "l", pc, args: [a, b], returns: 0, records: [{ pc, a, b, isConst: 0, op: 0 }] })),
  fc.tuple(pc, operand, operand).map(([pc, a, b]) => ({ hook: "p", pc, args: [a, b], returns: 0, records: [{ pc, a, b, isConst: 0, op: 0 }] })),
  fc.tuple(pc, operand, operand).map(([pc, a, b]) => ({ hook: "q", pc, args: [a, b], returns: 1, records: [{ pc, a, b, isConst: 0, op: 0 }] })),
  fc.tuple(pc, operand, int32Constant).map(([pc, x, k]) => ({ hook: "ki", pc, args: [x, k], returns: 0, records: [{ pc, a: k, b: x, isConst: 1, op: 0 }] })),
  fc.tuple(pc, operand, text).map(([pc, x, k]) => ({ hook: "ks", pc, args: [x, k], returns: 0, records: [{ pc, a: k, b: x, isConst: 1, op: 0 }] })),
  fc.tuple(pc, operand, operand).map(([pc, a, k]) => ({ hook: "k", pc, args: [a, k], returns: 0, records: [{ pc, a: k, b: a, isConst: 1, op: 0 }] })),
  fc.tuple(pc, operand, operand).map(([pc, k, b]) => ({ hook: "j", pc, args: [k, b], returns: 1, records: [{ pc, a: k, b, isConst: 1, op: 0 }] })),
  fc.tuple(pc, fc.oneof(operand, text), fc.array(fc.oneof(operand, text), { minLength: 1, maxLength: 6 })).map(([pc, d, cases]) => (
    { hook: "s", pc, args: [d, cases], returns: 0, records: [{ pc, a: cases, b: d, isConst: 1, op: SWITCH_CASE }] })),
  fc.tuple(pc, fc.oneof(operand, int32), fc.array(int32Constant, { minLength: 1, maxLength: 6 })).map(([pc, d, cases]) => (
    { hook: "si", pc, args: [d, cases], returns: 0, records: [{ pc, a: cases, b: d, isConst: 1, op: SWITCH_CASE }] })),
  fc.tuple(pc, fc.constantFrom(2, 3, 4, 5, 6), operand, operand, fc.constantFrom(0, 1)).map(([pc, op, self, a, isConst]) => (
    { hook: "m", pc, args: [op, self, a, isConst], returns: 2, records: [{ pc, a, b: self, isConst, op }] })),
);

describe.each([
  ["the recorders a device installs", (area: CompareArea): CompareHooks => {
    const hooks: CompareHooks = { record: null };
    installRecorders(hooks, area);
    return hooks;
  }],
  ["only `record` set, the prelude's recorders passing records on to it", (area: CompareArea): CompareHooks => ({ record: area.record })],
])("the prelude's hooks, with %s", (_, hooksFor) => {
  test("each hook returns its operand and makes exactly the model's records", () => {
    fc.assert(fc.property(fc.array(hookCall, { maxLength: 12 }), (calls) => {
      const area = new CompareArea(new SharedArrayBuffer(8 * (1 + 4 * RECORDS)), new SharedArrayBuffer(CompareArea.stringAreaBytes(RECORDS)));
      const hooks = preludeHooks(hooksFor(area));
      for (const call of calls) {
        const returned = hooks[call.hook](Number(call.pc & 0xffffffffn), Number(call.pc >> 32n), ...call.args);
        expect(Object.is(returned, call.args[call.returns])).toBe(true);
        if (call.hook === "l") expect(Object.is(hooks.r(), call.args[1])).toBe(true);
      }
      const all = calls.flatMap((call) => call.records.flatMap(expected));
      expect(actual(area)).toEqual([...all.filter((r) => r.kind === "int"), ...all.filter((r) => r.kind === "string")]);
      expect(area.dropped + area.stringDropped).toBe(0);
    }), { numRuns: 200 });
  });
});

test("a switch of 32-bit cases that does not fit whole writes the cases that fit, and drops the rest one by one", () => {
  const area = new CompareArea(new SharedArrayBuffer(8 * (1 + 4 * 4)), new SharedArrayBuffer(CompareArea.stringAreaBytes(1)));
  area.recordInt32(9, 0, 1, 2, 0);
  area.recordSwitchInt32(7, 1, [300, -1, 70000, 5], 4);
  expect(actual(area)).toEqual([
    ...expected({ pc: 9n, a: 1, b: 2, isConst: 0, op: 0 }),
    ...expected({ pc: 7n | (1n << 32n), a: [300, -1, 70000], b: 4, isConst: 1, op: SWITCH_CASE }),
  ]);
  expect(area.dropped).toBe(1);
});

test("a switch on a string that does not fit whole writes the cases that fit, and drops the rest one by one", () => {
  const area = new CompareArea(new SharedArrayBuffer(8 * (1 + 4 * 4)), new SharedArrayBuffer(CompareArea.stringAreaBytes(3)));
  area.recordStrings(9, 0, "a", "b", 0, 0);
  const value = "v".repeat(70); // truncated: the copies of the first record's operand keep its flag
  area.recordSwitch(7, 1, ["x", 3, value, "é", "yy"], value);
  expect(actual(area)).toEqual([
    ...expected({ pc: 9n, a: "a", b: "b", isConst: 0, op: 0 }),
    ...expected({ pc: 7n | (1n << 32n), a: ["x", "é"], b: value, isConst: 1, op: SWITCH_CASE }),
  ]);
  expect(area.stringDropped).toBe(1);
  expect(new DataView(area.stringBuffer).getBigUint64(8, true)).toBe(1n);
});
