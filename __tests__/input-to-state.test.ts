// Input-to-state replacements (fuzz/engine/input-to-state.ts): where an input holds one
// operand of a comparison in one of the encodings programs read values in, the other
// operand is written there in the same encoding.
import { applyReplacement, inputToStateReplacements, type ComparedOperands } from "../fuzz/engine/input-to-state";

/** Every input the replacements make of `input`, as latin1 text. */
function replaced(input: string, compared: ComparedOperands[], maxSize = 64, limit = 64): string[] {
  const bytes = Buffer.from(input, "latin1");
  const out = Buffer.alloc(maxSize);
  return inputToStateReplacements(bytes, compared, maxSize, limit, 0).map((r) => out.subarray(0, applyReplacement(bytes, r, out)).toString("latin1"));
}

const integer = (a: bigint, b: bigint, width: number): ComparedOperands => ({ kind: "integer", a, b, width });
const bytes = (a: string, b: string): ComparedOperands => ({ kind: "bytes", a: Buffer.from(a, "latin1"), b: Buffer.from(b, "latin1") });

test("a 32-bit value, little- and big-endian, replaced in the encoding it was found in", () => {
  expect(replaced("\x04\x03\x02\x01..", [integer(0x01020304n, 0xcafebaben, 4)])).toContain("\xbe\xba\xfe\xca..");
  expect(replaced("..\x01\x02\x03\x04", [integer(0xcafebaben, 0x01020304n, 4)])).toContain("..\xca\xfe\xba\xbe");
});

test("a small number read from 4 bytes: recorded in 1, looked for in every width that holds both operands", () => {
  // readUInt32LE gave 5; the program wanted 0x12345678: written over all four bytes.
  expect(replaced("\x05\x00\x00\x00payload", [integer(5n, 0x12345678n, 1)])).toContain("\x78\x56\x34\x12payload");
});

test("a number written in text, as decimal and hex, only where it is a whole number", () => {
  expect(replaced("a[12]=x", [integer(12n, 20n, 1)])).toContain("a[20]=x");
  expect(replaced("a[123]=x", [integer(12n, 20n, 1)])).not.toContain("a[203]=x");
  expect(replaced("len=ff;", [integer(255n, 4096n, 2)])).toContain("len=1000;");
});

test("strings: the other operand in its place, and over the input from there when the lengths differ", () => {
  const made = replaced("<abc>", [bytes("abc", "note")]);
  expect(made).toContain("<note>");
  expect(made).toContain("<note"); // "note" over "abc>"
});

test("most bytes matched first; no replacement twice, none that changes nothing, none beyond maxSize", () => {
  const compared = [integer(0x41n, 0x42n, 1), integer(0x41424344n, 0x31323334n, 4), integer(0x41424344n, 0x31323334n, 4)];
  const input = Buffer.from("ABCD", "latin1");
  const found = inputToStateReplacements(input, compared, 64, 64, 0);
  expect(found[0].matched).toBe(4);
  const keys = found.map((r) => `${r.at}:${r.removed}:${Buffer.from(r.bytes).toString("hex")}`);
  expect(new Set(keys).size).toBe(keys.length);
  expect(replaced("ab", [integer(1n, 1n, 1)])).toEqual([]);
  expect(replaced("abc", [bytes("abc", "a much longer string")], 8)).toEqual([]);
});
