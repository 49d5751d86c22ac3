// `jskcov symbolize`: gVisor's `runsc symbolize`, over a block map. The lines come from
// the runtime's formatSymbolized, fed by the map put back into a registry.

import * as fs from "node:fs";
import { blocks, formatSymbolized, symbolize } from "../runtime";
import { UsageError, checkInputFile, parseCommandLine, type OptionSpec } from "./arguments";
import { installBlockMap, readArea, readBlockMap } from "./coverage-files";
import { blockMapPathFor } from "./run-config";

export const SYMBOLIZE_HELP = `Usage: jskcov symbolize [--map MAP] [--all] [DUMP | PC...]

Prints, for each PC, two lines as gVisor's 'runsc symbolize' does:
  0x<pc in hex>
  <file>:<startLine>.<startColumn>,<endLine>.<endColumn>
Lines and columns count from 1; the end is exclusive. Files are relative to the root
of the 'jskcov run' that wrote the map.

Arguments:
  DUMP            A kcov dump written by 'jskcov run': its PCs, in order. The map
                  defaults to DUMP.blocks.json.
  PC...           PCs in hex (0x optional), e.g. as a fuzzer reports them; for code
                  instrumented with --pc-layout kernel32, also the low 32 bits alone.
                  Needs --map, unless kcov.out.blocks.json exists.
Options:
  --map MAP       The block map to read
  --all           Every block of the map, by PC, instead of DUMP or PCs
  -h, --help      Show this help

A PC that no block has is reported on stderr, and the exit status is then 1.
`;

const SYMBOLIZE_OPTIONS = {
  map: { type: "string" },
  all: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} satisfies OptionSpec;

const PC_PATTERN = /^(0x)?[0-9a-f]{1,16}$/i;

export function symbolizeCommand(args: string[]): number {
  const { values, positionals } = parseCommandLine("symbolize", { args, options: SYMBOLIZE_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(SYMBOLIZE_HELP);
    return 0;
  }
  if (values.all && positionals.length > 0) {
    throw new UsageError("symbolize", `option '--all' lists every block; do not also give '${positionals[0]}'`);
  }

  let pcs: bigint[] = [];
  let mapPath = values.map;
  // One argument that names a file (or cannot be a PC) is a dump.
  const isDump = positionals.length === 1 && (fs.existsSync(positionals[0]) || !PC_PATTERN.test(positionals[0]));
  if (isDump) {
    const dump = positionals[0];
    checkInputFile("symbolize", "dump", dump, /^(0x)?[0-9a-f]{17,}$/i.test(dump) ? " (as a PC it is more than 64 bits)" : "");
    pcs = readArea(dump);
    mapPath ??= blockMapPathFor(dump);
  } else {
    for (const text of positionals) {
      if (!PC_PATTERN.test(text)) throw new UsageError("symbolize", `'${text}' is neither a PC in hex (up to 64 bits) nor a dump file`);
      pcs.push(BigInt(text.startsWith("0x") || text.startsWith("0X") ? text : `0x${text}`));
    }
    if (!values.all && pcs.length === 0) throw new UsageError("symbolize", "give a DUMP, PCs, or --all");
    mapPath ??= blockMapPathFor("kcov.out");
  }
  checkInputFile("symbolize", "block map", mapPath, "; name it with '--map'");
  installBlockMap(readBlockMap(mapPath));

  const out: string[] = [];
  if (values.all) {
    const all = [...blocks()].sort((a, b) => (a.pc < b.pc ? -1 : a.pc > b.pc ? 1 : 0));
    for (const block of all) out.push(formatSymbolized(block));
    process.stdout.write(out.join(""));
    return 0;
  }
  let unknown = 0;
  for (const pc of pcs) {
    // A 32-bit PC is symbolized from its low half, as older syzkaller kept it (kernel32 layout).
    const block = symbolize(pc <= 0xffffffffn ? Number(pc) : pc);
    if (block === undefined) {
      unknown++;
      process.stderr.write(`jskcov symbolize: no block in ${mapPath} has PC 0x${pc.toString(16)}\n`);
      continue;
    }
    out.push(formatSymbolized(block));
  }
  process.stdout.write(out.join(""));
  return unknown === 0 ? 0 : 1;
}
