// What `jskcov run` does when the program has ended: merges the dumps that its processes
// and threads wrote into the run's dump and block map, warns about coverage that is
// missing, and prints the summary. Loaded only then, so it costs the start-up nothing.

import * as fs from "node:fs";
import { BLOCK_MAP_FORMAT, BLOCK_MAP_VERSION, encodeArea } from "./coverage-files";
import { mergeDumps } from "./merge-dumps";
import { readProcessDumps, uncoveredChildren } from "./process-dumps";
import { RUN_CONFIG_ENV, blockMapPathFor, type SerializedRunConfig } from "./run-config";
import { stringifyJson } from "../runtime/own-json";

/**
 * Merges the per-process dumps into the run's dump and block map; warns about what is
 * missing. Returns how many files were left out of coverage (clashing PC regions).
 */
export function mergeProcessDumps(config: SerializedRunConfig, processDir: string): number {
  const dumps = readProcessDumps(processDir);
  const { pcs, map } = mergeDumps(
    dumps.length > 0 ? dumps.map((dump) => ({ name: dump.dumpPath, pcs: dump.pcs, map: dump.map })) : [{ name: "none", pcs: [], map: { format: BLOCK_MAP_FORMAT, version: BLOCK_MAP_VERSION, root: config.root, files: [] } }],
  );
  fs.writeFileSync(config.out, encodeArea(pcs));
  fs.writeFileSync(blockMapPathFor(config.out), stringifyJson(map) + "\n");

  const warn = (text: string) => process.stderr.write(`jskcov: warning: ${text}\n`);
  if (dumps.length === 0) {
    warn("the program wrote no coverage: it did not run Node with jskcov's preload, or ended by SIGKILL");
  } else if (map.files.length === 0) {
    warn(
      `no instrumented file was loaded (filter ${config.filter.map((glob) => `'${glob}'`).join(" ")}, root ${config.root}); ` +
        `the dump is empty. Check --filter and --root.`,
    );
  }
  const leftOut = map.leftOut ?? [];
  if (leftOut.length > 0) {
    warn(`${leftOut.length} files were left out of coverage, their PC regions clashing with files loaded before them (the fix was printed when each loaded): ${leftOut.map((file) => file.path).join(", ")}`);
  }
  const missing = uncoveredChildren(dumps);
  if (missing.length > 0) {
    warn(`${missing.length} Node processes or threads ran without coverage (an environment without NODE_OPTIONS or ${RUN_CONFIG_ENV}, killed, or terminated):\n  ${missing.join("\n  ")}`);
  }
  if (config.progress) {
    const transformed = dumps.reduce((sum, dump) => sum + dump.record.transformedFiles, 0);
    const fromCache = dumps.reduce((sum, dump) => sum + dump.record.transformedFromCache, 0);
    const blockCount = map.files.reduce((sum, file) => sum + file.blockCount, 0);
    process.stderr.write(
      `jskcov: ${dumps.length} processes and threads; transformed ${transformed} files (${fromCache} from the cache); ` +
        `${map.files.length} instrumented files loaded, ${pcs.length} of ${blockCount} blocks ran; wrote ${config.out}\n`,
    );
  }
  return leftOut.length;
}
