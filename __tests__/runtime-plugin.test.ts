// The plugin and the runtime together: instrumented files register, collect() writes
// the PCs of the blocks that ran, and colliding files are refused by name.
import * as path from "node:path";
import { Kcov, KCOV_TRACE_PC, formatSymbolized, symbolize } from "../runtime";
import { PC_LAYOUTS, regionSizeFor, regionStartFor } from "../plugin/pc-layout";
import { REPO_ROOT, instrument, loadCommonJs } from "./helpers/instrument";

const SOURCE = `module.exports = function classify(s) {
  if (s.length === 0) return "empty";
  let digits = 0;
  for (const ch of s) {
    if (ch >= "0" && ch <= "9") digits++;
  }
  return digits === s.length ? "number" : "word";
};
`;

function wordsOf(cover: BigUint64Array): bigint[] {
  // Read the bytes as little-endian words, as a consumer in another language would.
  const bytes = new DataView(cover.buffer);
  const count = Number(bytes.getBigUint64(0, true));
  return Array.from({ length: count }, (_, i) => bytes.getBigUint64(8 * (i + 1), true));
}

describe("collect() over instrumented code", () => {
  const { code, metadata } = instrument(SOURCE, path.join(REPO_ROOT, "src/classify.js"));
  const kcov = new Kcov();
  kcov.initTrace(256);
  const cover = kcov.mmap();
  const classify = loadCommonJs(code);
  kcov.enable(KCOV_TRACE_PC);
  afterAll(() => kcov.close());

  const pcsOf = (labels: string[]) => metadata.blocks
    .filter((b) => labels.includes(`${b.kind}@${b.range.start.line}:${b.range.start.column}`))
    .map((b) => b.pc);

  test.each([
    ["", "empty", ["function@1:17", "if-consequent@2:22"]],
    ["12", "number", ["function@1:17", "if-implicit-else@2:37", "join@3:2", "loop-body@4:22",
      "logical-right@5:21", "if-consequent@5:32", "join@7:2", "conditional-consequent@7:31"]],
    ["a", "word", ["function@1:17", "if-implicit-else@2:37", "join@3:2", "loop-body@4:22",
      "logical-right@5:21", "if-implicit-else@5:41", "join@7:2", "conditional-alternate@7:42"]],
  ])("input %j: the area holds exactly the PCs of the blocks that ran, in block order", (input, result, labels) => {
    cover[0] = 0n;
    expect(classify(input)).toBe(result);
    const appended = kcov.collect();
    const expected = pcsOf(labels);
    expect(expected).toHaveLength(labels.length);
    expect(appended).toBe(labels.length);
    expect(wordsOf(cover)).toEqual(expected);
  });

  test("symbolize maps a collected PC back to its source range and function", () => {
    cover[0] = 0n;
    classify("");
    kcov.collect();
    const [entry, consequent] = wordsOf(cover);
    expect(symbolize(entry)).toMatchObject({ file: "src/classify.js", functionName: "classify", start: { line: 1, column: 17 } });
    expect(formatSymbolized(symbolize(consequent)!)).toBe(`0x${consequent.toString(16)}\nsrc/classify.js:2.23,2.38\n`);
  });
});

describe("PC collisions between files", () => {
  // Two paths whose kernel32 regions coincide for pcSeed 0 (found by search, as a user of
  // that layout would hit them; in full64 the search would not end).
  const kernel32 = { pcLayout: "kernel32" } as const;
  const size = regionSizeFor(10);
  const seen = new Map<bigint, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; !pair; i++) {
    const file = `src/module${i}.js`;
    const start = regionStartFor(file, size, 0, PC_LAYOUTS.kernel32);
    const other = seen.get(start);
    if (other) pair = [other, file];
    seen.set(start, file);
  }
  const [first, second] = pair;

  test("the second file to register is refused with both names and the way out", () => {
    const kcov = new Kcov();
    try {
      loadCommonJs(instrument(SOURCE, path.join(REPO_ROOT, first), kernel32).code);
      const colliding = instrument(SOURCE, path.join(REPO_ROOT, second), kernel32).code;
      expect(() => loadCommonJs(colliding)).toThrow(new RegExp(`${first}.*${second}|${second}.*${first}`, "s"));
      expect(() => loadCommonJs(colliding)).toThrow(/pcSeed/);
    } finally {
      kcov.close();
    }
  });

  test("a different pcSeed separates them", () => {
    const a = instrument(SOURCE, path.join(REPO_ROOT, first), { ...kernel32, pcSeed: 1 }).metadata;
    const b = instrument(SOURCE, path.join(REPO_ROOT, second), { ...kernel32, pcSeed: 1 }).metadata;
    expect(a.regionSize).toBe(b.regionSize);
    expect(a.regionPc).not.toBe(b.regionPc);
  });
});

describe("counter modes over instrumented code", () => {
  const LOOP = "module.exports = function spin(n) { let s = 0; for (let i = 0; i < n; i++) { s += i & 1 ? 1 : 2; } return s; };\n";

  test.each(["hit", "count"] as const)("%s mode: a block run 300 times (more than a byte holds) still reads as run", (counterMode) => {
    const { code, metadata } = instrument(LOOP, path.join(REPO_ROOT, `src/spin-${counterMode}.js`), { counterMode });
    const spin = loadCommonJs(code);
    const kcov = new Kcov();
    try {
      kcov.initTrace(64);
      const cover = kcov.mmap();
      kcov.enable(KCOV_TRACE_PC);
      const loopBody = metadata.blocks.find((b) => b.kind === "loop-body")!;
      const counters = (globalThis as any)[Symbol.for("babel-plugin-kcov.registry")].files
        .find((f: { path: string }) => f.path === metadata.path).counters;
      expect(spin(300)).toBe(450);
      // "hit" stores 1; "count" counts exactly.
      expect(counters[loopBody.counter]).toBe(counterMode === "hit" ? 1 : 300);
      expect(counters).toBeInstanceOf(counterMode === "hit" ? Uint8Array : Float64Array);
      kcov.collect();
      expect(wordsOf(cover)).toContain(loopBody.pc);
    } finally {
      kcov.close();
    }
  });
});
