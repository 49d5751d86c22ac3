// `jskcov report`: lcov and HTML line coverage from a dump and its block map, written by
// istanbul-reports from the data line-coverage.ts derives.

import * as fs from "node:fs";
import * as path from "node:path";
import * as libReport from "istanbul-lib-report";
import * as reports from "istanbul-reports";
import { blocks } from "../runtime";
import { UsageError, checkInputFile, parseCommandLine, type OptionSpec } from "./arguments";
import { installBlockMap, readArea, readBlockMap } from "./coverage-files";
import { buildCoverageMap, type ExecutedBlock } from "./line-coverage";
import { changedSources, tableSources } from "./source-hashes";
import { blockMapPathFor } from "./run-config";

export const REPORT_HELP = `Usage: jskcov report [--lcov] [--out FILE] [--html] [--html-dir DIR] [options] [DUMP]

Line coverage of the blocks a dump holds, in original source coordinates (a .ts file is
reported as the .ts source), for lcov consumers (genhtml, Codecov, editors) and as an
HTML report. Every line that holds code is reported; it counts as run when the innermost
block containing its first token ran, as V8's own block coverage counts it; docs/cli.md
gives the rule in full. Sources are read from the
root; the blocks and PCs come from the map alone.

Arguments:
  DUMP              The kcov dump of 'jskcov run' (default: kcov.out)
Options:
  --lcov            Write lcov (the default when no format is chosen)
  --out FILE        Where the lcov goes (default: lcov.info)
  --html            Write an HTML report
  --html-dir DIR    Where the HTML report goes (default: jskcov-html)
  --map MAP         The block map (default: DUMP.blocks.json)
  --root DIR        Where the sources are (default: the root recorded in the map)
  -h, --help        Show this help
`;

const REPORT_OPTIONS = {
  lcov: { type: "boolean" },
  out: { type: "string" },
  html: { type: "boolean" },
  "html-dir": { type: "string" },
  map: { type: "string" },
  root: { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies OptionSpec;

export function reportCommand(args: string[]): number {
  const { values, positionals } = parseCommandLine("report", { args, options: REPORT_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError("report", `give one DUMP, got '${positionals.join("' '")}'`);
  if (values.out !== undefined && values.html && !values.lcov) {
    throw new UsageError("report", "option '--out' names the lcov file: add '--lcov', or use '--html-dir' for HTML");
  }
  const dump = positionals[0] ?? "kcov.out";
  checkInputFile("report", "dump", dump);
  const mapPath = values.map ?? blockMapPathFor(dump);
  checkInputFile("report", "block map", mapPath, "; name it with '--map'");
  const map = readBlockMap(mapPath);
  const root = path.resolve(values.root ?? map.root);
  if (values.root !== undefined && !isDirectory(root)) {
    throw new UsageError("report", `option '--root' must name a directory, got '${values.root}'`);
  }
  const lcovPath = path.resolve(values.out ?? "lcov.info");
  if (isDirectory(lcovPath)) throw new UsageError("report", `option '--out' names a directory, '${values.out ?? "lcov.info"}': give the lcov file`);
  const htmlDir = path.resolve(values["html-dir"] ?? "jskcov-html");
  if (fs.existsSync(htmlDir) && !isDirectory(htmlDir)) {
    throw new UsageError("report", `option '--html-dir' names a file, '${values["html-dir"] ?? "jskcov-html"}': give a directory`);
  }

  const warn = (message: string) => process.stderr.write(`jskcov report: warning: ${message}\n`);
  const hitsByPc = new Map<bigint, number>();
  for (const pc of readArea(dump)) hitsByPc.set(pc, (hitsByPc.get(pc) ?? 0) + 1);
  installBlockMap(map);
  const executed: ExecutedBlock[] = [...blocks()].map((block) => ({ block, hits: hitsByPc.get(block.pc) ?? 0 }));

  // The dump, the map and the sources must describe the same code; say so when they do not.
  const knownPcs = new Set(executed.map((entry) => entry.block.pc));
  const unknownPcs = [...hitsByPc.keys()].filter((pc) => !knownPcs.has(pc));
  if (unknownPcs.length > 0) {
    const shown = unknownPcs.slice(0, 5).map((pc) => `0x${pc.toString(16)}`).join(", ");
    warn(`${unknownPcs.length} PC(s) in ${dump} are in no block of ${mapPath} (${shown}${unknownPcs.length > 5 ? ", ..." : ""}): ` +
      "the dump and the map are not from the same run; those PCs are left out");
  }
  for (const source of changedSources(map.files, root)) {
    warn(`${source} changed since the run (its content hash differs from the one in ${mapPath}): its lines may be counted against the wrong code`);
  }
  // Files instrumented through an input source map: their blocks moved to the original sources.
  const generated = new Set(map.files.filter((file) => tableSources(file.table).some((source) => source !== file.path)).map((file) => file.path));

  const { coverageMap, sources } = buildCoverageMap(executed, root, warn, generated);
  const sourceFinder = (file: string) => sources.get(file) ?? fs.readFileSync(file, "utf8");

  const written: string[] = [];
  if (values.lcov || !values.html) {
    const context = libReport.createContext({ dir: path.dirname(lcovPath), coverageMap, sourceFinder });
    reports.create("lcovonly", { file: path.basename(lcovPath), projectRoot: root }).execute(context);
    written.push(lcovPath);
  }
  if (values.html) {
    const context = libReport.createContext({ dir: htmlDir, coverageMap, sourceFinder });
    reports.create("html", {}).execute(context);
    written.push(path.join(htmlDir, "index.html"));
  }
  const lines = coverageMap.getCoverageSummary().lines;
  process.stdout.write(
    `jskcov report: ${coverageMap.files().length} files, lines ${lines.covered}/${lines.total} ` +
      `(${lines.pct}%); wrote ${written.join(", ")}\n`,
  );
  return 0;
}

function isDirectory(file: string): boolean {
  return fs.existsSync(file) && fs.statSync(file).isDirectory();
}
