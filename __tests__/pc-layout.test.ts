// Synthetic PCs: where they lie, what they depend on, and what they must not depend on.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { REPO_ROOT, instrument } from "./helpers/instrument";
import { SLOT_COUNT, placeFunctionRuns } from "../plugin/pc-layout";

const SOURCE = `
function parse(s) {
  if (s.length > 3) return s.slice(1);
  return s || "empty";
}
function format(v) {
  for (const k of Object.keys(v)) { if (k) v[k] = String(v[k]); }
  return v;
}
const helper = (x) => x ?? parse(String(x));
module.exports = { parse, format, helper };
`;

const pcsByFunction = (metadata: ReturnType<typeof instrument>["metadata"]) => {
  const byFunction: Record<string, string[]> = {};
  for (const block of metadata.blocks) (byFunction[block.functionName] ??= []).push(block.pc.toString(16));
  return byFunction;
};

describe("PC values", () => {
  const { metadata } = instrument(SOURCE, path.join(REPO_ROOT, "src/parse.js"));

  test("are unique, 8 apart in the low bits, and inside syzkaller's kernel range", () => {
    const pcs = metadata.blocks.map((b) => b.pc);
    expect(new Set(pcs).size).toBe(pcs.length);
    for (const pc of pcs) {
      expect(pc >= 0xffffffff80000000n && pc < 0xffffffffff000000n).toBe(true);
      expect(pc % 8n).toBe(0n);
    }
  });

  test("all identity is in the low 32 bits", () => {
    const low = metadata.blocks.map((b) => b.pc & 0xffffffffn);
    expect(new Set(low).size).toBe(low.length);
    expect(metadata.blocks.every((b) => b.pc >> 32n === 0xffffffffn)).toBe(true);
  });

  test("lie inside the file's region", () => {
    for (const block of metadata.blocks) {
      const slot = Number((block.pc - 0xffffffff80000000n) / 8n);
      expect(slot - metadata.regionStart).toBe(block.slotOffset);
      expect(block.slotOffset).toBeGreaterThanOrEqual(0);
      expect(block.slotOffset).toBeLessThan(metadata.regionSize);
    }
    expect(metadata.regionStart % metadata.regionSize).toBe(0);
    expect(metadata.regionStart + metadata.regionSize).toBeLessThanOrEqual(SLOT_COUNT);
  });
});

describe("PC stability", () => {
  test("do not depend on the checkout's absolute path", () => {
    const roots = [fs.mkdtempSync(path.join(os.tmpdir(), "kcov-a-")), fs.mkdtempSync(path.join(os.tmpdir(), "kcov-b-nested-"))];
    const [a, b] = roots.map((root) => {
      fs.mkdirSync(path.join(root, "src"));
      const file = path.join(root, "src/parse.js");
      fs.writeFileSync(file, SOURCE);
      return instrument(SOURCE, file, { root });
    });
    expect(a.metadata.blocks.map((x) => x.pc)).toEqual(b.metadata.blocks.map((x) => x.pc));
    expect(a.code).toBe(b.code);
  });

  test("are the same on every transform of the same input (no hidden state)", () => {
    const file = path.join(REPO_ROOT, "src/parse.js");
    const first = instrument(SOURCE, file);
    instrument(SOURCE.replace("parse", "other"), path.join(REPO_ROOT, "src/other.js"));
    expect(instrument(SOURCE, file).code).toBe(first.code);
  });

  test("editing one function leaves the PCs of the other functions alone, as far as the layout allows", () => {
    // Function runs sit at homes hashed from their names, so whether a grown run reaches
    // another function's home depends on the names: measure it over 100 sets of names.
    // In a 256-slot region a run that grows by 6 blocks moves another function about one
    // time in ten (docs/block-table.md).
    const file = path.join(REPO_ROOT, "src/parse.js");
    let unchanged = 0;
    for (let i = 0; i < 100; i++) {
      const source = SOURCE.replace(/parse/g, `parse${i}`).replace(/format/g, `format${i}`).replace(/helper/g, `helper${i}`);
      const edited = source.replace("return v;", "if (v.x) { while (v.x--) {} }\n  return v ? v : null;");
      const before = pcsByFunction(instrument(source, file).metadata);
      const after = pcsByFunction(instrument(edited, file).metadata);
      expect(after[`format${i}`].length).toBe(before[`format${i}`].length + 6);
      const others = (pcs: Record<string, string[]>) => JSON.stringify([pcs[`parse${i}`], pcs[`helper${i}`], pcs["(top level)"]]);
      if (others(after) === others(before)) unchanged++;
    }
    expect(unchanged).toBeGreaterThanOrEqual(80);
  });

  test("pcSeedByFile moves only the files it names", () => {
    const a = instrument(SOURCE, path.join(REPO_ROOT, "src/parse.js")).metadata;
    const b = instrument(SOURCE, path.join(REPO_ROOT, "src/other.js")).metadata;
    const options = { pcSeedByFile: { "src/other.js": 5 } };
    const a2 = instrument(SOURCE, path.join(REPO_ROOT, "src/parse.js"), options).metadata;
    const b2 = instrument(SOURCE, path.join(REPO_ROOT, "src/other.js"), options).metadata;
    expect(a2.blocks.map((x) => x.pc)).toEqual(a.blocks.map((x) => x.pc));
    expect(a2.fingerprint).toBe(a.fingerprint);
    expect(b2.regionStart).not.toBe(b.regionStart);
    expect(b2.regionStart).toBe(instrument(SOURCE, path.join(REPO_ROOT, "src/other.js"), { pcSeed: 5 }).metadata.regionStart);
  });

  test("depend on the relative path and on pcSeed", () => {
    const a = instrument(SOURCE, path.join(REPO_ROOT, "src/parse.js")).metadata;
    const b = instrument(SOURCE, path.join(REPO_ROOT, "src/parse2.js")).metadata;
    const seeded = instrument(SOURCE, path.join(REPO_ROOT, "src/parse.js"), { pcSeed: 7 }).metadata;
    expect(b.regionStart).not.toBe(a.regionStart);
    expect(seeded.regionStart).not.toBe(a.regionStart);
    expect(seeded.blocks.map((x) => x.slotOffset)).toEqual(a.blocks.map((x) => x.slotOffset));
  });

  test("large files get larger regions, still at most half full", () => {
    const many = Array.from({ length: 3000 }, (_, i) => `function f${i}(a) { return a ? ${i} : -${i}; }`).join("\n");
    const { metadata } = instrument(many, path.join(REPO_ROOT, "src/many.js"));
    expect(metadata.blocks.length).toBe(1 + 3 * 3000);
    expect(metadata.regionSize).toBe(32768);
    expect(new Set(metadata.blocks.map((b) => b.pc)).size).toBe(metadata.blocks.length);
  });
});

describe("placeFunctionRuns", () => {
  test("places each run contiguously without overlap, or reports that they do not fit", () => {
    const runs = Array.from({ length: 50 }, (_, i) => ({ key: `f${i}`, blockCount: 1 + (i % 7) }));
    const offsets = placeFunctionRuns(runs, 256)!;
    const used = new Set<number>();
    runs.forEach((run, i) => {
      for (let k = 0; k < run.blockCount; k++) {
        const slot = (offsets[i] + k) % 256;
        expect(used.has(slot)).toBe(false);
        used.add(slot);
      }
    });
    expect(placeFunctionRuns([{ key: "a", blockCount: 3 }, { key: "b", blockCount: 2 }], 4)).toBeUndefined();
  });

  test("puts every run at the first free stretch from its home, as trying each start in turn would", () => {
    // The placement skips starts that cannot fit; the definition tries them one by one.
    // Same hash as the plugin's (hash32 over "function" and the key).
    const home = (key: string, regionSize: number): number =>
      createHash("sha256").update(`function\0${key}`).digest().readUInt32BE(0) % regionSize;
    const byDefinition = (runs: Array<{ key: string; blockCount: number }>, regionSize: number): number[] | undefined => {
      const occupied = new Array<boolean>(regionSize).fill(false);
      const offsets: number[] = [];
      const order = runs.map((_, i) => i).sort((a, b) => (runs[a].key < runs[b].key ? -1 : runs[a].key > runs[b].key ? 1 : 0));
      for (const i of order) {
        const fits = (start: number) => Array.from({ length: runs[i].blockCount }, (_, k) => !occupied[(start + k) % regionSize]).every(Boolean);
        const tries = Array.from({ length: regionSize }, (_, k) => (home(runs[i].key, regionSize) + k) % regionSize);
        const start = tries.find(fits);
        if (start === undefined) return undefined;
        for (let k = 0; k < runs[i].blockCount; k++) occupied[(start + k) % regionSize] = true;
        offsets[i] = start;
      }
      return offsets;
    };
    for (let seed = 0; seed < 40; seed++) {
      const runs = Array.from({ length: 5 + seed }, (_, i) => ({ key: `s${seed}/f${i}`, blockCount: 1 + ((i * 7 + seed) % 13) }));
      const total = runs.reduce((sum, run) => sum + run.blockCount, 0);
      for (const regionSize of [64, 128, 256, 512]) {
        if (total > regionSize * 1.2) continue;
        expect(placeFunctionRuns(runs, regionSize)).toEqual(byDefinition(runs, regionSize));
      }
    }
  });
});

describe("source ranges", () => {
  const tsSource = [
    "export function pick(flag: boolean, n: number): number {",
    "  if (flag) {",
    "    return n * 2;",
    "  }",
    "  return n;",
    "}",
    "",
  ].join("\n");
  const inlineMap = (map: object): string =>
    `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}`;

  test.each(["plain", "sectioned"])("follow an input source map (%s) back to the TypeScript source", (form) => {
    const { outputText, sourceMapText } = ts.transpileModule(tsSource, {
      fileName: "pick.ts",
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, sourceMap: true, inlineSources: true },
    });
    const map = JSON.parse(sourceMapText!);
    // An index map: the same mappings as one section, the form bundlers may write.
    const inputMap = form === "plain" ? map : { version: 3, sections: [{ offset: { line: 0, column: 0 }, map }] };
    const compiled = `${outputText.replace(/\/\/# sourceMappingURL=.*$/m, "")}\n${inlineMap(inputMap)}\n`;
    const { metadata } = instrument(compiled, path.join(REPO_ROOT, "src/pick.js"));
    const consequent = metadata.blocks.find((b) => b.kind === "if-consequent")!;
    expect(consequent.source).toBe("src/pick.ts");
    expect(consequent.range.start).toEqual({ line: 2, column: 12 });
    expect(consequent.range.end.line).toBe(4);
    const fn = metadata.blocks.find((b) => b.kind === "function")!;
    expect(fn.range.start).toEqual({ line: 1, column: 0 });
    expect(fn.functionName).toBe("pick");
  });
});
