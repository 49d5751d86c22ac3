// The run-time block table's compact encoding: what the plugin writes, the runtime reads back.
import fc from "fast-check";
import { BLOCK_FIELDS, encodeBlockFields } from "../plugin/block-table";
import { decodeBlockFields } from "../runtime/block-table";

test("decoding gives back exactly the encoded fields, for any values the plugin can produce", () => {
  const block = fc.tuple(
    fc.integer({ min: 0, max: 1 << 24 }), fc.integer({ min: 0, max: 1 << 23 }), fc.integer({ min: 0, max: 30 }),
    fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 1 << 20 }),
    fc.integer({ min: 0, max: 1 << 20 }), fc.integer({ min: 1, max: 1 << 20 }), fc.integer({ min: 0, max: 1 << 20 }),
  );
  fc.assert(fc.property(fc.array(block, { maxLength: 40 }), (blocks) => {
    const flat = blocks.flat();
    expect(decodeBlockFields(encodeBlockFields(flat), blocks.length)).toEqual(flat);
  }), { numRuns: 300 });
});

test("a typical block (next slot, own counter, same line) takes one character per field", () => {
  const flat = [0, 0, 1, 0, 0, 3, 4, 3, 9, 1, 1, 2, 0, 0, 3, 6, 3, 8];
  const text = encodeBlockFields(flat);
  expect(text).toBe("AACAAGIASAAEAAAMAQ");
  expect(text.length).toBe(2 * BLOCK_FIELDS);
});

test("malformed text is refused, not misread", () => {
  const text = encodeBlockFields([0, 0, 1, 0, 0, 3, 4, 3, 9]);
  expect(decodeBlockFields(text, 2)).toBeUndefined();
  expect(decodeBlockFields(`${text}A`, 1)).toBeUndefined();
  expect(decodeBlockFields(text.replace("I", "!"), 1)).toBeUndefined();
});
