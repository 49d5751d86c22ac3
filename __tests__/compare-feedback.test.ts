// The engine's comparison feedback (fuzz/engine/compare-feedback.ts): after one execution of
// a target built with traceCmp, the table's pairs turn the input into one that passes the
// comparison, for the magic-value shapes of bench/magic: a 4-byte magic, a string keyword,
// a length field and a checksum field.
import * as path from "node:path";
import { CompareFeedback, CompareTable, findFrom, tokenFromPair, type RandomSource } from "../fuzz/engine/compare-feedback";
import { instrument, loadCommonJs } from "./helpers/instrument";
import { resetRealm } from "./runtime-helpers";

const TARGETS = `
exports.magic = (data) => data.length >= 4 && data.readUInt32BE(0) === 0xCAFEBABE;
exports.keyword = (data) => { const text = data.toString("latin1"); return text.slice(2, 9) === "fuzzing"; };
exports.lengthField = (data) => data.length >= 2 && data.readUInt16LE(0) === data.length;
exports.checksum = (data) => {
  if (data.length < 8) return false;
  let sum = 0;
  for (let i = 4; i < data.length; i++) sum = (sum + data[i] * (i + 1)) >>> 0;
  return data.readUInt32LE(0) === sum;
};
`;

/** A deterministic stand-in for the engine's generator. */
function sequence(seed: number): RandomSource {
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
  return { below: (n) => (n <= 0 ? 0 : next() % n), coin: () => (next() & 0x10000) !== 0 };
}

let targets: Record<string, (data: Buffer) => boolean>;
let feedback: CompareFeedback;

beforeAll(() => {
  resetRealm();
  targets = loadCommonJs(instrument(TARGETS, path.join(__dirname, "compare-feedback-input.js"), { traceCmp: true }).code);
});
// A stage of its own per test: pending replacements belong to the input traced last.
beforeEach(() => (feedback = new CompareFeedback()));
afterEach(() => feedback.close());

/** Runs the comparison stage's inputs for `input` (its traced run first) until `target` passes; how many it took, or -1. */
function runStage(target: (data: Buffer) => boolean, input: Buffer, limit: number): number {
  const out = Buffer.alloc(4096);
  for (let run = 1; run <= limit; run++) {
    const size = feedback.nextInput(input, out, out.length);
    if (size < 0) return -1;
    const passed = target(out.subarray(0, size));
    feedback.afterExecution();
    if (passed) return run;
  }
  return -1;
}

test.each([
  ["magic", Buffer.from("\x00\x01\x02\x03rest", "latin1")],
  ["keyword", Buffer.from("..abcdefg..", "latin1")],
  ["lengthField", Buffer.from("\x07\x00abcdefghij", "latin1")],
  ["checksum", Buffer.from("\x00\x00\x00\x00payload!", "latin1")],
])("the comparison stage of %s: a traced run, then the replacement that passes its comparison", (name, input) => {
  const target = targets[name];
  const out = Buffer.alloc(4096);
  // The first input the stage makes of an input it has not traced is that input, traced.
  const size = feedback.nextInput(input, out, out.length);
  expect(out.subarray(0, size)).toEqual(input);
  expect(target(out.subarray(0, size))).toBe(false);
  feedback.afterExecution();
  expect(runStage(target, input, 48)).toBeGreaterThan(0);
});

test("outside a traced run nothing is recorded; an input is traced once, a new array with its bytes again", () => {
  const input = Buffer.from("\x00\x01\x02\x03", "latin1");
  expect(targets.magic(input)).toBe(false);
  feedback.afterExecution();
  expect(feedback.table.size).toBe(0);
  const out = Buffer.alloc(64);
  expect(feedback.nextInput(input, out, 64)).toBe(4);
  targets.magic(out.subarray(0, 4));
  feedback.afterExecution();
  expect(feedback.table.size).toBeGreaterThan(0);
  // Its replacements run next; once they are done, the same array is not traced again.
  let size;
  const made: string[] = [];
  while ((size = feedback.nextInput(input, out, 64)) >= 0) {
    made.push(out.subarray(0, size).toString("hex"));
    feedback.afterExecution();
  }
  expect(made).toContain("cafebabe");
  expect(feedback.nextInput(Buffer.from(input), out, 64)).toBe(4);
});

test("without an execution there is nothing to offer; equal operands are not kept", () => {
  const table = new CompareTable();
  expect(table.pick(sequence(2))).toBeUndefined();
  table.add(1, { a: Uint8Array.of(1, 2), b: Uint8Array.of(1, 2), constant: false });
  expect(table.size).toBe(0);
});

test("input-to-state: the other operand is written where the input holds one; else the constant is a token", () => {
  const pair = { a: Uint8Array.of(0xca, 0xfe), b: Uint8Array.of(0x01, 0x02), constant: true };
  const random = sequence(3);
  expect(tokenFromPair(pair, Uint8Array.of(9, 0x01, 0x02, 9), random)).toEqual({ token: pair.a, at: 1 });
  expect(tokenFromPair(pair, Uint8Array.of(9, 9, 9), random)).toEqual(pair.a);
});

test("findFrom: the first occurrence at or after the start, wrapping around, as a scan of every position from the start finds it", () => {
  /** The definition: each position from start % (last + 1) on, wrapping, checked byte by byte. */
  const scan = (haystack: Uint8Array, needle: Uint8Array, start: number): number => {
    const last = haystack.length - needle.length;
    if (needle.length === 0 || last < 0) return -1;
    for (let tried = 0; tried <= last; tried++) {
      const at = (start + tried) % (last + 1);
      if (needle.every((byte, i) => haystack[at + i] === byte)) return at;
    }
    return -1;
  };
  let state = 12345;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  // Small alphabets, so that needles occur several times, overlap and straddle the start.
  let found = 0;
  for (let round = 0; round < 3000; round++) {
    const alphabet = 1 + next(4);
    const haystack = Uint8Array.from({ length: next(24) }, () => next(alphabet));
    const needle = Uint8Array.from({ length: next(5) }, () => next(alphabet));
    const start = next(haystack.length + 3);
    const expected = scan(haystack, needle, start);
    expect([round, findFrom(haystack, needle, start)]).toEqual([round, expected]);
    if (expected >= 0) found++;
  }
  expect(found).toBeGreaterThan(1000);
  // A match that straddles the start is found from the start, not before it.
  expect(findFrom(Uint8Array.of(1, 2, 1, 2, 1), Uint8Array.of(1, 2), 1)).toBe(2);
  expect(findFrom(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2), 2)).toBe(0);
});
