// KCOV_TRACE_CMP end to end: code instrumented with traceCmp, a device enabled for it, and
// the exact words of the Linux comparison area and bytes of the string area
// (docs/compare-area.md).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kcov, KCOV_TRACE_CMP, KCOV_TRACE_PC, symbolize } from "../runtime";
import { instrument, loadCommonJs } from "./helpers/instrument";
import { resetRealm } from "./runtime-helpers";

const SOURCE = `
exports.eq = function (a, b) { return a === b; };
exports.lt = function (a, b) { return a < b; };
exports.magic = function (x) { return x === 0xCAFEBABE; };
exports.tenBelow = function (x) { return 10 < x; };
exports.belowMinus2 = function (x) { return x < -2; };
exports.kind = function (x, y) {
  switch (x) { case 1: return "one"; case 300: return "big"; case "a": return "a"; case y: return "y"; }
  return "none";
};
exports.zip = function (s) { return s.startsWith("PK"); };
exports.same = function (buf, magic) { return buf.equals(magic); };
`;

const CONST = 1n;
const size = (log2: number): bigint => BigInt(log2 << 1);

let lib: Record<string, (...args: unknown[]) => unknown>;
let pcs: bigint[];
const devices: Kcov[] = [];

function cmpDevice(words = 64, options: ConstructorParameters<typeof Kcov>[0] = {}): { kcov: Kcov; area: BigUint64Array } {
  const kcov = new Kcov(options);
  devices.push(kcov);
  kcov.initTrace(words);
  const area = kcov.mmap();
  kcov.enable(KCOV_TRACE_CMP);
  return { kcov, area };
}

/** The records in the area, as [type, arg1, arg2, pc] each. */
function records(area: BigUint64Array): bigint[][] {
  const out: bigint[][] = [];
  for (let i = 0; i < Number(area[0]); i++) out.push([...area.subarray(1 + 4 * i, 5 + 4 * i)]);
  return out;
}

beforeAll(() => {
  resetRealm();
  const { code, metadata } = instrument(SOURCE, path.join(__dirname, "compare-area-input.js"), { traceCmp: true });
  lib = loadCommonJs(code);
  pcs = metadata.compares!.map((site) => site.pc);
});
afterEach(() => {
  for (const kcov of devices.splice(0)) kcov.close();
});

test("the sites are the comparisons, in source order, each with its own PC", () => {
  expect(new Set(pcs).size).toBe(pcs.length);
  expect(pcs.length).toBe(8);
});

test("integers of each width, as two's complement truncated to the width both fit", () => {
  const { area } = cmpDevice();
  lib.eq(1, 2);
  lib.eq(300, 1);
  lib.eq(70000, 1);
  lib.eq(2 ** 40, 1);
  lib.eq(-1, 5);
  lib.eq(-1, 70000);
  lib.eq(-(2 ** 40), 0);
  lib.lt(0xcafebabe, 255);
  lib.lt(-128, 255);
  lib.lt(-129, 0);
  lib.eq(2 ** 63, -(2 ** 63));
  const pc = pcs[0];
  expect(records(area)).toEqual([
    [size(0), 1n, 2n, pc],
    [size(1), 300n, 1n, pc],
    [size(2), 70000n, 1n, pc],
    [size(3), 2n ** 40n, 1n, pc],
    [size(0), 0xffn, 5n, pc],
    [size(2), 0xffffffffn, 70000n, pc],
    [size(3), 0xffffff0000000000n, 0n, pc],
    [size(2), 0xcafebaben, 255n, pcs[1]],
    [size(0), 0x80n, 0xffn, pcs[1]],
    [size(1), 0xff7fn, 0n, pcs[1]],
    [size(3), 0x8000000000000000n, 0x8000000000000000n, pc],
  ]);
});

test("a constant goes in arg1 with KCOV_CMP_CONST, on either side", () => {
  const { area } = cmpDevice();
  lib.magic(0x1234);
  lib.tenBelow(3);
  lib.belowMinus2(7);
  expect(records(area)).toEqual([
    [CONST | size(2), 0xcafebaben, 0x1234n, pcs[2]],
    [CONST | size(0), 10n, 3n, pcs[3]],
    [CONST | size(0), 0xfen, 7n, pcs[4]],
  ]);
});

test("a switch gives one record per constant case, the case in arg1, the value switched on in arg2", () => {
  const { area } = cmpDevice();
  expect(lib.kind(5, 9)).toBe("none");
  // "a" against a number is no integer comparison; `case y` is not a constant and not traced.
  expect(records(area)).toEqual([
    [CONST | size(0), 1n, 5n, pcs[5]],
    [CONST | size(1), 300n, 5n, pcs[5]],
  ]);
});

test("a BigInt record calls none of BigInt, BigInt.asUintN and Number, even when the program has replaced them", () => {
  const { area } = cmpDevice();
  const originals = { BigInt: globalThis.BigInt, asUintN: BigInt.asUintN, Number: globalThis.Number };
  const called: string[] = [];
  const g = globalThis as Record<string, unknown>;
  try {
    BigInt.asUintN = () => { called.push("asUintN"); return 0n; };
    g.BigInt = () => { called.push("BigInt"); return 0n; };
    g.Number = () => { called.push("Number"); return 0; };
    lib.eq(5n, 6n);
    lib.eq(1n, 70000);
    lib.eq(-1n, 2n ** 63n);
  } finally {
    g.BigInt = originals.BigInt;
    BigInt.asUintN = originals.asUintN;
    g.Number = originals.Number;
  }
  expect(called).toEqual([]);
  expect(records(area)).toEqual([
    [size(0), 5n, 6n, pcs[0]],
    [size(2), 1n, 70000n, pcs[0]],
    [size(3), 0xffffffffffffffffn, 0x8000000000000000n, pcs[0]],
  ]);
});

test("BigInts, -0 and mixed BigInt/number are integers; fractions, NaN, Infinity, huge values, booleans and objects give nothing", () => {
  const { area } = cmpDevice();
  lib.eq(5n, 6n);
  lib.eq(-0, 3);
  lib.eq(1n, 70000);
  lib.eq(-1n, 2n ** 63n);
  lib.eq(1.5, 1);
  lib.eq(NaN, 1);
  lib.eq(Infinity, 1);
  lib.eq(2 ** 64, 1);
  lib.eq(2n ** 64n, 1n);
  lib.eq(true, 1);
  lib.eq({ valueOf: () => 1 }, 1);
  lib.eq("1", 1);
  const pc = pcs[0];
  expect(records(area)).toEqual([
    [size(0), 5n, 6n, pc],
    [size(0), 0n, 3n, pc],
    [size(2), 1n, 70000n, pc],
    [size(3), 0xffffffffffffffffn, 0x8000000000000000n, pc],
  ]);
});

test("a record that does not fit is dropped whole and counted; a reset by the consumer is honoured", () => {
  const { kcov, area } = cmpDevice(1 + 4 * 2 + 3); // room for two records and three spare words
  const strings = kcov.mmapStrings();
  lib.eq(1, 2);
  lib.eq(3, 4);
  lib.eq(5, 6);
  lib.eq(7, 8);
  expect(records(area).map((r) => r[1])).toEqual([1n, 3n]);
  expect([...area.subarray(9)]).toEqual([0n, 0n, 0n]);
  expect(kcov.droppedComparisons).toBe(2);
  expect(new DataView(strings.buffer).getBigUint64(16, true)).toBe(2n);
  area[0] = 0n;
  lib.eq(9, 10);
  expect(records(area)).toEqual([[size(0), 9n, 10n, pcs[0]]]);
});

test("nothing is recorded without an enabled TRACE_CMP device, or after disable", () => {
  const { kcov, area } = cmpDevice();
  kcov.disable();
  lib.eq(1, 2);
  expect(area[0]).toBe(0n);
  kcov.enable(KCOV_TRACE_CMP);
  lib.eq(1, 2);
  kcov.close();
  lib.eq(3, 4);
  expect(records(area)).toEqual([[size(0), 1n, 2n, pcs[0]]]);
});

test("a TRACE_PC device and a TRACE_CMP device work at the same time", () => {
  const cover = new Kcov();
  devices.push(cover);
  cover.initTrace(256);
  const pcArea = cover.mmap();
  cover.enable(KCOV_TRACE_PC);
  const { area } = cmpDevice();
  lib.magic(7);
  expect(cover.collect()).toBeGreaterThan(0);
  expect(Number(pcArea[0])).toBeGreaterThan(0);
  expect(records(area)).toEqual([[CONST | size(2), 0xcafebaben, 7n, pcs[2]]]);
});

/** One string-area record, decoded from its bytes. */
function stringRecord(bytes: Uint8Array, index: number) {
  const at = 32 + 144 * index;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const operand = (from: number, length: number) => Buffer.from(bytes.subarray(from, from + length)).toString("latin1");
  return {
    pc: view.getBigUint64(at, true), type: bytes[at + 8], op: bytes[at + 9], truncated: bytes[at + 12],
    arg1: operand(at + 16, bytes[at + 10]), arg2: operand(at + 80, bytes[at + 11]),
  };
}

test("strings go to the string area: exact header and record bytes", () => {
  const { kcov } = cmpDevice();
  const strings = kcov.mmapStrings();
  expect(lib.zip("PKzip")).toBe(true);
  expect(lib.eq("abc", "abd")).toBe(false);
  expect(lib.kind("b", 0)).toBe("none");
  expect(lib.eq("same", "same")).toBe(true); // equal strings give no record
  const long = "x".repeat(70);
  lib.lt(long, "é");
  const header = new DataView(strings.buffer);
  expect([0, 8, 16, 24].map((at) => header.getBigUint64(at, true))).toEqual([4n, 0n, 0n, 144n]);
  expect(stringRecord(strings, 0)).toEqual({ pc: pcs[6], type: 1, op: 2, truncated: 0, arg1: "PK", arg2: "PKzip" });
  expect(stringRecord(strings, 1)).toEqual({ pc: pcs[0], type: 0, op: 0, truncated: 0, arg1: "abc", arg2: "abd" });
  expect(stringRecord(strings, 2)).toEqual({ pc: pcs[5], type: 1, op: 1, truncated: 0, arg1: "a", arg2: "b" });
  // UTF-8, 64 bytes at most, with the truncation flag.
  expect(stringRecord(strings, 3)).toEqual({ pc: pcs[1], type: 0, op: 0, truncated: 1, arg1: "x".repeat(64), arg2: "\xc3\xa9" });
  // At the byte level, the first record's header and operand 1 exactly.
  expect([...strings.subarray(32, 32 + 18)]).toEqual([
    ...Buffer.from(new BigUint64Array([pcs[6]]).buffer), 1, 2, 2, 5, 0, 0, 0, 0, 0x50, 0x4b]);
});

test("byte arrays (Buffer) in traced method calls", () => {
  const { kcov } = cmpDevice();
  const strings = kcov.mmapStrings();
  expect(lib.same(Buffer.from([0x4d, 0x5a, 0x90]), Buffer.from("ELF"))).toBe(false);
  expect(stringRecord(strings, 0)).toEqual({ pc: pcs[7], type: 0, op: 7, truncated: 0, arg1: "ELF", arg2: "MZ\x90" });
});

test("with { file }, collect() copies both areas into files; a reader's reset moves new records down", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcov-cmp-"));
  try {
    const file = path.join(dir, "cmp");
    const { kcov, area } = cmpDevice(64, { file });
    lib.eq(1, 2);
    lib.zip("PX");
    expect(kcov.collect()).toBe(1);
    const fileWords = () => new BigUint64Array(new Uint8Array(fs.readFileSync(file)).buffer);
    expect([...fileWords().subarray(0, 5)]).toEqual([1n, size(0), 1n, 2n, pcs[0]]);
    const stringFile = fs.readFileSync(`${file}.strings`);
    expect(stringFile.readBigUInt64LE(0)).toBe(1n);
    expect(stringFile.readBigUInt64LE(24)).toBe(144n);
    expect(stringFile.subarray(32 + 80, 32 + 82).toString()).toBe("PX");

    // The reader resets the file's count, then the target runs again.
    const fd = fs.openSync(file, "r+");
    fs.writeSync(fd, Buffer.alloc(8), 0, 8, 0);
    fs.closeSync(fd);
    lib.eq(3, 4);
    expect(kcov.collect()).toBe(1);
    expect([...fileWords().subarray(0, 5)]).toEqual([1n, size(0), 3n, 4n, pcs[0]]);
    expect(records(area)).toEqual([[size(0), 3n, 4n, pcs[0]]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("symbolize names a comparison site", () => {
  expect(symbolize(pcs[2])).toMatchObject({ kind: "compare:===", functionName: "exports.magic", start: { line: 4 } });
  expect(symbolize(pcs[6])).toMatchObject({ kind: "compare:startsWith", start: { line: 11 } });
});
