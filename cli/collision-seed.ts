// The way out of a PC region clash that `jskcov run` prints: a seed for the second file
// (pcSeedByFile / --pc-seed-for) under which its region overlaps none of the files
// loaded so far, checked, and never the seed it already has.

import { PC_LAYOUTS, formatPc, regionStartFor, type PcLayoutName } from "../plugin/pc-layout";
import { regionsOverlap, type KcovFileRecord } from "../runtime/registry";

/**
 * The smallest seed from 1 up, other than `currentSeed`, that places the region of
 * `file` (its path and size) clear of every region in `taken`. Only files that loaded
 * so far are known: one that loads later can still clash.
 */
export function seedClearOf(
  file: Pick<KcovFileRecord, "path" | "regionSize">,
  currentSeed: number,
  pcLayout: PcLayoutName,
  taken: ReadonlyArray<Pick<KcovFileRecord, "regionPc" | "regionSize">>,
): number | undefined {
  const space = PC_LAYOUTS[pcLayout];
  for (let seed = 1; seed <= 0xffffffff; seed++) {
    if (seed === currentSeed) continue;
    const start = regionStartFor(file.path, file.regionSize, seed, space);
    const candidate = { regionPc: formatPc(space.firstPc + start * 8n), regionSize: file.regionSize };
    if (!taken.some((region) => regionsOverlap(region, candidate))) return seed;
  }
  return undefined;
}
