// Comparison sites' PCs (plugin option traceCmp) come from a region of their own
// (docs/block-table.md, "Comparison regions"): turning traceCmp on moves no block PC, the
// sites' PCs are unique and stable, the registry checks their regions as it checks block
// regions, and symbolize names each site.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installBlockMap, blockMapOf, readBlockMap, registeredFiles } from "../cli/coverage-files";
import { seedClearOf } from "../cli/collision-seed";
import { toRuntimeTable, type BlockEntry, type CompareEntry, type KcovFileMetadata } from "../plugin/block-table";
import { PC_LAYOUTS, PC_LAYOUT_NAMES, formatPc, regionStartsFor, type PcLayoutName } from "../plugin/pc-layout";
import { formatSymbolized, leaveOutClashingFiles, symbolize, type KcovFileRecord } from "../runtime";
import { fixtureNames, readFixture } from "./helpers/fixtures";
import { REPO_ROOT, instrument, loadCommonJs } from "./helpers/instrument";
import { makeRecord, pcOf, registerRecord, registry, resetRealm, thrownBy } from "./runtime-helpers";

beforeEach(resetRealm);

interface Input { name: string; filename: string; source: string; options: Parameters<typeof instrument>[2]; extra: Parameters<typeof instrument>[3] }

const fixtureInputs: Input[] = fixtureNames().map((name) => {
  const { filename, source, pluginOptions, presets, sourceType } = readFixture(name);
  return { name: `fixture ${name}`, filename, source, options: pluginOptions, extra: { presets, sourceType } };
});
const libraryInputs: Input[] = ["node_modules/acorn/dist/acorn.js", "node_modules/js-yaml/dist/js-yaml.cjs.js"].map((file) => ({
  // Named outside node_modules, which the plugin leaves alone by default.
  name: file, filename: path.join(REPO_ROOT, "libraries", path.basename(file)), source: fs.readFileSync(path.join(REPO_ROOT, file), "utf8"), options: {}, extra: {},
}));

/** The file instrumented with traceCmp off and on, in the layout given. */
function bothBuilds(input: Input, pcLayout: PcLayoutName): { off: KcovFileMetadata; on: KcovFileMetadata } {
  const build = (traceCmp: boolean) => instrument(input.source, input.filename, { ...input.options, pcLayout, traceCmp }, input.extra).metadata;
  return { off: build(false), on: build(true) };
}

function expectOwnRegion(on: KcovFileMetadata): void {
  const compares = on.compares!;
  expect(on.compareRegionPc).toMatch(/^0x[0-9a-f]{16}$/);
  const regionPc = BigInt(on.compareRegionPc!);
  expect(regionPc % BigInt(on.compareRegionSize! * 8)).toBe(0n);
  for (const site of compares) {
    expect(site.slotOffset).toBeLessThan(on.compareRegionSize!);
    expect(site.pc).toBe(regionPc + BigInt(site.slotOffset) * 8n);
  }
  // The two regions of the file are disjoint, so no site can take a block's PC.
  const blockStart = BigInt(on.regionPc), blockEnd = blockStart + BigInt(on.regionSize * 8);
  const compareEnd = regionPc + BigInt(on.compareRegionSize! * 8);
  expect(compareEnd <= blockStart || regionPc >= blockEnd).toBe(true);
}

describe.each(PC_LAYOUT_NAMES)("layout %s", (pcLayout) => {
  const inputs = pcLayout === "full64" ? [...fixtureInputs, ...libraryInputs] : fixtureInputs;
  const builds = inputs.map((input) => ({ input, ...bothBuilds(input, pcLayout) }));

  test.each(builds.map((build) => [build.input.name, build] as const))("%s: traceCmp on keeps every block PC and gives each site its own", (_name, { off, on }) => {
    expect(on.regionPc).toBe(off.regionPc);
    expect(on.regionSize).toBe(off.regionSize);
    expect(on.blocks.map((block) => block.pc)).toEqual(off.blocks.map((block) => block.pc));
    const compares = on.compares!;
    if (compares.length === 0) {
      expect(on.compareRegionPc).toBeUndefined();
      return;
    }
    expectOwnRegion(on);
    const pcs = new Set([...on.blocks.map((block) => block.pc), ...compares.map((site) => site.pc)]);
    expect(pcs.size).toBe(on.blocks.length + compares.length);
  });

  test("no two PCs of all these files, blocks or comparison sites, are equal", () => {
    const all = builds.flatMap(({ on }) => [...on.blocks.map((block) => block.pc), ...on.compares!.map((site) => site.pc)]);
    expect(all.length).toBeGreaterThan(inputs.length);
    expect(new Set(all).size).toBe(all.length);
  });
});

test("the libraries have comparison sites (so the checks above see some)", () => {
  for (const input of libraryInputs) {
    expect(bothBuilds(input, "full64").on.compares!.length).toBeGreaterThan(100);
  }
});

const FILE = path.join(REPO_ROOT, "src/compare-pcs.js");

const functions = (extra: string): string => Array.from({ length: 24 }, (_, i) =>
  `exports.f${i} = function (a, b) { if (a === ${i}) return b < a; ${i === 7 ? extra : ""}return a !== b; };`).join("\n");

test("adding comparisons to one function moves no block PC and few other functions' comparison PCs", () => {
  const before = instrument(functions(""), FILE, { traceCmp: true }).metadata;
  const after = instrument(functions("if (b == 'x' || b > 100) return 1; "), FILE, { traceCmp: true }).metadata;
  // Same blocks either way: the new `if` adds blocks to f7 only, so compare without them.
  expect(after.compares!.length).toBe(before.compares!.length + 2);
  const pcsOf = (metadata: KcovFileMetadata, keep: (site: CompareEntry) => boolean) =>
    metadata.compares!.filter(keep).map((site) => site.pc);
  const others = (site: CompareEntry) => site.functionName !== "exports.f7";
  const was = pcsOf(before, others);
  const now = pcsOf(after, others);
  expect(now.length).toBe(was.length);
  const moved = was.filter((pc, i) => pc !== now[i]).length;
  expect(moved).toBeLessThan(was.length / 4);
  // And comparisons never take a block's slot: the blocks of unedited functions stay put.
  const blocksOf = (metadata: KcovFileMetadata) => metadata.blocks.filter((block) => block.functionName !== "exports.f7").map((block) => block.pc);
  const withoutCmp = instrument(functions("if (b == 'x' || b > 100) return 1; "), FILE, {}).metadata;
  expect(blocksOf(after)).toEqual(blocksOf(withoutCmp));
});

describe("symbolize", () => {
  const SOURCE = `
exports.eq = function (a, b) { return a === b; };
exports.kind = function (x) {
  switch (x) { case 1: return "one"; }
  return "s".startsWith(x) || x < 3;
};
`;

  function expectSitesNamed(metadata: KcovFileMetadata): void {
    for (const site of metadata.compares!) {
      const found = symbolize(site.pc);
      expect(found).toEqual({ pc: site.pc, file: "src/compare-pcs.js", start: site.range.start, end: site.range.end, functionName: site.functionName, kind: site.kind });
      expect(formatSymbolized(found!)).toBe(
        `0x${site.pc.toString(16)}\nsrc/compare-pcs.js:${site.range.start.line}.${site.range.start.column + 1},${site.range.end.line}.${site.range.end.column + 1}\n`);
    }
    for (const block of metadata.blocks) expect(symbolize(block.pc)).toMatchObject({ pc: block.pc, kind: block.kind });
  }

  test.each(PC_LAYOUT_NAMES)("resolves each comparison site's PC to its file, line and column (%s), in the program and from a block map", (pcLayout) => {
    const { code, metadata } = instrument(SOURCE, FILE, { traceCmp: true, pcLayout });
    loadCommonJs(code);
    expect(metadata.compares!.map((site) => `${site.kind}@${site.range.start.line}:${site.range.start.column}`))
      .toEqual(["compare:===@2:38", "compare:switch@4:2", "compare:startsWith@5:9", "compare:<@5:30"]);
    expectSitesNamed(metadata);
    if (pcLayout === "kernel32") {
      const low = Number(metadata.compares![0].pc & 0xffffffffn);
      expect(symbolize(low)).toMatchObject({ kind: "compare:===" });
    }
    // jskcov run's block map carries the comparison region to symbolize and report.
    const map = JSON.parse(JSON.stringify(blockMapOf(registeredFiles(), REPO_ROOT)));
    expect(map.files[0]).toMatchObject({ compareRegionPc: metadata.compareRegionPc, compareRegionSize: metadata.compareRegionSize });
    resetRealm();
    installBlockMap(map);
    expectSitesNamed(metadata);
    // A map whose comparison region is damaged is refused, naming the entry.
    const mapFile = path.join(os.tmpdir(), `cmp-pcs-map-${process.pid}-${pcLayout}.json`);
    try {
      fs.writeFileSync(mapFile, JSON.stringify({ ...map, files: [{ ...map.files[0], compareRegionPc: map.files[0].regionPc }] }));
      expect(() => readBlockMap(mapFile)).toThrow(/files\[0\] is malformed: its comparison region .* overlaps its block region/);
    } finally {
      fs.rmSync(mapFile, { force: true });
    }
    // A PC in the comparison region that is no site's is no one's.
    const unused = BigInt(metadata.compareRegionPc!) + BigInt(metadata.compareRegionSize! - 1) * 8n;
    expect(symbolize(unused)).toBeUndefined();
  });

  const site: CompareEntry = {
    index: 0, kind: "compare:===", pc: 0n, slotOffset: 5, functionName: "f", source: "old.js",
    range: { start: { line: 3, column: 4 }, end: { line: 3, column: 11 } },
  };

  test("a version 1 table (before comparison regions: sites in the block region) still loads", () => {
    const record = makeRecord({ path: "old.js", regionStart: 0x1000, regionSize: 128, blocks: [{ slotOffset: 0 }] });
    const block: BlockEntry = { ...site, kind: "program", slotOffset: 0, counter: 0, range: { start: { line: 1, column: 0 }, end: { line: 9, column: 0 } } };
    registerRecord({ ...record, table: JSON.stringify({ ...toRuntimeTable([block], [], [site]), version: 1 }) });
    expect(symbolize(pcOf(0x1000 + 5))).toMatchObject({ file: "old.js", kind: "compare:===", start: { line: 3, column: 4 } });
    expect(symbolize(pcOf(0x1000))).toMatchObject({ kind: "program" });
  });

  test("a table that does not match its registration fails with a clear error", () => {
    const record = makeRecord({ path: "new.js", regionStart: 0x1000, regionSize: 128, blocks: [{ slotOffset: 0 }] });
    const compares = toRuntimeTable([], [], [site]).compares;
    registerRecord({ ...record, table: JSON.stringify({ ...JSON.parse(record.table), version: 2, compares }) });
    expect(() => symbolize(pcOf(0x1000))).toThrow(/"new.js" has comparison sites, but its registration gives them no region/);
    resetRealm();
    registerRecord({ ...record, path: "future.js", table: JSON.stringify({ ...JSON.parse(record.table), version: 3 }) });
    expect(() => symbolize(pcOf(0x1000))).toThrow(/"future.js" has version 3, not 1 or 2\. Re-instrument it/);
    resetRealm();
    const outside = toRuntimeTable([], [], [{ ...site, slotOffset: 128 }]).compares;
    registerRecord({ ...record, path: "outside.js", compareRegionPc: formatPc(pcOf(0x2000)), compareRegionSize: 128,
      table: JSON.stringify({ ...JSON.parse(record.table), version: 2, compares: outside }) });
    expect(() => symbolize(pcOf(0x1000))).toThrow(/"outside.js" puts comparison site 0 at slot offset 128, outside its region/);
  });
});

describe("registry", () => {
  const withCompareRegion = (spec: Parameters<typeof makeRecord>[0], compareStart: number, compareSize = 128): KcovFileRecord =>
    ({ ...makeRecord(spec), compareRegionPc: formatPc(pcOf(compareStart)), compareRegionSize: compareSize });

  const adopt = () => symbolize(0n); // any runtime call adopts the registry and checks what is there

  test("a comparison region that overlaps another file's block region is a clash, as two block regions are", () => {
    registerRecord(makeRecord({ path: "a.js", regionStart: 0x4000, regionSize: 256, blocks: [{ slotOffset: 0 }] }));
    adopt();
    const error = thrownBy(() => registerRecord(withCompareRegion({ path: "b.js", regionStart: 0x8000, regionSize: 128, blocks: [{ slotOffset: 0 }] }, 0x4080)));
    expect(error.files).toEqual(["a.js", "b.js"]);
    expect(error.message).toMatch(/the PC regions of "a\.js" \(PCs 0xffffffff80020000\.\.0xffffffff80020800\) and "b\.js" \(its comparison sites\) \(PCs 0xffffffff80020400\.\.0xffffffff80020800\) overlap, so their blocks and comparison sites could share PCs/);
    expect(error.message).toMatch(/pcSeedByFile: \{ "b\.js": <seed> \}/);
    expect(registry().files.map((file) => file.path)).toEqual(["a.js"]);
  });

  test("so is a block region that overlaps an earlier file's comparison region, and two comparison regions", () => {
    registerRecord(withCompareRegion({ path: "a.js", regionStart: 0x4000, regionSize: 128, blocks: [{ slotOffset: 0 }] }, 0x9000));
    adopt();
    expect(thrownBy(() => registerRecord(makeRecord({ path: "b.js", regionStart: 0x9000, regionSize: 128, blocks: [{ slotOffset: 0 }] }))).message)
      .toMatch(/"a\.js" \(its comparison sites\) .* and "b\.js" \(PCs .*\) overlap, so their comparison sites and blocks could share PCs/);
    expect(thrownBy(() => registerRecord(withCompareRegion({ path: "c.js", regionStart: 0xa000, regionSize: 128, blocks: [{ slotOffset: 0 }] }, 0x9000, 256))).message)
      .toMatch(/overlap, so their comparison sites could share PCs/);
    // Apart, they all load.
    registerRecord(withCompareRegion({ path: "d.js", regionStart: 0xa000, regionSize: 128, blocks: [{ slotOffset: 0 }] }, 0x9100));
    expect(registry().files.map((file) => file.path)).toEqual(["a.js", "d.js"]);
  });

  test("jskcov run's handling applies: the clashing file is left out, the earlier one stays covered", () => {
    const reports: string[] = [];
    leaveOutClashingFiles((error, file) => reports.push(`${error.files.join(",")}:${file.path}`));
    registerRecord(makeRecord({ path: "a.js", regionStart: 0x4000, regionSize: 128, blocks: [{ slotOffset: 0 }] }));
    const clashing = registerRecord(withCompareRegion({ path: "b.js", regionStart: 0x8000, regionSize: 128, blocks: [{ slotOffset: 0 }] }, 0x4000));
    expect(reports).toEqual(["a.js,b.js:b.js"]);
    expect(clashing.leftOut).toMatch(/overlap/);
    expect(symbolize(pcOf(0x4000))).toMatchObject({ file: "a.js" });
    expect(symbolize(pcOf(0x8000))).toBeUndefined();
  });

  test.each([
    [{ compareRegionPc: formatPc(pcOf(0x1000)) }, /compareRegionSize undefined is not a power of two/],
    [{ compareRegionPc: formatPc(pcOf(0x1001)), compareRegionSize: 128 }, /compareRegionPc 0xffffffff80008008 is not a multiple of the region's 1024 bytes/],
    [{ compareRegionPc: formatPc(pcOf(0x4000)), compareRegionSize: 128 }, /its comparison region .* overlaps its block region/],
  ])("a malformed comparison region is refused: %o", (fields, message) => {
    adopt();
    const record = { ...makeRecord({ path: "m.js", regionStart: 0x4000, regionSize: 128, blocks: [{ slotOffset: 0 }] }), ...fields };
    expect(thrownBy(() => registerRecord(record)).message).toMatch(message);
  });

  test.each(PC_LAYOUT_NAMES)("the seed jskcov run suggests places both regions clear of other files' comparison regions too (%s)", (pcLayout) => {
    const space = PC_LAYOUTS[pcLayout];
    const file = { path: "moved.js", regionSize: 128, compareRegionSize: 256 };
    const at = (start: bigint) => formatPc(space.firstPc + start * 8n);
    const seed1 = regionStartsFor(file.path, file.regionSize, file.compareRegionSize, 1, space);
    const seed2 = regionStartsFor(file.path, file.regionSize, file.compareRegionSize, 2, space);
    // Another file whose comparison region covers seed 1's block region, and whose block region covers seed 2's comparison region.
    const taken = [{ regionPc: at(seed2.compare!), regionSize: 256, compareRegionPc: at(seed1.block), compareRegionSize: 128 }];
    expect(seedClearOf(file, 0, pcLayout, taken)).toBe(3);
    expect(seedClearOf(file, 0, pcLayout, [])).toBe(1);
  });
});
