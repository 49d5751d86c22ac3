// Differential test of fuzz/fuzzed-data-provider.ts against Jazzer.js's own FuzzedDataProvider
// (@jazzer.js/core 4.0.0, a devDependency; its file is required directly because the
// package's main loads a native addon that does not load everywhere). Random inputs and
// random sequences of calls, with valid and invalid arguments: every result, every error
// and the bytes left (both ends) must be the same.
import fc from "fast-check";
import { FuzzedDataProvider, FloatLengthError } from "../fuzz";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const jazzer = require("@jazzer.js/core/dist/FuzzedDataProvider.js") as {
  FuzzedDataProvider: new (data: Buffer) => Record<string, unknown>;
};

type Call = { method: string; args: unknown[] };

const byteCount = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 7, 1.5, Number.NaN) },
);
const bigByteCount = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5) },
);
const arrayLength = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 24 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 2.5, Number.NaN) },
);
const integer = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, 2 ** 48 - 1, 2 ** 48, 2 ** 40, -(2 ** 47), Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2),
);
const bigint = fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.bigInt({ min: -300n, max: 300n }));
const real = fc.oneof(
  fc.double(),
  fc.double({ min: -1000, max: 1000, noNaN: true }),
  fc.constantFrom(-Number.MAX_VALUE, Number.MAX_VALUE, -3.4028235e38, 3.4028235e38, 0, -0, Infinity, -Infinity),
);
/** Mostly ordered pairs (the valid case), sometimes as drawn. */
function range<T>(value: fc.Arbitrary<T>): fc.Arbitrary<[T, T]> {
  return fc.tuple(value, value, fc.integer({ min: 0, max: 9 })).map(([a, b, order]) => (order > 0 && a > b ? [b, a] : [a, b]));
}
const pickArray = fc.array(fc.integer(), { minLength: 0, maxLength: 300 });

const call: fc.Arbitrary<Call> = fc.oneof(
  ...["consumeBoolean", "consumeNumber", "consumeFloat", "consumeDouble", "consumeProbabilityFloat",
    "consumeProbabilityDouble", "consumeRemainingAsBytes", "consumeRemainingAsString"].map((method) =>
    fc.constant<Call>({ method, args: [] }),
  ),
  fc.tuple(byteCount, fc.boolean()).map((args) => ({ method: "consumeIntegral", args })),
  range(integer).map((args) => ({ method: "consumeIntegralInRange", args })),
  fc.tuple(bigByteCount, fc.boolean()).map((args) => ({ method: "consumeBigIntegral", args })),
  range(bigint).map((args) => ({ method: "consumeBigIntegralInRange", args })),
  ...["consumeNumberInRange", "consumeFloatInRange", "consumeDoubleInRange"].map((method) =>
    range(real).map((args) => ({ method, args })),
  ),
  pickArray.map((array) => ({ method: "pickValue", args: [array] })),
  fc.tuple(pickArray, fc.integer({ min: -1, max: 8 })).map((args) => ({ method: "pickValues", args })),
  ...["consumeBooleans", "consumeNumbers", "consumeBytes", "consumeString"].map((method) =>
    arrayLength.map((length) => ({ method, args: [length] })),
  ),
  ...["consumeIntegrals", "consumeBigIntegrals"].map((method) =>
    fc.tuple(arrayLength, method === "consumeIntegrals" ? byteCount : bigByteCount, fc.boolean()).map((args) => ({ method, args })),
  ),
  fc.tuple(arrayLength, arrayLength).map((args) => ({ method: "consumeStringArray", args })),
);

type Outcome = { value: unknown } | { error: string };

function run(provider: Record<string, unknown>, calls: Call[]): Array<{ outcome: Outcome; remaining: unknown }> {
  return calls.map(({ method, args }) => {
    let outcome: Outcome;
    try {
      outcome = { value: (provider[method] as (...args: unknown[]) => unknown)(...args) };
    } catch (error) {
      outcome = { error: `${(error as Error).name}: ${(error as Error).message}` };
    }
    return { outcome, remaining: provider.remainingBytes };
  });
}

describe("FuzzedDataProvider matches Jazzer.js's", () => {
  test("on random inputs and random call sequences: values, errors and the bytes consumed", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), fc.array(call, { maxLength: 12 }), (bytes, calls) => {
        const ours = new FuzzedDataProvider(Buffer.from(bytes)) as unknown as Record<string, unknown>;
        const theirs = new jazzer.FuzzedDataProvider(Buffer.from(bytes));
        // The final consumeRemainingAsBytes shows which bytes are left at both ends.
        const all = [...calls, { method: "consumeRemainingAsBytes", args: [] }];
        expect(run(ours, all)).toEqual(run(theirs, all));
      }),
      { numRuns: 4000, seed: 20261201 },
    );
  });

  test("each single method on inputs of every short length (the partial-read edges)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), call, (bytes, single) => {
        const ours = new FuzzedDataProvider(Buffer.from(bytes)) as unknown as Record<string, unknown>;
        const theirs = new jazzer.FuzzedDataProvider(Buffer.from(bytes));
        const calls = [single, single, { method: "consumeRemainingAsBytes", args: [] }];
        expect(run(ours, calls)).toEqual(run(theirs, calls));
      }),
      { numRuns: 4000, seed: 7 },
    );
  });

  test("has every public method and constant of Jazzer.js's class", () => {
    const internal = new Set(["constructor", "consumeNumberBE", "consumeIntegralLEorBE", "consumeIntegralInRangeLEorBE",
      "consumeBigIntegralLEorBE", "consumeBigIntegralInRangeLEorBE", "computeArrayLength"]);
    const publicMethods = Object.getOwnPropertyNames((jazzer.FuzzedDataProvider as { prototype: object }).prototype)
      .filter((name) => !internal.has(name));
    for (const name of publicMethods) expect([name, name in FuzzedDataProvider.prototype]).toEqual([name, true]);
    for (const name of ["min_float", "max_float", "min_double", "max_double"]) {
      expect((FuzzedDataProvider as unknown as Record<string, number>)[name])
        .toBe((jazzer.FuzzedDataProvider as unknown as Record<string, number>)[name]);
    }
  });
});

describe("FuzzedDataProvider", () => {
  test("takes single values from the back (last byte most significant) and arrays from the front", () => {
    const provider = new FuzzedDataProvider(Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06]));
    expect(provider.consumeIntegral(2)).toBe(0x0605);
    expect(provider.consumeBytes(2)).toEqual([0x01, 0x02]);
    expect(provider.remainingBytes).toBe(2);
    expect(provider.consumeIntegrals(1, 2)).toEqual([0x0304]);
    expect(provider.consumeIntegralInRange(10, 20)).toBe(10);
  });

  test("consumeBigIntegral(8, true) consumes 9 bytes, as Jazzer.js's double-precision bounds make it do", () => {
    const provider = new FuzzedDataProvider(Buffer.alloc(10, 0xff));
    provider.consumeBigIntegral(8, true);
    expect(provider.remainingBytes).toBe(1);
  });

  test("accepts a Uint8Array view without copying it", () => {
    const backing = new Uint8Array([9, 9, 0x41, 0x42, 9]);
    const provider = new FuzzedDataProvider(backing.subarray(2, 4));
    expect(provider.consumeRemainingAsString()).toBe("AB");
  });

  test("Jazzer.js 2.x's encoding and printable arguments of consumeString", () => {
    // Expected values from @jazzer.js/core 2.1.0's source: printable maps byte b to 32 + b % 95.
    expect(new FuzzedDataProvider(Buffer.from([0, 94, 95, 255])).consumeString(4, "ascii", true)).toBe(" ~ a");
    expect(new FuzzedDataProvider(Buffer.from([0x41, 0x00, 0x42, 0x00])).consumeRemainingAsString("utf16le")).toBe("AB");
    expect(new FuzzedDataProvider(Buffer.from([0xe9, 0x41])).consumeString(2, "latin1")).toBe("\u00e9A");
    expect(new FuzzedDataProvider(Buffer.from([0xe9, 0x41])).consumeString(2)).toBe("\ufffdA");
    const strings = new FuzzedDataProvider(Buffer.from([1, 2, 3, 200])).consumeStringArray(5, 3, "utf-8", true);
    expect(strings).toEqual(["!\"#", "*"]); // 200 % 95 = 10: "*"
  });

  test("rejects fractional lengths with FloatLengthError", () => {
    expect(() => new FuzzedDataProvider(Buffer.alloc(4)).consumeBytes(1.5)).toThrow(FloatLengthError);
  });
});
