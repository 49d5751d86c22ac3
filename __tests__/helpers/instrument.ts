// Test helpers: instrument source with the plugin, load it as a CommonJS module in this
// realm, and read which blocks ran from the per-realm registry.
import * as path from "node:path";
import { transformSync, type PluginItem, type TransformOptions } from "@babel/core";
import kcovPlugin from "../../plugin";
import { CompareArea, COMPARE_HOOKS_KEY, installRecorders, type CompareHooks } from "../../runtime/compare-area";
import type { KcovFileMetadata, KcovPluginOptions } from "../../plugin";

export const REPO_ROOT = path.resolve(__dirname, "../..");

export interface Instrumented {
  code: string;
  metadata: KcovFileMetadata;
}

export function transform(code: string, filename: string, options: TransformOptions = {}): { code: string; metadata?: KcovFileMetadata } {
  const result = transformSync(code, {
    filename,
    cwd: REPO_ROOT,
    babelrc: false,
    configFile: false,
    sourceType: "unambiguous",
    ...options,
  });
  if (!result?.code) throw new Error(`no output for ${filename}`);
  return { code: result.code, metadata: (result.metadata as { kcov?: KcovFileMetadata }).kcov };
}

export function instrument(code: string, filename: string, pluginOptions: KcovPluginOptions = {},
                           extra: { plugins?: PluginItem[]; presets?: PluginItem[]; sourceType?: "script" | "module" | "unambiguous" } = {}): Instrumented {
  const result = transform(code, filename, {
    plugins: [[kcovPlugin, pluginOptions], ...(extra.plugins ?? [])],
    presets: extra.presets,
    ...(extra.sourceType ? { sourceType: extra.sourceType } : {}),
  });
  if (!result.metadata) throw new Error(`${filename} was not instrumented`);
  return { code: result.code, metadata: result.metadata };
}

/** Evaluates CommonJS source in this realm (so instrumented code registers where tests look). */
export function loadCommonJs(code: string, requireFn: NodeRequire = require): any {
  const module = { exports: {} as any };
  new Function("module", "exports", "require", code)(module, module.exports, requireFn);
  return module.exports;
}

interface RegistryRecord {
  path: string;
  fingerprint: string;
  counters: Uint8Array | Float64Array;
}

export function registryRecord(metadata: KcovFileMetadata): RegistryRecord {
  const registry = (globalThis as any)[Symbol.for("babel-plugin-kcov.registry")];
  const record = registry?.files.find((f: RegistryRecord) => f.path === metadata.path && f.fingerprint === metadata.fingerprint);
  if (!record) throw new Error(`${metadata.path} is not registered`);
  return record;
}

/** Readable name of a block for expectations: `kind@line:column`. */
export function blockLabel(metadata: KcovFileMetadata, index: number): string {
  const block = metadata.blocks[index];
  return `${block.kind}@${block.range.start.line}:${block.range.start.column}`;
}

/** Labels of the blocks whose counters are set (several blocks may share one), sorted; clears the counters. */
export function takeBlocksRun(metadata: KcovFileMetadata): string[] {
  const { counters } = registryRecord(metadata);
  const ranBlock = (counter: number): boolean => counter < metadata.counterCount
    ? counters[counter] !== 0
    : [0, 1].some((k) => counters[metadata.eitherPairs[2 * (counter - metadata.counterCount) + k]] !== 0);
  const ran = metadata.blocks.filter((block) => ranBlock(block.counter)).map((block) => blockLabel(metadata, block.index));
  counters.fill(0);
  return ran.sort();
}

/** Runs `body` (awaiting it) with cleared counters; returns its value and the blocks that ran. */
export async function blocksRunBy<T>(metadata: KcovFileMetadata, body: () => T | Promise<T>): Promise<{ value: T; ran: string[] }> {
  registryRecord(metadata).counters.fill(0);
  const value = await body();
  return { value, ran: takeBlocksRun(metadata) };
}

/** What a call did, in a form two runs can be compared by: value or exception, and the log. */
export interface Outcome {
  result?: unknown;
  error?: string;
  log: unknown[];
}

export async function outcomeOf(run: (input: unknown, log: (entry: unknown) => void) => unknown, input: unknown): Promise<Outcome> {
  const log: unknown[] = [];
  try {
    let result = run(input, (entry) => log.push(entry));
    if (result && typeof (result as Promise<unknown>).then === "function") result = await result;
    return { result: describe(result), log: log.map(describe) };
  } catch (error) {
    return { error: describeError(error), log: log.map(describe) };
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : `thrown ${describe(error)}`;
}

/** A deterministic description of a value, including function names and lengths. */
export function describe(value: unknown, depth = 0): unknown {
  if (typeof value === "function") return `[function ${value.name}/${value.length}]`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol") return value.toString();
  if (value === undefined) return "[undefined]";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (value instanceof Error) return describeError(value);
  if (value === null || typeof value !== "object" || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => describe(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = describe((value as Record<string, unknown>)[key], depth + 1);
  return out;
}

/**
 * Runs `body` (awaiting it) with a comparison recorder into a fresh area installed in the
 * realm's hooks, as an enabled KCOV_TRACE_CMP device would; returns its value and the area.
 */
export async function withCompareRecorder<T>(body: () => T | Promise<T>): Promise<{ value: T; area: CompareArea }> {
  const area = new CompareArea(new SharedArrayBuffer(8 * (1 + 4 * 256)), new SharedArrayBuffer(CompareArea.stringAreaBytes(64)));
  const hooks = ((globalThis as Record<symbol, unknown>)[COMPARE_HOOKS_KEY] ??= { record: null }) as CompareHooks;
  const previous = installRecorders(hooks, area);
  try {
    return { value: await body(), area };
  } finally {
    installRecorders(hooks, previous);
  }
}
