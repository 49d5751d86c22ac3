// FuzzedDataProvider: turns the fuzzer's raw bytes into typed values, with the API and the
// byte-consumption rules of Jazzer.js's class of the same name (@jazzer.js/core 4.0.0), so a
// corpus file means the same input to a target under jskcov and under Jazzer.js.
//
// The rules, from libFuzzer's FuzzedDataProvider.h as Jazzer.js adapted them:
// - single values (integrals, booleans, floats, picks) are taken from the END of the input,
//   the last byte being the most significant;
// - arrays, strings and consumeNumbers() are taken from the FRONT, big-endian;
// - when the input runs out, a value is built from what is left, and finally from nothing:
//   ranges then give their minimum, numbers give 0, arrays come back shorter.
// Where Jazzer.js's arithmetic has an accident that decides how many bytes are consumed (the
// signed bounds of consumeBigIntegral are computed in doubles), it is kept on purpose and
// commented: matching byte for byte is the point of this class. Differential test:
// __tests__/fuzzed-data-provider.test.ts runs it against Jazzer.js's own implementation.

/** Thrown when a length or byte count is not a whole number (Jazzer.js's FloatLengthError). */
export class FloatLengthError extends Error {
  constructor() {
    super("length value must be an integer");
    this.name = "FLOAT_LENGTH_ERROR";
  }
}

/** Jazzer.js <= 2.x's `printable` strings: byte b becomes the printable ASCII character 32 + b % 95. */
function printableByte(byte: number): number {
  return 32 + (byte % 95);
}

function requireWholeNumbers(...values: number[]): void {
  for (const value of values) if (!Number.isInteger(value)) throw new FloatLengthError();
}

/** Bytes that an integral range needs; Jazzer.js's formula, whose rounding defines the count. */
function bytesForRange(range: number): number {
  return Math.ceil(Math.log2(range + 1) / 8);
}

/** Number of `bytesPerElement`-sized elements of an array read from `available` bytes; the last may be partial. */
function arrayLengthFor(available: number, maxLength: number, bytesPerElement: number): number {
  return Math.ceil(Math.min(available, maxLength * bytesPerElement) / bytesPerElement);
}

export class FuzzedDataProvider {
  static readonly min_float = -3.4028235e38;
  static readonly max_float = 3.4028235e38;
  static readonly min_double = -Number.MAX_VALUE;
  static readonly max_double = Number.MAX_VALUE;

  private readonly data: Buffer;
  /** Index of the first byte not consumed from the front. */
  private front = 0;
  /** One past the last byte not consumed from the back. */
  private back: number;

  /** @param data the fuzzer input (a Buffer; any Uint8Array is viewed as one, not copied) */
  constructor(data: Uint8Array) {
    this.data = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.back = this.data.length;
  }

  /** Bytes not consumed yet, from either end. */
  get remainingBytes(): number {
    return this.back - this.front;
  }

  // ---- single values, from the back ----

  /** One byte; true when its lowest bit is set. */
  consumeBoolean(): boolean {
    return (this.consumeIntegral(1) & 1) === 1;
  }

  /** An integer of at most `maxNumBytes` (0..6) bytes: [0, 2^(8n)-1], or [-2^(8n-1), 2^(8n-1)-1] if signed. */
  consumeIntegral(maxNumBytes: number, isSigned = false): number {
    requireWholeNumbers(maxNumBytes);
    return this.integralOfWidth(maxNumBytes, isSigned, "back");
  }

  /** An integer in [min, max]; consumes as many bytes as the range needs (at most 6), or `min` when none are left. */
  consumeIntegralInRange(min: number, max: number): number {
    return this.integralInRange(min, max, "back");
  }

  /** A bigint of at most `maxNumBytesToConsume` bytes, signed or not. */
  consumeBigIntegral(maxNumBytesToConsume: number, isSigned = false): bigint {
    requireWholeNumbers(maxNumBytesToConsume);
    return this.bigIntegralOfWidth(maxNumBytesToConsume, isSigned, "back");
  }

  /** A bigint in [min, max]; one byte per 8 bits of the range. */
  consumeBigIntegralInRange(min: bigint, max: bigint): bigint {
    return this.bigIntegralInRange(min, max, "back");
  }

  /** The last 8 bytes as a little-endian IEEE-754 double, as is (NaN and infinities included). */
  consumeNumber(): number {
    const remaining = this.remainingBytes;
    if (remaining === 0) return 0;
    if (remaining < 8) {
      // What is left fills the high-order end of the double.
      const padded = Buffer.alloc(8);
      this.data.copy(padded, 8 - remaining, this.front, this.back);
      this.back = this.front;
      return padded.readDoubleLE(0);
    }
    this.back -= 8;
    return this.data.readDoubleLE(this.back);
  }

  consumeNumberInRange(min: number, max: number): number {
    return this.consumeDoubleInRange(min, max);
  }

  consumeFloat(): number {
    return this.consumeFloatInRange(FuzzedDataProvider.min_float, FuzzedDataProvider.max_float);
  }

  /** A number in [min, max] from 4 bytes (plus 1 for the half when the range overflows a float). */
  consumeFloatInRange(min: number, max: number): number {
    return this.realInRange(min, max, FuzzedDataProvider.max_float, () => this.consumeProbabilityFloat());
  }

  consumeDouble(): number {
    return this.consumeDoubleInRange(FuzzedDataProvider.min_double, FuzzedDataProvider.max_double);
  }

  /** A number in [min, max] from 8 bytes (plus 1 for the half when the range overflows a double). */
  consumeDoubleInRange(min: number, max: number): number {
    return this.realInRange(min, max, FuzzedDataProvider.max_double, () => this.consumeProbabilityDouble());
  }

  /** A number in [0, 1] from 4 bytes. */
  consumeProbabilityFloat(): number {
    return this.consumeIntegral(4) / 0xffffffff;
  }

  /** A number in [0, 1] from 8 bytes (2^64 - 1 as a double is 2^64). */
  consumeProbabilityDouble(): number {
    return Number(this.consumeBigIntegral(8)) / 2 ** 64;
  }

  /** One element of a non-empty array (not perfectly uniform). */
  pickValue<Type>(array: Array<Type>): Type {
    if (array.length === 0) throw new Error("provided array is empty");
    return array[this.consumeIntegralInRange(0, array.length - 1)];
  }

  /** `numValues` distinct elements (by index) of a non-empty array, in the order picked. */
  pickValues<Type>(array: Array<Type>, numValues: number): Array<Type> {
    if (array.length === 0) throw new Error("array must not be empty");
    requireWholeNumbers(numValues);
    if (numValues < 0) throw new Error("numValues must not be negative");
    if (numValues > array.length) throw new Error("numValues must not be greater than the array length");
    const left = array.slice();
    const picked: Type[] = [];
    while (picked.length < numValues) {
      picked.push(left.splice(this.consumeIntegralInRange(0, left.length - 1), 1)[0]);
    }
    return picked;
  }

  // ---- arrays and strings, from the front ----

  /** Up to `maxLength` booleans, one byte each (lowest bit). */
  consumeBooleans(maxLength: number): boolean[] {
    return this.consumeBytes(maxLength).map((byte) => (byte & 1) === 1);
  }

  /** Up to `maxLength` integrals of `numBytesPerIntegral` bytes, big-endian; the last may use fewer bytes. */
  consumeIntegrals(maxLength: number, numBytesPerIntegral: number, isSigned = false): number[] {
    requireWholeNumbers(maxLength, numBytesPerIntegral);
    const length = arrayLengthFor(this.remainingBytes, maxLength, numBytesPerIntegral);
    const values: number[] = [];
    for (let i = 0; i < length; i++) values.push(this.integralOfWidth(numBytesPerIntegral, isSigned, "front"));
    return values;
  }

  /** Up to `maxLength` bigints of `numBytesPerIntegral` bytes, big-endian. */
  consumeBigIntegrals(maxLength: number, numBytesPerIntegral: number, isSigned = false): bigint[] {
    requireWholeNumbers(maxLength, numBytesPerIntegral);
    // Jazzer.js sizes the array first: a negative or NaN length is a RangeError there too.
    const values = new Array<bigint>(arrayLengthFor(this.remainingBytes, maxLength, numBytesPerIntegral));
    for (let i = 0; i < values.length; i++) values[i] = this.bigIntegralOfWidth(numBytesPerIntegral, isSigned, "front");
    return values;
  }

  /** Up to `maxLength` big-endian doubles, 8 bytes each; a short last one is zero-padded at its low end. */
  consumeNumbers(maxLength: number): number[] {
    requireWholeNumbers(maxLength);
    const values = new Array<number>(arrayLengthFor(this.remainingBytes, maxLength, 8));
    for (let i = 0; i < values.length; i++) values[i] = this.numberFromFront();
    return values;
  }

  /** Up to `maxLength` bytes as an array of numbers (not a Buffer, as in Jazzer.js). */
  consumeBytes(maxLength: number): number[] {
    requireWholeNumbers(maxLength);
    const length = Math.min(this.remainingBytes, maxLength);
    const bytes = new Array<number>(length); // a negative maxLength is a RangeError, as in Jazzer.js
    for (let i = 0; i < length; i++) bytes[i] = this.data[this.front + i];
    this.front += length;
    return bytes;
  }

  consumeRemainingAsBytes(): number[] {
    return this.consumeBytes(this.remainingBytes);
  }

  /**
   * A string decoded from up to `maxLength` bytes (so possibly fewer characters). UTF-8 unless
   * `encoding` is given; `printable` maps every byte to printable ASCII first. The two optional
   * parameters are Jazzer.js 1.x/2.x's; 4.x dropped them and always decodes UTF-8, which is
   * what a call without them gets here. The bytes consumed never depend on them.
   */
  consumeString(maxLength: number, encoding?: BufferEncoding, printable = false): string {
    if (maxLength < 0) throw new Error("maxLength must be non-negative");
    requireWholeNumbers(maxLength);
    const start = this.front;
    this.front += Math.min(maxLength, this.remainingBytes);
    if (!printable) return this.data.toString(encoding ?? "utf-8", start, this.front);
    const printableBytes = Uint8Array.from(this.data.subarray(start, this.front), printableByte);
    return new TextDecoder(encoding ?? "utf-8").decode(printableBytes);
  }

  consumeRemainingAsString(encoding?: BufferEncoding, printable = false): string {
    return this.consumeString(this.remainingBytes, encoding, printable);
  }

  /** Strings of up to `maxStringLength` bytes each, until `maxArrayLength` strings or the input ends. */
  consumeStringArray(maxArrayLength: number, maxStringLength: number, encoding?: BufferEncoding, printable = false): string[] {
    requireWholeNumbers(maxArrayLength, maxStringLength);
    const strings: string[] = [];
    while (strings.length < maxArrayLength && this.remainingBytes > 0) {
      strings.push(this.consumeString(maxStringLength, encoding, printable));
    }
    return strings;
  }

  // ---- the shared arithmetic ----

  private integralOfWidth(numBytes: number, isSigned: boolean, end: "front" | "back"): number {
    if (numBytes < 0 || numBytes > 6) {
      throw new Error("maxNumBytes must be between 0 and 6: use the corresponding *BigIntegral function instead");
    }
    const bits = 8 * numBytes;
    return isSigned
      ? this.integralInRange(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1, end)
      : this.integralInRange(0, 2 ** bits - 1, end);
  }

  private integralInRange(min: number, max: number, end: "front" | "back"): number {
    if (min == max) return min;
    if (min > max) throw new Error("min must be less than or equal to max");
    if (this.remainingBytes === 0) return min;
    if (max > Number.MAX_SAFE_INTEGER) {
      throw new Error("max is too large: use the corresponding *BigIntegral function instead");
    }
    const range = max - min;
    const numBytes = Math.min(this.remainingBytes, bytesForRange(range));
    if (numBytes > 6) {
      throw new Error("requested range exceeds 2**48-1: use the corresponding *BigIntegral function instead");
    }
    let value: number;
    if (end === "back") {
      this.back -= numBytes;
      value = this.data.readUIntLE(this.back, numBytes);
    } else {
      value = this.data.readUIntBE(this.front, numBytes);
      this.front += numBytes;
    }
    return min + (value % (range + 1));
  }

  private bigIntegralOfWidth(numBytes: number, isSigned: boolean, end: "front" | "back"): bigint {
    if (!isSigned) return this.bigIntegralInRange(0n, (1n << BigInt(numBytes * 8)) - 1n, end);
    // Computed in doubles, as Jazzer.js does: from 7 bytes on, 2^(8n-1) - 1 rounds up to
    // 2^(8n-1), so the range has one more bit and one more byte is consumed.
    const half = 2 ** (numBytes * 8 - 1);
    return this.bigIntegralInRange(BigInt(-half), BigInt(half - 1), end);
  }

  private bigIntegralInRange(min: bigint, max: bigint, end: "front" | "back"): bigint {
    if (min == max) return min;
    if (min > max) throw new Error("min must be less than or equal to max");
    const range = max - min;
    let value = 0n;
    for (let bits = 0n; range >> bits > 0n && this.remainingBytes > 0; bits += 8n) {
      const byte = end === "back" ? this.data[--this.back] : this.data[this.front++];
      value = (value << 8n) | BigInt(byte);
    }
    return (value % (range + 1n)) + min;
  }

  /** min + range * probability, halving a range too wide to represent and choosing the half by one boolean. */
  private realInRange(min: number, max: number, largest: number, probability: () => number): number {
    if (min == max) return min;
    if (min > max) throw new Error("min must be less than or equal to max");
    let start = min;
    let range = max - min;
    if (min < 0 && max > 0 && max > min + largest) {
      range = max / 2 - min / 2;
      if (this.consumeBoolean()) start += range;
    }
    return start + range * probability();
  }

  private numberFromFront(): number {
    const remaining = this.remainingBytes;
    if (remaining === 0) return 0;
    if (remaining < 8) {
      const padded = Buffer.alloc(8);
      this.data.copy(padded, 0, this.front, this.back);
      this.front = this.back;
      return padded.readDoubleBE(0);
    }
    const value = this.data.readDoubleBE(this.front);
    this.front += 8;
    return value;
  }
}
