// Base64 VLQ, the number encoding of source maps: 5 bits per base64 digit, low bits
// first, bit 32 of a digit set when more follow, and the sign in the lowest bit of the
// value. The plugin writes block tables in it and reads input source maps' mappings; the
// runtime reads block tables. The runtime imports nothing, so this lives here and the
// plugin imports it.

import { charCodeAt } from "./intrinsics";

export const BASE64_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Digit value by character code, -1 for characters that are not base64 digits. */
const DIGIT_VALUES = new Int8Array(128).fill(-1);
for (let value = 0; value < BASE64_DIGITS.length; value++) DIGIT_VALUES[BASE64_DIGITS.charCodeAt(value)] = value;

/** Reads VLQ values one after another from `text`, from `position` on. */
export class VlqReader {
  position = 0;

  constructor(private readonly text: string) {}

  /** The next value; NaN when a character is not a base64 digit or the text ends early (`position` is then past it). */
  read(): number {
    let value = 0;
    let scale = 1;
    let digit: number;
    do {
      const code = charCodeAt(this.text, this.position++);
      digit = code < 128 ? DIGIT_VALUES[code] : -1; // NaN (past the end) < 128 is false
      if (digit < 0) return NaN;
      value += (digit & 31) * scale;
      scale *= 32;
    } while (digit & 32);
    return value % 2 === 1 ? -(value - 1) / 2 : value / 2;
  }
}
