// Test helpers for the runtime: registry records built by hand, following
// docs/block-table.md, and registered exactly as the plugin's inline prelude does.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { toRuntimeTable, type BlockEntry, type BlockKind } from "../plugin/block-table";
import { formatPc } from "../plugin/pc-layout";
import { KcovRegistrationError, REGISTRY_VERSION, type KcovFileRecord, type KcovRegistry } from "../runtime";

export const REGISTRY_KEY = Symbol.for("babel-plugin-kcov.registry");
const ENABLED_DEVICE_KEY = Symbol.for("babel-plugin-kcov.enabled-device");
const ENABLED_CMP_DEVICE_KEY = Symbol.for("babel-plugin-kcov.enabled-cmp-device");
const COMPARE_HOOKS_KEY = Symbol.for("babel-plugin-kcov.compare");
/** First PC of the kernel32 layout: test regions are given as slots from there. */
const PC_BASE = 0xffffffff80000000n;

export interface BlockSpec {
  slotOffset: number;
  /** The block's counter; default: its own (the block index). Shared counters model counter sharing. */
  counter?: number;
  kind?: BlockKind;
  functionName?: string;
  source?: string;
  /** [line from 1, column from 0] */
  start?: [number, number];
  end?: [number, number];
}

export interface FileSpec {
  path: string;
  fingerprint?: string;
  /** First slot of the region, counted in 8-byte slots from 0xffffffff80000000 (the kernel32 layout)... */
  regionStart: number;
  /** ...unless the region's first PC is given here (any 64-bit PC). */
  regionPc?: bigint;
  regionSize?: number;
  counterMode?: "hit" | "count";
  blocks: BlockSpec[];
  /** Counter pairs for virtual counters (block counter >= counterCount). */
  either?: number[];
  /** Real counters; default: one more than the largest block counter. */
  counterCount?: number;
}

/** The PC of a slot counted from the kernel32 layout's first PC. */
export function pcOf(slot: number): bigint {
  return PC_BASE + BigInt(slot) * 8n;
}

/** A registry record as the plugin would emit it for these blocks. */
export function makeRecord(spec: FileSpec): KcovFileRecord {
  const regionSize = spec.regionSize ?? 4096;
  const regionPc = spec.regionPc ?? pcOf(spec.regionStart);
  const entries: BlockEntry[] = spec.blocks.map((block, index) => ({
    index,
    kind: block.kind ?? (index === 0 ? "program" : "if-consequent"),
    pc: regionPc + BigInt(block.slotOffset) * 8n,
    slotOffset: block.slotOffset,
    counter: block.counter ?? index,
    functionName: block.functionName ?? "(top level)",
    source: block.source ?? spec.path,
    range: {
      start: { line: block.start?.[0] ?? index + 1, column: block.start?.[1] ?? 0 },
      end: { line: block.end?.[0] ?? index + 1, column: block.end?.[1] ?? 10 },
    },
  }));
  const count = entries.length;
  const counterCount = spec.counterCount ?? Math.max(0, ...entries.map((entry) => entry.counter + 1));
  return {
    path: spec.path,
    fingerprint: spec.fingerprint ?? "f00d",
    regionPc: formatPc(regionPc),
    regionSize,
    blockCount: count,
    counters: spec.counterMode === "count" ? new Float64Array(counterCount) : new Uint8Array(counterCount),
    table: JSON.stringify(toRuntimeTable(entries, spec.either ?? [])),
  };
}

/**
 * What an instrumented file does when it loads (docs/block-table.md, "Registration"):
 * create the registry if missing, reuse a record with the same path and fingerprint,
 * else call onRegister (which may throw) and push. Returns the record in use.
 */
export function registerRecord(record: KcovFileRecord): KcovFileRecord {
  const realm = globalThis as Record<symbol, unknown>;
  let registry = realm[REGISTRY_KEY] as KcovRegistry | undefined;
  if (registry === undefined) {
    registry = { version: REGISTRY_VERSION, files: [], onRegister: null };
    realm[REGISTRY_KEY] = registry;
  }
  const existing = registry.files.find(
    (file) => file.path === record.path && file.fingerprint === record.fingerprint,
  );
  if (existing !== undefined) return existing;
  if (registry.onRegister !== null) registry.onRegister(record);
  registry.files.push(record);
  return record;
}

export function registerFile(spec: FileSpec): KcovFileRecord {
  return registerRecord(makeRecord(spec));
}

/** A file with `count` blocks at slot offsets 0, 1, 2, ... */
export function registerLinearFile(filePath: string, regionStart: number, count: number): KcovFileRecord {
  return registerFile({
    path: filePath,
    regionStart,
    blocks: Array.from({ length: count }, (_, slotOffset) => ({ slotOffset })),
  });
}

/** src/shared.js: six blocks, of which 2 and 4 are joins sharing the counters of blocks 0 and 1 (reported with them). */
export function registerSharedCounterFile(counterMode: "hit" | "count" = "hit"): KcovFileRecord {
  return registerFile({
    path: "src/shared.js",
    regionStart: 0x2000,
    counterMode,
    blocks: [
      { slotOffset: 0, counter: 0 }, { slotOffset: 1, counter: 1 }, { slotOffset: 2, counter: 0 },
      { slotOffset: 3, counter: 2 }, { slotOffset: 4, counter: 1 }, { slotOffset: 5, counter: 3 },
    ],
  });
}

/** Forgets this realm's registry and enabled device, as a fresh realm would start. */
export function resetRealm(): void {
  const realm = globalThis as Record<symbol, unknown>;
  delete realm[REGISTRY_KEY];
  delete realm[ENABLED_DEVICE_KEY];
  delete realm[ENABLED_CMP_DEVICE_KEY];
  const hooks = realm[COMPARE_HOOKS_KEY] as { record: unknown } | undefined;
  if (hooks) hooks.record = null;
}

/** This realm's registry, as instrumented files and the runtime see it. */
export function registry(): KcovRegistry {
  return (globalThis as Record<symbol, unknown>)[REGISTRY_KEY] as KcovRegistry;
}

/** The KcovRegistrationError that `call` throws; fails the test if it throws nothing or another error. */
export function thrownBy(call: () => unknown): KcovRegistrationError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(KcovRegistrationError);
    return error as KcovRegistrationError;
  }
  throw new Error("expected a KcovRegistrationError");
}

/** Little-endian bytes of 64-bit words, computed without typed arrays. */
export function littleEndianBytes(words: readonly bigint[]): number[] {
  const bytes: number[] = [];
  for (const word of words) {
    for (let byte = 0n; byte < 8n; byte++) bytes.push(Number((word >> (byte * 8n)) & 0xffn));
  }
  return bytes;
}

/** The area's bytes, as a reader of the raw memory would see them. */
export function areaBytes(area: BigUint64Array): number[] {
  return Array.from(new Uint8Array(area.buffer, area.byteOffset, area.byteLength));
}

/**
 * The runtime compiled to CommonJS in a temporary directory, for code that runs outside
 * jest's module system (worker threads). Returns the path of its index.js.
 */
export function compileRuntime(): string {
  const runtimeDir = path.join(__dirname, "..", "runtime");
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "kcov-runtime-"));
  for (const name of fs.readdirSync(runtimeDir)) {
    if (!name.endsWith(".ts")) continue;
    const source = fs.readFileSync(path.join(runtimeDir, name), "utf8");
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    });
    fs.writeFileSync(path.join(outDir, name.replace(/\.ts$/, ".js")), outputText);
  }
  return path.join(outDir, "index.js");
}
