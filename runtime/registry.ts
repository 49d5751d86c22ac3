// The per-realm registry that instrumented files push their counters into
// (docs/block-table.md, "The registry"). Instrumented files create it when they load
// first; the runtime adopts it, checks what is already there, and checks every later
// registration through `onRegister`.

import { SLOT_COUNT } from "./constants";
import { KcovRegistrationError } from "./errors";

/** Where the registry lives; Symbol.for so that every module instance finds the same one. */
export const REGISTRY_KEY = Symbol.for("babel-plugin-kcov.registry");

export const REGISTRY_VERSION = 1;

/** One instrumented file, as its inline registration builds it. */
export interface KcovFileRecord {
  /** Relative POSIX path of the instrumented file. */
  path: string;
  /** Hex; same path and fingerprint means same code evaluated again. */
  fingerprint: string;
  /** First slot of the file's region. */
  regionStart: number;
  /** Slots in the region: a power of two, and regionStart is a multiple of it. */
  regionSize: number;
  blockCount: number;
  /** "hit" mode: Uint8Array set to 1; "count" mode: Float64Array incremented. */
  counters: Uint8Array | Float64Array;
  /** The run-time block table as JSON text; parsed only when first needed. */
  table: string;
}

export interface KcovRegistry {
  version: typeof REGISTRY_VERSION;
  /** Registration order; records are only ever appended. */
  files: KcovFileRecord[];
  onRegister: ((file: KcovFileRecord) => void) | null;
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
  if (registry.version !== REGISTRY_VERSION || !Array.isArray(registry.files)) {
    throw new Error(
      `babel-plugin-kcov: this realm's registry has version ${String(registry.version)}, ` +
        `but this runtime reads version ${REGISTRY_VERSION}. Use the runtime from the same ` +
        `babel-plugin-kcov version as the plugin that instrumented the code.`,
    );
  }
  const files = registry.files;
  for (let i = 0; i < files.length; i++) checkRegistration(files[i], files, i);
  // Runs before the prelude pushes the record, so a throw keeps the file out.
  registry.onRegister = (record) => checkRegistration(record, files, files.length);
  adopted = registry;
  return registry;
}

/** Checks `record` against `files[0..count)`, the files registered before it. */
export function checkRegistration(
  record: KcovFileRecord,
  files: readonly KcovFileRecord[],
  count: number,
): void {
  checkShape(record);
  for (let i = 0; i < count; i++) {
    const earlier = files[i];
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
    if (regionsOverlap(earlier, record)) {
      throw new KcovRegistrationError(
        [earlier.path, record.path],
        `babel-plugin-kcov: the PC regions of "${earlier.path}" ` +
          `(slots ${describeRegion(earlier)}) and "${record.path}" ` +
          `(slots ${describeRegion(record)}) overlap, so their blocks could share PCs. ` +
          `Move one of them: give it its own seed with the plugin option ` +
          `\`pcSeedByFile: { ${JSON.stringify(record.path)}: 1 }\` (the other file's PCs stay as they ` +
          `are), or change \`pcSeed\` for all files; then rebuild the instrumented files.`,
      );
    }
  }
}

/** Aligned power-of-two regions overlap exactly when one contains the other's start. */
function regionsOverlap(a: KcovFileRecord, b: KcovFileRecord): boolean {
  return containsSlot(a, b.regionStart) || containsSlot(b, a.regionStart);
}

function containsSlot(region: KcovFileRecord, slot: number): boolean {
  return slot >= region.regionStart && slot < region.regionStart + region.regionSize;
}

function describeRegion(record: KcovFileRecord): string {
  const end = record.regionStart + record.regionSize;
  return `0x${record.regionStart.toString(16)}..0x${end.toString(16)}`;
}

/** By tag rather than instanceof, so counters made in another realm (vm contexts) pass. */
function isCounterArray(counters: unknown): boolean {
  if (!ArrayBuffer.isView(counters)) return false;
  const tag = (counters as Uint8Array)[Symbol.toStringTag];
  return tag === "Uint8Array" || tag === "Float64Array";
}

/** Catches hand-written or corrupted records before they reach the flush loop. */
function checkShape(record: KcovFileRecord): void {
  const { regionStart, regionSize, blockCount, counters } = record;
  const problem =
    typeof record.path !== "string"
      ? "path is not a string"
      : !Number.isSafeInteger(regionSize) || regionSize <= 0 || (regionSize & (regionSize - 1)) !== 0
        ? `regionSize ${regionSize} is not a power of two`
        : !Number.isSafeInteger(regionStart) || regionStart < 0 || regionStart % regionSize !== 0
          ? `regionStart ${regionStart} is not a multiple of regionSize ${regionSize}`
          : regionStart + regionSize > SLOT_COUNT
            ? `region ends after slot 0x${SLOT_COUNT.toString(16)}`
            : !isCounterArray(counters)
              ? "counters is neither a Uint8Array nor a Float64Array"
              : !Number.isSafeInteger(blockCount) || blockCount < counters.length || (blockCount > 0 && counters.length === 0)
                ? `blockCount ${blockCount} does not fit its ${counters.length} counters`
                : typeof record.table !== "string"
                  ? "table is not a string"
                  : undefined;
  if (problem !== undefined) {
    throw new KcovRegistrationError(
      [String(record.path), String(record.path)],
      `babel-plugin-kcov: the registration of "${String(record.path)}" is malformed: ` +
        `${problem}. Re-instrument it with the plugin version that matches this runtime.`,
    );
  }
}
