// From PCs back to blocks: symbolize, blocks(), blockAtIndex and runsc's text form.

import { Kcov, KCOV_TRACE_PC, blockAtIndex, blocks, formatSymbolized, symbolize } from "../runtime";
import * as intrinsics from "../runtime/intrinsics";
import { pcOf, registerFile, resetRealm } from "./runtime-helpers";

beforeEach(() => {
  resetRealm();
  registerFile({
    path: "dist/parser.js",
    regionStart: 0x20000,
    blocks: [
      { slotOffset: 40, kind: "program", source: "src/parser.ts", start: [1, 0], end: [30, 1] },
      {
        slotOffset: 9,
        kind: "function",
        functionName: "Parser.next",
        source: "src/parser.ts",
        start: [4, 9],
        end: [12, 3],
      },
      {
        slotOffset: 10,
        kind: "if-implicit-else",
        functionName: "Parser.next",
        source: "src/parser.ts",
        start: [8, 5],
        end: [8, 5],
      },
    ],
  });
  registerFile({
    path: "lib/util.js",
    regionStart: 0x1000,
    blocks: [{ slotOffset: 0, kind: "program", start: [1, 0], end: [2, 0] }],
  });
});

test("symbolize gives file, positions (Babel's convention) and function of a known PC", () => {
  expect(symbolize(pcOf(0x20009))).toEqual({
    pc: 0xffffffff80100048n,
    file: "src/parser.ts",
    start: { line: 4, column: 9 },
    end: { line: 12, column: 3 },
    functionName: "Parser.next",
    kind: "function",
  });
  expect(symbolize(pcOf(0x1000))?.file).toBe("lib/util.js");
});

test("symbolize accepts the low 32 bits, as older syzkaller kept them", () => {
  expect(symbolize(0x80100048)).toBe(symbolize(0xffffffff80100048n));
  expect(symbolize(0x80100048)).toBeDefined();
});

test.each([
  ["a free slot inside a region", pcOf(0x20000)],
  ["a slot outside every region", pcOf(0x50000)],
  ["a PC between two slots", pcOf(0x20009) + 4n],
  ["a PC below the range", 0xffffffff7ffffff8n],
  ["a PC above the range", 0xffffffffff000000n],
  ["a negative number", -8],
  ["a fraction", 1.5],
])("symbolize of %s is undefined", (_, pc) => {
  expect(symbolize(pc)).toBeUndefined();
});

test("blocks() walks every block in flush order, giving the objects symbolize gives", () => {
  const all = Array.from(blocks());
  expect(all.map((block) => [block.file, block.kind])).toEqual([
    ["src/parser.ts", "program"],
    ["src/parser.ts", "function"],
    ["src/parser.ts", "if-implicit-else"],
    ["lib/util.js", "program"],
  ]);
  for (const block of all) expect(symbolize(block.pc)).toBe(block);
  expect(Object.isFrozen(all[0])).toBe(true);
});

test("blockAtIndex maps collectIndices' numbers back to blocks", () => {
  const kcov = new Kcov();
  kcov.initTrace(4);
  kcov.mmap();
  kcov.enable(KCOV_TRACE_PC);
  const [parser, util] = (globalThis as Record<symbol, { files: { counters: Uint8Array }[] }>)[
    Symbol.for("babel-plugin-kcov.registry")
  ].files;
  parser.counters[2] = 1;
  util.counters[0] = 1;
  const out = new Uint32Array(4);
  const count = kcov.collectIndices(out);
  kcov.close();
  expect(Array.from(out.subarray(0, count), (index) => blockAtIndex(index)?.pc)).toEqual([
    pcOf(0x2000a),
    pcOf(0x1000),
  ]);
  expect(blockAtIndex(4)).toBeUndefined();
  expect(blockAtIndex(-1)).toBeUndefined();
});

test("formatSymbolized prints runsc symbolize's two lines, columns from 1", () => {
  const text = Array.from(blocks(), formatSymbolized).join("");
  expect(text).toBe(
    [
      "0xffffffff80100140",
      "src/parser.ts:1.1,30.2",
      "0xffffffff80100048",
      "src/parser.ts:4.10,12.4",
      "0xffffffff80100050",
      "src/parser.ts:8.6,8.6",
      "0xffffffff80008000",
      "lib/util.js:1.1,2.1",
      "",
    ].join("\n"),
  );
});

test("the table is parsed once, on first need", () => {
  // The runtime parses with JSON.parse as it was at load (runtime/intrinsics.ts), not the program's.
  const parse = jest.spyOn(intrinsics, "parseJson");
  try {
    symbolize(pcOf(0x1000));
    symbolize(pcOf(0x1000));
    Array.from(blocks());
    const tableParses = parse.mock.calls.filter(([text]) => String(text).includes('"kinds"'));
    expect(tableParses).toHaveLength(2); // one per file
  } finally {
    parse.mockRestore();
  }
});
