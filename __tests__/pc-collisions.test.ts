// How likely two files' PC regions overlap (docs/block-table.md, "How likely two files
// overlap"): the formula, checked against placement by the real hash where overlaps are
// frequent enough to count, then applied to the measured sizes of real files.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./helpers/instrument";
import { PC_LAYOUTS, expectedOverlappingPairs, hash64, regionSizeFor, regionStartFor, type PcSpace } from "../plugin/pc-layout";

/** Block counts of every JavaScript file in this repository's node_modules (bench/block-counts.mjs). */
const measured = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "bench/block-counts.json"), "utf8")) as {
  blockCountFiles: Array<[number, number]>;
};
const blockCounts = measured.blockCountFiles.flatMap(([blocks, files]) => Array<number>(files).fill(blocks));
const regionSizes = blockCounts.map(regionSizeFor);

/** Deterministic draws (xorshift32), so every run of the test sees the same files. */
function drawSizes(count: number, seed: number): number[] {
  let state = seed * 2654435761 + 1;
  return Array.from({ length: count }, () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return regionSizes[state % regionSizes.length];
  });
}

/** Places `sizes.length` files (paths t<trial>/f<i>.js) in `space` and counts the overlapping pairs. */
function overlappingPairs(sizes: readonly number[], trial: number, space: PcSpace, pcSeed = 0): number {
  const regions = sizes.map((size, i) => {
    const start = regionStartFor(`t${trial}/f${i}.js`, size, pcSeed, space);
    return { start, end: start + BigInt(size) };
  });
  let pairs = 0;
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      if (regions[i].start < regions[j].end && regions[j].start < regions[i].end) pairs++;
    }
  }
  return pairs;
}

describe("expected overlapping pairs = C(N, 2) * E[max(R_i, R_j)] / slots", () => {
  test("agrees with placement by the real hash in a space small enough for overlaps to be common", () => {
    const tiny: PcSpace = { firstPc: 0n, slotCount: 1n << 22n, hash: hash64 };
    const files = 200;
    const trials = 300;
    let observed = 0;
    for (let trial = 0; trial < trials; trial++) observed += overlappingPairs(drawSizes(files, trial), trial, tiny);
    // The formula over the population the sizes are drawn from, per trial.
    const formula = expectedOverlappingPairs(regionSizes, files, Number(tiny.slotCount));
    expect(formula).toBeGreaterThan(1);
    // Hundreds of overlaps in all: the count is within 4 standard deviations (Poisson) of the formula's.
    expect(Math.abs(observed - formula * trials)).toBeLessThan(4 * Math.sqrt(formula * trials));
  });

  test("agrees with the kernel32 layout's real placement at 1,000 real-size files", () => {
    const files = 1000;
    const trials = 100;
    let observed = 0;
    for (let trial = 0; trial < trials; trial++) observed += overlappingPairs(drawSizes(files, 1000 + trial), trial, PC_LAYOUTS.kernel32);
    const formula = expectedOverlappingPairs(regionSizes, files, Number(PC_LAYOUTS.kernel32.slotCount));
    expect(Math.abs(observed - formula * trials)).toBeLessThan(4 * Math.sqrt(formula * trials));
  });

  test("for 100,000 files of the measured sizes: below 1e-6 in full64, thousands in kernel32", () => {
    expect(blockCounts.length).toBeGreaterThan(1000);
    expect(expectedOverlappingPairs(regionSizes, 100_000, Number(PC_LAYOUTS.full64.slotCount))).toBeLessThan(1e-6);
    // kernel32's limits, as docs/block-table.md states them.
    const kernel = (files: number) => expectedOverlappingPairs(regionSizes, files, Number(PC_LAYOUTS.kernel32.slotCount));
    expect(kernel(100)).toBeLessThan(0.01);
    expect(kernel(1000)).toBeGreaterThan(0.5);
    expect(kernel(100_000)).toBeGreaterThan(1000);
  });
});
