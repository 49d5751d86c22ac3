// `jskcov merge`: one dump and block map from several, e.g. the runs of a test suite in
// separate `jskcov run`s, or the per-process dumps kept by --keep-per-process. The result
// is what `symbolize` and `report` read. merge-dumps.ts says how dumps combine.

import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError, parseCommandLine, type OptionSpec } from "./arguments";
import { encodeArea } from "./coverage-files";
import { mergeDumps, readDumpInput } from "./merge-dumps";
import { dumpFilesIn } from "./process-dumps";
import { blockMapPathFor } from "./run-config";
import { stringifyJson } from "../runtime/own-json";

export const MERGE_HELP = `Usage: jskcov merge [--out FILE] DUMP|DIR...

Merges kcov dumps of 'jskcov run' (each with its DUMP.blocks.json) into one dump and one
block map: every file of every map once, every PC that ran in any dump once, in the order
first seen. A DIR is a directory of per-process dumps ('jskcov run --keep-per-process
DIR'). The dumps must come from the same root, and a file that is in several maps must be
the same code in each (its PCs would mean different blocks otherwise).

Options:
  --out FILE   The merged dump (default: kcov.out); its map goes to FILE.blocks.json
  -h, --help   Show this help

Example:
  jskcov run --out unit.kcov -- test/unit.js && jskcov run --out e2e.kcov -- test/e2e.js
  jskcov merge --out all.kcov unit.kcov e2e.kcov && jskcov report all.kcov
`;

const MERGE_OPTIONS = {
  out: { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies OptionSpec;

export function mergeCommand(args: string[]): number {
  const { values, positionals } = parseCommandLine("merge", { args, options: MERGE_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(MERGE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("merge", "give the dumps (or directories of dumps) to merge");
  const dumpPaths: string[] = [];
  for (const given of positionals) {
    if (!fs.existsSync(given)) throw new UsageError("merge", `the dump '${given}' does not exist`);
    if (fs.statSync(given).isDirectory()) {
      const inDir = dumpFilesIn(given);
      if (inDir.length === 0) throw new UsageError("merge", `the directory '${given}' holds no per-process dumps (<pid>.kcov with <pid>.process.json)`);
      dumpPaths.push(...inDir);
    } else {
      if (!fs.existsSync(blockMapPathFor(given))) {
        throw new UsageError("merge", `the dump '${given}' has no block map '${blockMapPathFor(given)}' beside it`);
      }
      dumpPaths.push(given);
    }
  }
  const out = path.resolve(values.out ?? "kcov.out");
  if (dumpPaths.some((dump) => path.resolve(dump) === out)) {
    throw new UsageError("merge", `option '--out' names one of the inputs ('${values.out ?? "kcov.out"}'); choose another file`);
  }
  const { pcs, map } = mergeDumps(dumpPaths.map(readDumpInput));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, encodeArea(pcs));
  fs.writeFileSync(blockMapPathFor(out), stringifyJson(map) + "\n");
  return 0;
}
