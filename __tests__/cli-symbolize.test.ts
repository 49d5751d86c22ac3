// jskcov symbolize: runsc symbolize's two lines per PC, from the block map alone.

import * as fs from "node:fs";
import * as path from "node:path";
import * as babel from "@babel/core";
import { REPO, expectStatus, hex, jskcov, makeProject, readDump, removeProjects, requireBuild, symbolizedPairs } from "./cli-helpers";

interface Block {
  pc: bigint;
  source: string;
  range: { start: { line: number; column: number }; end: { line: number; column: number } };
}

/** The text form: lines from 1, columns from 1 (the table's columns count from 0). */
function expectedPair(block: Block): [string, string] {
  const { start, end } = block.range;
  return [hex(block.pc), `${block.source}:${start.line}.${start.column + 1},${end.line}.${end.column + 1}`];
}

let project: string;
let allBlocks: Block[];
let kernel32Blocks: Block[];

beforeAll(() => {
  requireBuild();
  project = makeProject({
    "lib.js": 'exports.sign = function sign(n) {\n  if (n < 0) return "-";\n  return n > 0 ? "+" : "0";\n};\n',
    "main.js": 'const { sign } = require("./lib");\nfor (const arg of process.argv.slice(2)) console.log(sign(Number(arg)));\n',
  });
  const blocksOf = (options: object) => ["lib.js", "main.js"].flatMap((file) => {
    const result = babel.transformFileSync(path.join(project, file), {
      cwd: project, babelrc: false, configFile: false, plugins: [[path.join(REPO, "dist/plugin/index.js"), options]],
    });
    return (result?.metadata as unknown as { kcov: { blocks: Block[] } }).kcov.blocks;
  });
  allBlocks = blocksOf({});
  kernel32Blocks = blocksOf({ pcLayout: "kernel32" });
  expectStatus(jskcov(project, ["run", "--no-cache", "--", "main.js", "5", "0"]), 0);
  expectStatus(jskcov(project, ["run", "--no-cache", "--pc-layout", "kernel32", "--out", "k32.out", "--", "main.js", "5"]), 0);
  // The sources are not needed any more: the map is enough.
  fs.rmSync(path.join(project, "lib.js"));
  fs.rmSync(path.join(project, "main.js"));
});
afterAll(removeProjects);

const byPc = (pc: bigint) => allBlocks.find((block) => block.pc === pc)!;

test("a dump: two lines per PC, in the dump's order, as the plugin's block table says", () => {
  const pcs = readDump(path.join(project, "kcov.out"));
  const result = jskcov(project, ["symbolize", "kcov.out"]);
  expectStatus(result, 0);
  expect(symbolizedPairs(result.stdout)).toEqual(pcs.map((pc) => expectedPair(byPc(pc))));
  // The positive and zero outcomes ran, the negative did not.
  expect(result.stdout).toContain("lib.js:3.18,3.21\n");
  expect(result.stdout).toContain("lib.js:3.24,3.27\n");
  expect(result.stdout).not.toContain("lib.js:2.14,");
});

test("PCs on the command line, with or without 0x, with --map", () => {
  const [first, second] = allBlocks;
  const result = jskcov(project, ["symbolize", "--map", "kcov.out.blocks.json", hex(second.pc), first.pc.toString(16)]);
  expectStatus(result, 0);
  expect(symbolizedPairs(result.stdout)).toEqual([expectedPair(second), expectedPair(first)]);
});

test("kernel32 PCs, full or as their low 32 bits", () => {
  const [first, second] = kernel32Blocks;
  expect(first.pc >> 32n).toBe(0xffffffffn);
  const low32 = (first.pc & 0xffffffffn).toString(16);
  const result = jskcov(project, ["symbolize", "--map", "k32.out.blocks.json", hex(second.pc), low32]);
  expectStatus(result, 0);
  expect(symbolizedPairs(result.stdout)).toEqual([expectedPair(second), expectedPair(first)]);
});

test("--all lists every block of the map by PC", () => {
  const result = jskcov(project, ["symbolize", "--all", "--map", "kcov.out.blocks.json"]);
  expectStatus(result, 0);
  const sorted = [...allBlocks].sort((a, b) => (a.pc < b.pc ? -1 : 1));
  expect(symbolizedPairs(result.stdout)).toEqual(sorted.map(expectedPair));
});

test("an unknown PC is reported on stderr, and the status is 1", () => {
  const known = allBlocks[0];
  const result = jskcov(project, ["symbolize", "--map", "kcov.out.blocks.json", "0xffffffff80000008", hex(known.pc)]);
  expectStatus(result, 1);
  expect(result.stderr).toContain("has PC 0xffffffff80000008");
  expect(symbolizedPairs(result.stdout)).toEqual([expectedPair(known)]);
});

test("a file that is not a kcov dump is refused, naming it", () => {
  fs.writeFileSync(path.join(project, "short.out"), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
  const result = jskcov(project, ["symbolize", "--map", "kcov.out.blocks.json", "short.out"]);
  expectStatus(result, 1);
  expect(result.stderr).toContain("short.out is not a kcov area");
});
