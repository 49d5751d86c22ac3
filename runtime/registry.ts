// The per-realm registry that instrumented files push their counters into
// (docs/block-table.md, "The registry"). Instrumented files create it when they load
// first; the runtime adopts it, checks what is already there, and checks every later
// registration through `onRegister`.

import { KcovRegistrationError } from "./errors";
import { OwnWeakMap, callGetter, execRegExp, isArray, isSafeInteger, isView, parseInteger, sliceString, stringifyJson, typedArrayTag, weakMapGet, weakMapSet } from "./intrinsics";

/** Where the registry lives; Symbol.for so that every module instance finds the same one. */
export const REGISTRY_KEY = Symbol.for("babel-plugin-kcov.registry");

export const REGISTRY_VERSION = 2;

/** One instrumented file, as its inline registration builds it. */
export interface KcovFileRecord {
  /** Relative POSIX path of the instrumented file. */
  path: string;
  /** Hex; same path and fingerprint means same code evaluated again. */
  fingerprint: string;
  /** PC of the region's first slot: "0x" and 16 lowercase hex digits. */
  regionPc: string;
  /** Slots (8 bytes of PC each) in the region: a power of two, the region aligned to its size. */
  regionSize: number;
  /**
   * The region of the file's comparison sites (plugin option traceCmp), in the same form,
   * when it has any: both fields or neither.
   */
  compareRegionPc?: string;
  compareRegionSize?: number;
  blockCount: number;
  /** "hit" mode: Uint8Array set to 1; "count" mode: Float64Array incremented. */
  counters: Uint8Array | Float64Array;
  /** The run-time block table as JSON text; parsed only when first needed. */
  table: string;
  /**
   * Set (to the reason) when the file failed the registration checks in a realm whose
   * registry has `onClash`: the file runs, but its blocks are left out of coverage.
   */
  leftOut?: string;
}

export interface KcovRegistry {
  version: typeof REGISTRY_VERSION;
  /** Registration order; records are only ever appended. */
  files: KcovFileRecord[];
  onRegister: ((file: KcovFileRecord) => void) | null;
  /**
   * Set by a tool that runs a program it does not own (jskcov run, through
   * leaveOutClashingFiles): a file that fails the checks is then left out of coverage and
   * reported here, when it registers, instead of failing its load.
   */
  onClash?: ((error: KcovRegistrationError, file: KcovFileRecord) => void) | null;
}

type RealmGlobal = typeof globalThis & { [REGISTRY_KEY]?: KcovRegistry };

let adopted: KcovRegistry | undefined;

/**
 * This realm's registry, created if no instrumented file has loaded yet. The first call
 * (and the first after something replaced the registry, as tests do) validates the files
 * already registered and installs the check for later ones; it throws
 * KcovRegistrationError if two of them clash. Does nothing at module load, so importing
 * the runtime has no effect on a program that never calls it.
 */
export function realmRegistry(): KcovRegistry {
  const realm = globalThis as RealmGlobal;
  const registry = realm[REGISTRY_KEY];
  if (registry !== undefined && registry === adopted) return registry;
  return adopt(realm);
}

function adopt(realm: RealmGlobal): KcovRegistry {
  let registry = realm[REGISTRY_KEY];
  if (registry === undefined) {
    registry = { version: REGISTRY_VERSION, files: [], onRegister: null };
    realm[REGISTRY_KEY] = registry;
  }
  if (registry.version !== REGISTRY_VERSION || !isArray(registry.files)) {
    throw new Error(
      `babel-plugin-kcov: this realm's registry has version ${String(registry.version)}, ` +
        `but this runtime reads version ${REGISTRY_VERSION}. Use the runtime from the same ` +
        `babel-plugin-kcov version as the plugin that instrumented the code.`,
    );
  }
  const files = registry.files;
  const admit = (record: KcovFileRecord, count: number): void => {
    if (record.leftOut !== undefined) return;
    try {
      checkRegistration(record, files, count);
    } catch (error) {
      const onClash = registry.onClash;
      if (!(error instanceof KcovRegistrationError) || typeof onClash !== "function") throw error;
      record.leftOut = error.message;
      onClash(error, record);
    }
  };
  for (let i = 0; i < files.length; i++) admit(files[i], i);
  // Runs before the prelude pushes the record, so a throw keeps the file out.
  registry.onRegister = (record) => admit(record, files.length);
  adopted = registry;
  return registry;
}

/**
 * For a tool that runs a program it does not own (jskcov run): from now on, in this realm,
 * a file that clashes with one registered before it (overlapping PC regions, two builds of
 * one path, a malformed record) is left out of coverage instead of failing its load, and
 * `report` hears of it when it registers. Files already registered are checked now.
 */
export function leaveOutClashingFiles(report: (error: KcovRegistrationError, file: KcovFileRecord) => void): void {
  const realm = globalThis as RealmGlobal;
  realm[REGISTRY_KEY] ??= { version: REGISTRY_VERSION, files: [], onRegister: null };
  realm[REGISTRY_KEY].onClash = report;
  adopted = undefined;
  realmRegistry();
}

/** The registered files that take part in coverage: all but those left out. */
export function coveredFiles(): KcovFileRecord[] {
  const files = realmRegistry().files;
  const covered: KcovFileRecord[] = [];
  for (let i = 0; i < files.length; i++) if (files[i].leftOut === undefined) covered[covered.length] = files[i];
  return covered;
}

/** Checks `record` against `files[0..count)`, the files registered before it. */
export function checkRegistration(
  record: KcovFileRecord,
  files: readonly KcovFileRecord[],
  count: number,
): void {
  checkShape(record);
  const regions = regionsOf(record);
  for (let i = 0; i < count; i++) {
    const earlier = files[i];
    if (earlier.leftOut !== undefined) continue;
    if (earlier.path === record.path) {
      if (earlier.fingerprint === record.fingerprint) continue;
      throw new KcovRegistrationError(
        [earlier.path, record.path],
        `babel-plugin-kcov: "${record.path}" was loaded twice from different builds ` +
          `(fingerprint ${earlier.fingerprint}, then ${record.fingerprint}), so one PC would ` +
          `name two different blocks. Make sure every module loads the same instrumented ` +
          `build (clear stale transform caches).`,
      );
    }
    const earlierRegions = regionsOf(earlier);
    for (let j = 0; j < earlierRegions.length; j++) {
      for (let k = 0; k < regions.length; k++) {
        if (regionsOverlap(earlierRegions[j], regions[k])) throw overlapError(earlier, earlierRegions[j], record, regions[k]);
      }
    }
  }
}

/** A region of a file's PCs: its blocks' (the record itself) or its comparison sites'. */
export interface PcRegion {
  readonly regionPc: string;
  readonly regionSize: number;
  readonly what: "blocks" | "comparison sites";
}

const regionsByRecord = new OwnWeakMap<object, readonly PcRegion[]>();

/** The file's regions: its blocks' and, with traceCmp, its comparison sites'. The record must have passed checkShape. */
export function regionsOf(record: Pick<KcovFileRecord, "regionPc" | "regionSize" | "compareRegionPc" | "compareRegionSize">): readonly PcRegion[] {
  let regions = weakMapGet(regionsByRecord, record);
  if (regions === undefined) {
    const blocks: PcRegion = { regionPc: record.regionPc, regionSize: record.regionSize, what: "blocks" };
    const compare = compareRegionOf(record);
    regions = compare === undefined ? [blocks] : [blocks, compare];
    weakMapSet(regionsByRecord, record, regions);
  }
  return regions;
}

const compareRegions = new OwnWeakMap<object, PcRegion>();

/** The region of the file's comparison sites, or undefined if it has none. */
export function compareRegionOf(record: Pick<KcovFileRecord, "compareRegionPc" | "compareRegionSize">): PcRegion | undefined {
  if (record.compareRegionPc === undefined) return undefined;
  let region = weakMapGet(compareRegions, record);
  if (region === undefined) {
    region = { regionPc: record.compareRegionPc, regionSize: record.compareRegionSize!, what: "comparison sites" };
    weakMapSet(compareRegions, record, region);
  }
  return region;
}

function overlapError(earlier: KcovFileRecord, a: PcRegion, record: KcovFileRecord, b: PcRegion): KcovRegistrationError {
  const name = (file: KcovFileRecord, region: PcRegion): string =>
    `"${file.path}"${region.what === "blocks" ? "" : ` (its ${region.what})`} (PCs ${describeRegion(region)})`;
  return new KcovRegistrationError(
    [earlier.path, record.path],
    `babel-plugin-kcov: the PC regions of ${name(earlier, a)} and ${name(record, b)} overlap, ` +
      `so their ${a.what === b.what ? a.what : `${a.what} and ${b.what}`} could share PCs. ` +
      `Move the second: give it a seed of its own, other than the one it was built with, ` +
      `with the plugin option \`pcSeedByFile: { ${stringifyJson(record.path)}: <seed> }\` (the ` +
      `other files' PCs stay as they are; \`jskcov run\` prints a seed it checked against every ` +
      `file it loaded), or change \`pcSeed\` for all files; then rebuild the instrumented files.`,
  );
}

/**
 * A region's PCs as numbers: the high 32 bits, shared by the whole region (an aligned
 * region of at most 2^29 slots never straddles a 2^32 boundary), and the low 32 bits of
 * its first PC and of the PC after its last.
 */
export interface RegionBounds {
  readonly high: number;
  readonly low: number;
  readonly lowEnd: number;
}

const REGION_PC = /^0x[0-9a-f]{16}$/;
const MAX_REGION_SLOTS = 2 ** 29;
const boundsByRecord = new OwnWeakMap<object, RegionBounds>();

/** The record's region, parsed once. The record must have passed checkShape. */
export function regionBounds(record: Pick<KcovFileRecord, "regionPc" | "regionSize">): RegionBounds {
  let bounds = weakMapGet(boundsByRecord, record);
  if (bounds === undefined) {
    const low = parseInteger(sliceString(record.regionPc, 10), 16);
    bounds = { high: parseInteger(sliceString(record.regionPc, 2, 10), 16), low, lowEnd: low + record.regionSize * 8 };
    weakMapSet(boundsByRecord, record, bounds);
  }
  return bounds;
}

/** Whether two regions share a PC. `b` may be a candidate region of no file yet. */
export function regionsOverlap(a: Pick<KcovFileRecord, "regionPc" | "regionSize">, b: Pick<KcovFileRecord, "regionPc" | "regionSize">): boolean {
  const x = regionBounds(a);
  const y = regionBounds(b);
  return x.high === y.high && x.low < y.lowEnd && y.low < x.lowEnd;
}

function describeRegion(region: Pick<KcovFileRecord, "regionPc" | "regionSize">): string {
  const { high, lowEnd } = regionBounds(region);
  return `${region.regionPc}..0x${high.toString(16).padStart(8, "0")}${lowEnd.toString(16).padStart(8, "0")}`;
}

/** By tag rather than instanceof, so counters made in another realm (vm contexts) pass. */
function isCounterArray(counters: unknown): boolean {
  if (!isView(counters)) return false;
  const tag = callGetter(typedArrayTag, counters);
  return tag === "Uint8Array" || tag === "Float64Array";
}

/** What is wrong with a region's fields, or undefined. `name` prefixes the field names. */
function regionProblem(regionPc: unknown, regionSize: unknown, name: "region" | "compareRegion"): string | undefined {
  return !isSafeInteger(regionSize) || (regionSize as number) <= 0 || (regionSize as number) > MAX_REGION_SLOTS ||
      ((regionSize as number) & ((regionSize as number) - 1)) !== 0
    ? `${name}Size ${String(regionSize)} is not a power of two up to 2^29`
    : typeof regionPc !== "string" || execRegExp(REGION_PC, regionPc) === null
      ? `${name}Pc ${stringifyJson(regionPc)} is not "0x" and 16 lowercase hex digits`
      : parseInteger(sliceString(regionPc, 10), 16) % ((regionSize as number) * 8) !== 0
        ? `${name}Pc ${regionPc} is not a multiple of the region's ${(regionSize as number) * 8} bytes`
        : undefined;
}

/** Catches hand-written or corrupted records before they reach the flush loop. */
function checkShape(record: KcovFileRecord): void {
  const { regionPc, regionSize, blockCount, counters } = record;
  const hasCompareRegion = record.compareRegionPc !== undefined || record.compareRegionSize !== undefined;
  const problem =
    typeof record.path !== "string"
      ? "path is not a string"
      : regionProblem(regionPc, regionSize, "region") ??
        (hasCompareRegion ? regionProblem(record.compareRegionPc, record.compareRegionSize, "compareRegion") : undefined) ??
        (hasCompareRegion && regionsOverlap(record, compareRegionOf(record)!)
          ? `its comparison region ${describeRegion(compareRegionOf(record)!)} overlaps its block region ${describeRegion(record)}`
          : !isCounterArray(counters)
            ? "counters is neither a Uint8Array nor a Float64Array"
            : !isSafeInteger(blockCount) || blockCount < counters.length || (blockCount > 0 && counters.length === 0)
              ? `blockCount ${blockCount} does not fit its ${counters.length} counters`
              : typeof record.table !== "string"
                ? "table is not a string"
                : undefined);
  if (problem !== undefined) {
    throw new KcovRegistrationError(
      [String(record.path), String(record.path)],
      `babel-plugin-kcov: the registration of "${String(record.path)}" is malformed: ` +
        `${problem}. Re-instrument it with the plugin version that matches this runtime.`,
    );
  }
}
