// The two files `jskcov run` leaves behind and `symbolize` and `report` read:
// - the dump: a kcov area, little-endian 64-bit words, word 0 = count, then the PCs;
// - the block map (`<dump>.blocks.json`): the realm's registry records with their block
//   tables, so PCs can be symbolized without loading (or even having) the sources.
// Symbolizing goes through the runtime: the map is put back into a registry, exactly as
// the instrumented files built it, and the runtime's `symbolize`/`blocks` read it.

import * as fs from "node:fs";
import { REGISTRY_KEY, REGISTRY_VERSION, executedBlocks, type KcovFileRecord, type KcovRegistry } from "../runtime";
import { decodeTable, symbolizedBlocks } from "../runtime/block-table";
import { checkRegistration } from "../runtime/registry";
import { hashSources, tableSources } from "./source-hashes";
import { parseJson, stringifyJson } from "../runtime/own-json";
import { OwnFloat64Array } from "../runtime/intrinsics";

export const BLOCK_MAP_FORMAT = "jskcov-block-map";
export const BLOCK_MAP_VERSION = 2;

/** One registry record, its table parsed (readable JSON) and counters left out. */
export interface BlockMapFile {
  path: string;
  fingerprint: string;
  regionPc: string;
  regionSize: number;
  /** The comparison sites' region (traceCmp), for files that have any. */
  compareRegionPc?: string;
  compareRegionSize?: number;
  blockCount: number;
  /** Length of the counter array (blocks may share counters); blockCount in maps without it. */
  counterCount?: number;
  counterMode: "hit" | "count";
  table: unknown;
  /** SHA-256 of each source the table names, as it was when the map was written (source-hashes.ts). */
  sourceHashes?: Record<string, string>;
}

export interface BlockMap {
  format: typeof BLOCK_MAP_FORMAT;
  version: typeof BLOCK_MAP_VERSION;
  /** Absolute project root the paths are relative to, when the map was written. */
  root: string;
  files: BlockMapFile[];
  /** Files that loaded but were left out of coverage (their PC regions clash), with why. */
  leftOut?: LeftOutFile[];
}

export interface LeftOutFile {
  path: string;
  fingerprint: string;
  reason: string;
}

/** The records of this realm's registry, or none if no instrumented file loaded. */
export function registeredFiles(): KcovFileRecord[] {
  const registry = (globalThis as { [REGISTRY_KEY]?: KcovRegistry })[REGISTRY_KEY];
  return registry?.files ?? [];
}

/**
 * The PCs of every block whose counter is set, in flush order (file registration order,
 * then block order), as the runtime's flush would append them. Reads the counters without
 * clearing them, so a program that has its own `Kcov` device enabled is not disturbed.
 */
export function executedPcs(): bigint[] {
  // Loops rather than Array methods here and below: this runs at the program's exit, after
  // it may have replaced them (runtime/intrinsics.ts).
  const blocks = executedBlocks();
  const pcs: bigint[] = [];
  for (let i = 0; i < blocks.length; i++) pcs[i] = blocks[i].pc;
  return pcs;
}

/** The map of `files` (registry records): the covered ones in `files`, those left out in `leftOut`. */
export function blockMapOf(files: readonly KcovFileRecord[], root: string): BlockMap {
  const leftOut: LeftOutFile[] = [];
  const covered: BlockMapFile[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    if (file.leftOut !== undefined) {
      leftOut[leftOut.length] = { path: file.path, fingerprint: file.fingerprint, reason: file.leftOut };
      continue;
    }
    const table = parseJson(file.table) as unknown;
    covered[covered.length] = {
      path: file.path,
      fingerprint: file.fingerprint,
      regionPc: file.regionPc,
      regionSize: file.regionSize,
      ...compareRegionFields(file),
      blockCount: file.blockCount,
      counterCount: file.counters.length,
      counterMode: file.counters instanceof OwnFloat64Array ? "count" : "hit",
      table,
      sourceHashes: hashSources(tableSources(table), root),
    };
  }
  return {
    format: BLOCK_MAP_FORMAT,
    version: BLOCK_MAP_VERSION,
    root,
    ...(leftOut.length > 0 ? { leftOut } : {}),
    files: covered,
  };
}

/** A record's or map file's comparison region fields, when it has them (else none, as before traceCmp had a region). */
function compareRegionFields(file: Pick<KcovFileRecord, "compareRegionPc" | "compareRegionSize">): Pick<KcovFileRecord, "compareRegionPc" | "compareRegionSize"> {
  return file.compareRegionPc === undefined && file.compareRegionSize === undefined
    ? {} : { compareRegionPc: file.compareRegionPc, compareRegionSize: file.compareRegionSize };
}

/** The kcov area for `pcs`: word 0 = count, then the PCs, little-endian. */
export function encodeArea(pcs: readonly bigint[]): Buffer {
  const area = Buffer.alloc((pcs.length + 1) * 8);
  area.writeBigUInt64LE(BigInt(pcs.length), 0);
  for (let index = 0; index < pcs.length; index++) area.writeBigUInt64LE(pcs[index], (index + 1) * 8);
  return area;
}

/** The PCs in a kcov area file. Throws, naming the file, if it is not one. */
export function readArea(file: string): bigint[] {
  const area = fs.readFileSync(file);
  if (area.length < 8 || area.length % 8 !== 0) {
    throw new Error(`${file} is not a kcov area: its size (${area.length} bytes) is not a positive multiple of 8`);
  }
  const words = area.length / 8;
  const count = area.readBigUInt64LE(0);
  if (count > BigInt(words - 1)) {
    throw new Error(`${file} is not a kcov area: word 0 says ${count} PCs, but only ${words - 1} words follow`);
  }
  const pcs: bigint[] = [];
  for (let word = 1; word <= Number(count); word++) pcs.push(area.readBigUInt64LE(word * 8));
  return pcs;
}

/**
 * Reads a block map. Throws, naming the file, if it is not one. `checkEntries: false`
 * skips decoding every file's table, for the maps this run's own processes just wrote.
 */
export function readBlockMap(file: string, { checkEntries = true } = {}): BlockMap {
  let map: BlockMap;
  try {
    map = parseJson(fs.readFileSync(file, "utf8")) as BlockMap;
  } catch (error) {
    throw new Error(`cannot read the block map ${file}: ${(error as Error).message}`);
  }
  if (map?.format !== BLOCK_MAP_FORMAT || map.version !== BLOCK_MAP_VERSION || !Array.isArray(map.files)) {
    throw new Error(`${file} is not a jskcov block map (version ${BLOCK_MAP_VERSION}), as 'jskcov run' writes beside its dump`);
  }
  // Each file as the runtime would check its registration and decode its table, so that a
  // damaged map is refused here, naming the map and the entry, not later in symbolize.
  if (checkEntries) map.files.forEach((entry, index) => {
    try {
      if (typeof entry !== "object" || entry === null) throw new Error("it is not an object");
      const record = registryRecordOf(entry);
      checkRegistration(record, [], 0);
      decodeTable(record);
    } catch (error) {
      // The runtime's words, without its advice to re-instrument (this is a map, not a build).
      const problem = (error as Error).message
        .replace(/^babel-plugin-kcov: (the registration of ".*?" is malformed: )?/, "")
        .replace(/\.( Re-instrument it .*)?$/, "");
      throw new Error(`${file} is not a valid jskcov block map: files[${index}] is malformed: ${problem}`);
    }
  });
  return map;
}

/**
 * Why a dump's PCs would mean different blocks under two entries of one path, or
 * undefined when they mean the same: entries of one file instrumented with options that
 * move no block (counter mode, counter pruning, traceCmp) differ in fingerprint only.
 */
export function whyPcsDiffer(a: BlockMapFile, b: BlockMapFile): string | undefined {
  if (a.fingerprint === b.fingerprint) return undefined;
  const sources = (file: BlockMapFile) => stringifyJson(file.sourceHashes ?? null);
  if (a.sourceHashes !== undefined && b.sourceHashes !== undefined && sources(a) !== sources(b)) return "is different code in each";
  if (a.blockCount !== b.blockCount) return "is different code in each";
  if (a.regionPc !== b.regionPc) return "has its blocks at other PCs in each (another --pc-seed or --pc-layout)";
  const blocksB = symbolizedBlocks(registryRecordOf(b));
  const sameBlocks = a.regionSize === b.regionSize &&
    symbolizedBlocks(registryRecordOf(a)).every((block, index) => stringifyJson(blockFields(block)) === stringifyJson(blockFields(blocksB[index])));
  return sameBlocks ? undefined : "is different code in each";
}

function blockFields(block: ReturnType<typeof symbolizedBlocks>[number]): unknown[] {
  return [String(block.pc), block.file, block.start.line, block.start.column, block.end.line, block.end.column, block.functionName, block.kind];
}

/** A map's file as the registry record the instrumented file made (counters zeroed). */
function registryRecordOf(file: BlockMapFile): KcovFileRecord {
  return {
    path: file.path,
    fingerprint: file.fingerprint,
    regionPc: file.regionPc,
    regionSize: file.regionSize,
    ...compareRegionFields(file),
    blockCount: file.blockCount,
    counters: new Uint8Array(file.counterCount ?? file.blockCount),
    table: stringifyJson(file.table),
  };
}

/**
 * Puts the map's files into this realm's registry, as if the instrumented files had
 * loaded, so the runtime's symbolize and blocks see them. For the CLI's own process,
 * which runs no instrumented code.
 */
export function installBlockMap(map: BlockMap): void {
  const registry: KcovRegistry = {
    version: REGISTRY_VERSION,
    files: map.files.map(registryRecordOf),
    onRegister: null,
  };
  (globalThis as { [REGISTRY_KEY]?: KcovRegistry })[REGISTRY_KEY] = registry;
}
