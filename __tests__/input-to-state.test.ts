// Input-to-state replacements (fuzz/engine/input-to-state.ts): where an input holds one
// operand of a comparison in one of the encodings programs read values in, the other
// operand is written there in the same encoding.
import fc from "fast-check";
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

/**
 * The definition, without the shortcuts (the byte and byte-pair filters, Numbers for
 * BigInts, no search where an encoding cannot be): every occurrence looked for by brute force.
 */
function referenceReplacements(input: Uint8Array, compared: readonly ComparedOperands[], maxSize: number, limit: number, start: number) {
  const found: { at: number; removed: number; bytes: Uint8Array; matched: number }[] = [];
  const seen = new Set<string>();
  const singles: [Uint8Array, Uint8Array, ((byte: number) => boolean) | undefined][] = [];
  const first = input.length === 0 ? 0 : start % input.length;
  const add = (at: number, removed: number, to: Uint8Array, matched: number) => {
    if (input.length - removed + to.length > maxSize) return;
    if (removed === to.length && to.every((byte, i) => input[at + i] === byte)) return;
    const key = `${at}:${removed}:${Buffer.from(to).toString("hex")}`;
    if (seen.has(key)) return;
    seen.add(key);
    found.push({ at, removed, bytes: to, matched });
  };
  const replace = (from: Uint8Array, to: Uint8Array, whole?: (byte: number) => boolean, singleNow = false) => {
    if (from.length === 0 || from.length > input.length) return;
    if (from.length === 1 && !singleNow) return void singles.push([from, to, whole]);
    const positions: number[] = [];
    for (const [lo, hi] of [[first, input.length], [0, first]]) {
      for (let at = lo; at < hi && at + from.length <= input.length && positions.length < 4; at++) {
        if (!from.every((byte, i) => input[at + i] === byte)) continue;
        const end = at + from.length;
        if (whole !== undefined && ((at > 0 && whole(input[at - 1])) || (end < input.length && whole(input[end])))) continue;
        positions.push(at);
      }
    }
    for (const at of positions) {
      add(at, from.length, to, from.length);
      if (to.length !== from.length && at + to.length <= input.length) add(at, to.length, to, from.length);
    }
  };
  const bytesOf = (value: bigint, width: number, littleEndian: boolean) =>
    Uint8Array.from({ length: width }, (_, i) => Number((value >> BigInt(8 * (littleEndian ? i : width - 1 - i))) & 0xffn));
  const widthOf = (value: bigint) => (value < 0x100n ? 1 : value < 0x10000n ? 2 : value < 0x100000000n ? 4 : 8);
  const isDigit = (byte: number) => byte >= 0x30 && byte <= 0x39;
  const isHex = (byte: number) => isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
  const text = (value: string) => Buffer.from(value, "latin1");
  const replaceInteger = (from: bigint, to: bigint, width: number) => {
    const least = Math.max(width, widthOf(from), widthOf(to));
    for (const size of [1, 2, 4, 8]) {
      if (size < least || (size === 8 && least < 8)) continue;
      for (const littleEndian of size === 1 ? [true] : [true, false]) replace(bytesOf(from, size, littleEndian), bytesOf(to, size, littleEndian));
    }
    if (from > BigInt(Number.MAX_SAFE_INTEGER) || to > BigInt(Number.MAX_SAFE_INTEGER)) return;
    replace(text(from.toString()), text(to.toString()), isDigit);
    if (from < 16n) return;
    replace(text(from.toString(16)), text(to.toString(16)), isHex);
    replace(text(from.toString(16).toUpperCase()), text(to.toString(16).toUpperCase()), isHex);
  };
  for (const operands of compared) {
    if (operands.kind === "bytes") {
      replace(operands.a, operands.b);
      replace(operands.b, operands.a);
    } else if (operands.a !== operands.b) {
      replaceInteger(operands.a, operands.b, operands.width);
      replaceInteger(operands.b, operands.a, operands.width);
    }
  }
  for (let i = 0; i < singles.length && found.length < limit; i++) replace(...singles[i], true);
  return found.sort((x, y) => y.matched - x.matched).slice(0, limit);
}

test("the same replacements as the brute-force definition (fast-check)", () => {
  // Few byte values, so that operands taken from the input or made up both occur in it.
  const input = fc.uint8Array({ maxLength: 40 }).map((raw) => raw.map((byte) => [0, 1, 0x30, 0x31, 0x41, 0x61, 0xff, byte][byte & 7]));
  const value = fc.oneof(fc.bigInt({ min: 0n, max: 0xffn }), fc.bigInt({ min: 0n, max: 0xffffn }), fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
  const operands: fc.Arbitrary<ComparedOperands> = fc.oneof(
    fc.record({ kind: fc.constant("integer" as const), a: value, b: value, width: fc.constantFrom(1, 2, 4, 8) }),
    fc.record({ kind: fc.constant("bytes" as const), a: fc.uint8Array({ maxLength: 6 }), b: fc.uint8Array({ maxLength: 6 }) }),
  );
  fc.assert(
    fc.property(input, fc.array(operands, { maxLength: 12 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 20 }), (bytes, compared, start, limit) => {
      // Operands that are in the input: a slice of it as bytes, and its first bytes as an integer.
      const slice = bytes.slice(start % (bytes.length + 1), (start % (bytes.length + 1)) + 3);
      const all = [...compared, { kind: "bytes" as const, a: slice, b: Uint8Array.of(9, 9) }, { kind: "integer" as const, a: BigInt(bytes[0] ?? 0) | (BigInt(bytes[1] ?? 0) << 8n), b: 0x1234n, width: 2 }];
      const key = (r: { at: number; removed: number; bytes: Uint8Array; matched: number }) => `${r.at}:${r.removed}:${Buffer.from(r.bytes).toString("hex")}:${r.matched}`;
      expect(inputToStateReplacements(bytes, all, 48, limit, start).map(key)).toEqual(referenceReplacements(bytes, all, 48, limit, start).map(key));
    }),
    { seed: 9, numRuns: 400 },
  );
});
