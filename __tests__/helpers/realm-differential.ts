// Differential runs in a fresh realm: a snippet is compiled by Babel without the plugin and
// with it (under each option set), each output runs in its own vm context, and what it
// logged, threw or left pending is compared. A fresh realm per run lets a snippet replace
// built-ins (`Array.prototype[Symbol.iterator]`) without touching the test's own realm.
import * as path from "node:path";
import * as vm from "node:vm";
import { transformSync, type PluginItem } from "@babel/core";
import kcovPlugin from "../../plugin";
import { CompareArea, COMPARE_HOOKS_KEY, installRecorders, type CompareHooks } from "../../runtime/compare-area";
import type { KcovFileMetadata, KcovPluginOptions } from "../../plugin";
import { REPO_ROOT } from "./instrument";

/** How the snippet is compiled: a sloppy script, a strict one, or an ES module compiled to CommonJS. */
export type Shape = "sloppy" | "strict" | "module";

/** An option set; `recorder` also installs a comparison recorder in the realm, as an enabled KCOV_TRACE_CMP device would. */
export interface Variant {
  name: string;
  plugin: KcovPluginOptions;
  recorder?: boolean;
}

export const VARIANTS: Variant[] = [
  { name: "defaults", plugin: {} },
  { name: "count", plugin: { counterMode: "count" } },
  { name: "unpruned", plugin: { pruneCounters: false } },
  { name: "traceCmp", plugin: { traceCmp: true } },
  { name: "traceCmp recorded", plugin: { traceCmp: true }, recorder: true },
  { name: "count traceCmp recorded", plugin: { counterMode: "count", traceCmp: true }, recorder: true },
];

const cjsPlugin = require.resolve("@babel/plugin-transform-modules-commonjs");

export interface Compiled {
  code: string;
  metadata?: KcovFileMetadata;
}

export function compileSnippet(source: string, shape: Shape, options: { plugin?: KcovPluginOptions; presets?: PluginItem[]; plugins?: PluginItem[]; filename?: string } = {}): Compiled {
  const plugins: PluginItem[] = [...(options.plugins ?? [])];
  if (options.plugin) plugins.push([kcovPlugin, { instrumentationFilter: "**", ...options.plugin }]);
  if (shape === "module") plugins.push(cjsPlugin);
  const result = transformSync(shape === "strict" ? `"use strict";\n${source}` : source, {
    filename: options.filename ?? `${REPO_ROOT}/conformance/snippet.js`,
    cwd: REPO_ROOT,
    babelrc: false,
    configFile: false,
    sourceType: shape === "module" ? "module" : "script",
    plugins,
    presets: options.presets,
  });
  if (!result?.code) throw new Error("no output");
  return { code: result.code, metadata: (result.metadata as { kcov?: KcovFileMetadata }).kcov };
}

// Runs inside the realm, so that values are described with that realm's built-ins.
const DESCRIBE = `(function (out) {
  function describe(v) {
    try {
      if (typeof v === "function") return "fn " + v.name + "/" + v.length;
      if (typeof v === "symbol" || typeof v === "bigint") return String(v) + (typeof v === "bigint" ? "n" : "");
      if (v instanceof Error) return v.constructor.name + ": " + v.message;
      var json = JSON.stringify(v);
      return json === undefined ? String(v) : json;
    } catch (error) {
      return Object.prototype.toString.call(v);
    }
  }
  return function log() {
    var parts = [];
    for (var i = 0; i < arguments.length; i++) parts.push(describe(arguments[i]));
    out.push(parts.join(" "));
  };
})`;

export interface RealmRun {
  log: string[];
  context: vm.Context;
  /** Records the comparison recorder took (with `recorder`). */
  recorded: number;
}

/** Runs `code` in a fresh realm with `log`, `module` and `exports`; waits for its promises and timers of 0 ms. */
export async function runInRealm(code: string, options: { recorder?: boolean } = {}): Promise<RealmRun> {
  const out: string[] = [];
  const context = vm.createContext({ setTimeout, out });
  context.log = vm.runInContext(DESCRIBE, context)(out);
  // `require("./dep")` gives a module of two functions, for snippets that import.
  vm.runInContext(`var module = { exports: {} }, exports = module.exports;
    function require(name) { return { __esModule: true, dep: function () { return "dep"; }, none: null, name: name }; }`, context);
  const area = new CompareArea(new SharedArrayBuffer(8 * (1 + 4 * 256)), new SharedArrayBuffer(CompareArea.stringAreaBytes(64)));
  if (options.recorder) installRecorders((context as Record<symbol, CompareHooks>)[COMPARE_HOOKS_KEY] = { record: null }, area);
  try {
    vm.runInContext(code, context, { filename: "snippet.js" });
  } catch (error) {
    const e = error as Error;
    out.push(`threw ${e?.constructor?.name}: ${e?.message}`);
  }
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  delete context.out;
  return { log: out, context, recorded: area.count + area.stringCount };
}

/** The counters of the file `metadata` describes, as registered in `context`. */
export function realmCounters(context: vm.Context, metadata: KcovFileMetadata): Uint8Array | Float64Array {
  // Read inside the realm: a symbol-keyed property its code set is not visible on the sandbox object.
  const registry = vm.runInContext(`globalThis[Symbol.for("babel-plugin-kcov.registry")]`, context) as
    { files: { path: string; fingerprint: string; counters: Uint8Array | Float64Array }[] };
  const file = registry.files.find((f) => f.path === metadata.path && f.fingerprint === metadata.fingerprint);
  if (!file) throw new Error(`${metadata.path} is not registered in the realm`);
  return file.counters;
}

/** A snippet of a differential suite (describeDifferentialCases). */
export interface DifferentialCase {
  name: string;
  source: string;
  /** Default: all three. Sloppy-only code (with, arguments aliasing, Annex B) says so. */
  shapes?: Shape[];
  presets?: PluginItem[];
  /** Babel plugins of both builds, for syntax the presets do not parse (legacy decorators). */
  plugins?: PluginItem[];
  /** A name in conformance/ (its extension picks the parser); default: Babel's "unknown". */
  filename?: string;
}

/**
 * One test per case and shape: the snippet, compiled without the plugin and under every
 * option set, each in a fresh realm, logs and throws the same, and logs something (so an
 * empty run cannot pass). Where `recordsComparisons(name)`, the variants with a recorder
 * must also have recorded a comparison.
 */
export function describeDifferentialCases(cases: DifferentialCase[], recordsComparisons: (name: string) => boolean = () => false): void {
  describe.each(cases)("$name", ({ name, source, shapes, presets, plugins, filename }) => {
    for (const shape of shapes ?? (["sloppy", "strict", "module"] as Shape[])) {
      test(`${shape}: every option set behaves as the original`, async () => {
        const options = { presets, plugins, filename: filename ? path.join(REPO_ROOT, "conformance", filename) : undefined };
        const expected = (await runInRealm(compileSnippet(source, shape, options).code)).log;
        expect(expected.length).toBeGreaterThan(0);
        for (const variant of VARIANTS) {
          const compiled = compileSnippet(source, shape, { ...options, plugin: variant.plugin });
          expect(compiled.metadata).toBeDefined();
          const { log, recorded } = await runInRealm(compiled.code, { recorder: variant.recorder });
          expect({ variant: variant.name, log }).toEqual({ variant: variant.name, log: expected });
          if (variant.recorder && recordsComparisons(name)) expect(recorded).toBeGreaterThan(0);
        }
      });
    }
  });
}
