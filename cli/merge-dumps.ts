// Merging dumps: the per-process dumps of one `jskcov run`, or the dumps of separate runs
// (`jskcov merge`). The result is one ordinary dump and one block map, which symbolize
// and report read like any other:
// - the block map holds every file of every input once, in the order first seen; a file
//   is the same file when its path and fingerprint are (same code, same PCs), or when
//   only options that move no block differ (counter mode, traceCmp: same blocks, same PCs);
// - files left out of coverage in any input (clashing PC regions) are listed once;
// - the dump holds every PC that ran in any input once, in the order first seen (the
//   inputs in order, each in its own flush order), as one flush of a kcov area would.

import { readArea, readBlockMap, whyPcsDiffer, type BlockMap, type BlockMapFile, type LeftOutFile } from "./coverage-files";
import { blockMapPathFor } from "./run-config";

export interface DumpInput {
  /** Names the input in errors: the dump's path. */
  name: string;
  pcs: readonly bigint[];
  map: BlockMap;
}

/** Reads the dump at `dumpPath` and its block map beside it. Throws, naming the file. */
export function readDumpInput(dumpPath: string): DumpInput {
  return { name: dumpPath, pcs: readArea(dumpPath), map: readBlockMap(blockMapPathFor(dumpPath)) };
}

/**
 * One dump and block map for all of `inputs`. Throws when they cannot describe the same
 * PCs: a different root, or one path with other blocks or PCs in two inputs.
 */
export function mergeDumps(inputs: readonly DumpInput[]): { pcs: bigint[]; map: BlockMap } {
  if (inputs.length === 0) throw new Error("there are no dumps to merge");
  const [first] = inputs;
  const files = new Map<string, { file: BlockMapFile; from: string }>();
  const pcs = new Set<bigint>();
  const leftOut = new Map<string, LeftOutFile>();
  for (const input of inputs) {
    for (const file of input.map.leftOut ?? []) leftOut.set(`${file.path}\0${file.fingerprint}`, file);
    if (input.map.root !== first.map.root) {
      throw new Error(
        `cannot merge ${input.name} with ${first.name}: their roots differ (${input.map.root} and ${first.map.root}), so their paths and PCs do not match`,
      );
    }
    for (const file of input.map.files) {
      const seen = files.get(file.path);
      if (seen === undefined) {
        files.set(file.path, { file, from: input.name });
      } else {
        const why = whyPcsDiffer(seen.file, file);
        if (why !== undefined) {
          throw new Error(
            `cannot merge ${input.name} with ${seen.from}: ${file.path} ${why} ` +
              `(fingerprint ${file.fingerprint} and ${seen.file.fingerprint}), so its PCs mean different blocks`,
          );
        }
      }
    }
    for (const pc of input.pcs) pcs.add(pc);
  }
  const map: BlockMap = { ...first.map, files: [...files.values()].map(({ file }) => file) };
  delete map.leftOut;
  if (leftOut.size > 0) map.leftOut = [...leftOut.values()];
  return { pcs: [...pcs], map };
}
