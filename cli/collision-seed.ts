// The way out of a PC region clash that `jskcov run` prints: a seed for the second file
// (pcSeedByFile / --pc-seed-for) under which its region overlaps none of the files
// loaded so far, checked, and never the seed it already has.

import { PC_LAYOUTS, formatPc, regionStartsFor, type PcLayoutName } from "../plugin/pc-layout";
import { regionsOf, regionsOverlap, type KcovFileRecord } from "../runtime/registry";

/**
 * The smallest seed from 1 up, other than `currentSeed`, that places the regions of
 * `file` (its path and their sizes: blocks, and comparison sites if it has any) clear of
 * every region of the files in `taken`. Only files that loaded so far are known: one that
 * loads later can still clash.
 */
export function seedClearOf(
  file: Pick<KcovFileRecord, "path" | "regionSize" | "compareRegionSize">,
  currentSeed: number,
  pcLayout: PcLayoutName,
  taken: ReadonlyArray<Pick<KcovFileRecord, "regionPc" | "regionSize" | "compareRegionPc" | "compareRegionSize">>,
): number | undefined {
  const space = PC_LAYOUTS[pcLayout];
  const takenRegions = taken.flatMap((record) => regionsOf(record));
  const regionAt = (start: bigint, regionSize: number) => ({ regionPc: formatPc(space.firstPc + start * 8n), regionSize });
  for (let seed = 1; seed <= 0xffffffff; seed++) {
    if (seed === currentSeed) continue;
    const starts = regionStartsFor(file.path, file.regionSize, file.compareRegionSize, seed, space);
    const candidates = [regionAt(starts.block, file.regionSize)];
    if (starts.compare !== undefined) candidates.push(regionAt(starts.compare, file.compareRegionSize!));
    if (!takenRegions.some((region) => candidates.some((candidate) => regionsOverlap(region, candidate)))) return seed;
  }
  return undefined;
}
