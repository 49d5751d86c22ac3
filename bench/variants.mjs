// The variants every workload is measured in. A variant either rewrites the library's
// source with a Babel plugin (`transform`), or runs the untouched copy under a different
// environment (`runsFilesOf` + `env`). `unavailable(...)` explains, in the printed table,
// why a variant is left out on this machine.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { jazzerAddonStandin } from "./jazzer-addon-standin.mjs";

const require = createRequire(import.meta.url);
// The Babel every variant transforms with: the repository's (Babel 7), or the one installed
// in $KCOV_BENCH_BABEL_DIR (`compat/babel8` for the README's Babel 8 row).
const babelDir = process.env.KCOV_BENCH_BABEL_DIR;
const babel = babelDir ? createRequire(join(resolve(babelDir), "package.json"))("@babel/core") : require("@babel/core");
export const BABEL_VERSION = babel.version;
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const KCOV_PLUGIN = join(REPO_ROOT, "dist", "plugin", "index.js");
const KCOV_RUNTIME = join(REPO_ROOT, "dist", "runtime", "index.js");

/** Options shared by every Babel transform, so that only the plugin differs. */
function babelOptions(file, plugins) {
  return {
    filename: file.path,
    sourceType: file.sourceType,
    configFile: false,
    babelrc: false,
    compact: false, // Babel would otherwise switch to compact output for files over 500 kB
    sourceMaps: false,
    plugins,
  };
}

/** Babel alone: parse + generate, no plugin. The baseline for transform time and size. */
export function babelOnly(file) {
  const result = babel.transformSync(file.code, babelOptions(file, []));
  return { code: result.code };
}

function loadKcovPlugin() {
  if (!existsSync(KCOV_PLUGIN)) {
    return { error: "dist/plugin/index.js not built: run `npm run build` (the plugin lives in plugin/)" };
  }
  try {
    const loaded = require(KCOV_PLUGIN);
    return { plugin: loaded.default ?? loaded };
  } catch (error) {
    return { error: `dist/plugin/index.js failed to load: ${error.message}` };
  }
}

function kcovVariant(counterMode) {
  return {
    id: `kcov-${counterMode}`,
    label: `kcov ${counterMode}`,
    description: `babel-plugin-kcov, counterMode "${counterMode}"${counterMode === "hit" ? " (default)" : ""}`,
    availability() {
      const { error } = loadKcovPlugin();
      return error ?? null;
    },
    transform(file, { sourceRoot }) {
      const { plugin } = loadKcovPlugin();
      const options = { instrumentationFilter: ["**"], root: sourceRoot, counterMode };
      const result = babel.transformSync(file.code, babelOptions(file, [[plugin, options]]));
      const metadata = result.metadata && result.metadata.kcov;
      return { code: result.code, blocks: metadata ? metadata.blocks.length : undefined };
    },
  };
}

/** Where the kcov cmp device (bench/compare-device.cjs) and the Jazzer.js stand-in leave their record counts for bench/child.mjs. */
const COMPARE_RECORDS_KEY = 'Symbol.for("kcov-bench.compare-records")';
/** The TRACE_CMP device the kcov cmp variants enable, shared with bench/compare-parts.mjs. */
export const COMPARE_DEVICE = join(REPO_ROOT, "bench", "compare-device.cjs");

/**
 * Comparison tracing as a fuzzer runs it: the file built with `traceCmp`, and a
 * KCOV_TRACE_CMP device enabled before the library loads (bench/compare-device.cjs: the
 * areas are reset whenever they are nearly full, by a wrapper around the recorders whose
 * cost the measurement includes, so records keep being written rather than dropped; the
 * records written are counted for bench/child.mjs).
 *
 * `dist`: the build whose plugin and runtime are measured; $KCOV_BENCH_BASELINE_DIST
 * names another build (a copy of an older dist/) for the `kcov-cmp-baseline` variant, so
 * that a change to the hooks is measured against the code before it in one run.
 */
function kcovCompareVariant({ id = "kcov-cmp", label = "kcov cmp", dist = join(REPO_ROOT, "dist"), jazzerSites = false } = {}) {
  const pluginFile = join(dist, "plugin", "index.js");
  const runtimeFile = join(dist, "runtime", "index.js");
  const loadPlugin = () => {
    if (!existsSync(pluginFile)) return { error: `${pluginFile} not built: run \`npm run build\`` };
    try {
      const loaded = require(pluginFile);
      return { plugin: loaded.default ?? loaded };
    } catch (error) {
      return { error: `${pluginFile} failed to load: ${error.message}` };
    }
  };
  return {
    id,
    label,
    description: `babel-plugin-kcov with traceCmp: true${dist === join(REPO_ROOT, "dist") ? "" : ` (the build in ${dist})`}` +
      `${jazzerSites ? ", on the comparison sites Jazzer.js's compareHooks hooks only" : ""}, ` +
      "a KCOV_TRACE_CMP device enabled (4096-record area, 4096 string records, reset when full)",
    availability() {
      const { error } = loadPlugin();
      return error ?? null;
    },
    transform(file, { sourceRoot }) {
      const { plugin } = loadPlugin();
      const options = { instrumentationFilter: ["**"], root: sourceRoot, traceCmp: true };
      const result = jazzerSites
        ? onJazzerSitesOnly(dist, () => babel.transformSync(file.code, babelOptions(file, [[plugin, options]])))
        : babel.transformSync(file.code, babelOptions(file, [[plugin, options]]));
      const metadata = result.metadata && result.metadata.kcov;
      // The device is set up by bench/compare-device.cjs, shared with bench/compare-parts.mjs.
      const preamble = file.sourceType === "module"
        ? `import __kcovRuntime from ${JSON.stringify(pathToFileURL(runtimeFile).href)};\n` +
          `import __kcovBenchDevice from ${JSON.stringify(pathToFileURL(COMPARE_DEVICE).href)};\n` +
          "__kcovBenchDevice.enableBenchCompareDevice(__kcovRuntime);\n"
        : `require(${JSON.stringify(COMPARE_DEVICE)}).enableBenchCompareDevice(require(${JSON.stringify(runtimeFile)}));\n`;
      return { code: preamble + result.code, blocks: metadata ? metadata.blocks.length : undefined };
    },
  };
}

/**
 * Whether Jazzer.js 4's compareHooks plugin hooks this node (its dist/plugins/compareHooks.js):
 * a comparison with a string literal on exactly one side and ==, ===, != or !==; one with a
 * number literal (not `-1`, a unary expression) on exactly one side and any of the eight
 * operators; a switch on an identifier. It hooks no method call.
 */
function isJazzerSite(node) {
  if (node.type === "SwitchStatement") return node.discriminant.type === "Identifier";
  if (node.type !== "BinaryExpression" || node.left.type === "PrivateName") return false;
  const oneSide = (type) => (node.left.type === type) !== (node.right.type === type);
  if (oneSide("StringLiteral")) return ["==", "===", "!=", "!=="].includes(node.operator);
  return oneSide("NumericLiteral");
}

/**
 * Runs `transform` with babel-plugin-kcov (from `dist`) choosing comparison sites only
 * where Jazzer.js hooks one (isJazzerSite), for the `kcov-cmp-jazzer-sites` variant: the
 * plugin's own choice of sites (compareSiteAt, called through its module's exports) is
 * wrapped for the duration. Bench-only; not an option of the plugin.
 */
export function onJazzerSitesOnly(dist, transform) {
  const tracing = require(join(dist, "plugin", "compare-tracing.js"));
  const compareSiteAt = tracing.compareSiteAt;
  tracing.compareSiteAt = (cursor, isLocalName) => {
    const site = compareSiteAt(cursor, isLocalName);
    return site && isJazzerSite(site.node) ? site : undefined;
  };
  try {
    return transform();
  } finally {
    tracing.compareSiteAt = compareSiteAt;
  }
}

/**
 * Jazzer.js 4's coverage as its loaders instrument a file: a CommonJS file (its require
 * hook, `Instrumentor.instrument`) gets `codeCoverage`, a call to
 * `Fuzzer.coverageTracker.incrementCounter(id)` per edge, with ids from a counter as its
 * IncrementingEdgeIdStrategy gives them; an ES module (its ESM loader) gets
 * `esmCodeCoverage` on a module-local buffer. `counters` is the file's preamble for them.
 */
function jazzerCoverage(file) {
  if (file.sourceType === "module") {
    const { esmCodeCoverage } = require("@jazzer.js/instrumentor/dist/plugins/esmCodeCoverage.js");
    const coverage = esmCodeCoverage();
    // Its ESM loader's preamble: Fuzzer.coverageTracker.createModuleCounters(n) is this Buffer, registered with the addon.
    return { plugin: coverage.plugin, edges: () => coverage.edgeCount(), counters: () => `const __jazzer_cov = Buffer.alloc(${coverage.edgeCount()}, 0);\n` };
  }
  const { codeCoverage } = require("@jazzer.js/instrumentor/dist/plugins/codeCoverage.js");
  let nextEdgeId = 0;
  return { plugin: codeCoverage({ nextEdgeId: () => nextEdgeId++ }), edges: () => nextEdgeId, counters: () => "" };
}

/**
 * `globalThis.Fuzzer` as Jazzer.js's fuzzer package makes it: its tracer (dist/trace.js)
 * and coverage tracker (dist/coverage.js), evaluated as published. Both hand their work to
 * the native addon, which cannot load here: the tracer's integer and string calls store
 * the operands in a 512-entry table from JavaScript instead (the real addon crosses into
 * C++ and copies each string to UTF-8), and the tracker's registration calls, made once
 * when it is created, do nothing. So the cost measured for Jazzer.js is a lower bound.
 */
function jazzerFuzzerPreamble(nativeStandin) {
  const published = (path) => JSON.stringify(readFileSync(require.resolve(path), "utf8"));
  // The compare calls: a JavaScript table, or with `nativeStandin` (jazzer-cmp-native) the
  // Node-API stand-in of bench/jazzer-addon-standin.c, which converts the arguments as the real addon does.
  const compareCalls =
    nativeStandin === undefined
      ? `const table = new Array(1024).fill(0);
  let calls = 0; // what reaches the addon: its records, counted as kcov's are
  globalThis[${COMPARE_RECORDS_KEY}] = () => calls;
  const remember = (id, a, b) => { calls++; table[2 * id] = a; table[2 * id + 1] = b; };
  const compare = { traceIntegerCompare: remember, traceUnequalStrings: remember, traceStringContainment: remember, tracePcIndir: remember };`
      : `const standin = { exports: {} };
  process.dlopen(standin, ${JSON.stringify(nativeStandin)});
  const compare = standin.exports;
  globalThis[${COMPARE_RECORDS_KEY}] = compare.calls;`;
  return `globalThis.Fuzzer ??= (() => {
  ${compareCalls}
  const ignore = () => {};
  const addon = {
    traceIntegerCompare: compare.traceIntegerCompare, traceUnequalStrings: compare.traceUnequalStrings,
    traceStringContainment: compare.traceStringContainment, tracePcIndir: compare.tracePcIndir,
    registerCoverageMap: ignore, registerNewCounters: ignore, registerModuleCounters: ignore,
  };
  const load = (source) => {
    const module = { exports: {} };
    new Function("exports", "require", "module", source)(module.exports, () => ({ addon }), module);
    return module.exports;
  };
  return { tracer: load(${published("@jazzer.js/fuzzer/dist/trace.js")}).tracer, coverageTracker: load(${published("@jazzer.js/fuzzer/dist/coverage.js")}).coverageTracker };
})();\n`;
}

function jazzerAvailability() {
  try {
    for (const path of ["instrumentor/dist/plugins/compareHooks.js", "instrumentor/dist/plugins/codeCoverage.js", "fuzzer/dist/trace.js", "fuzzer/dist/coverage.js"]) {
      require.resolve(`@jazzer.js/${path}`);
    }
    return null;
  } catch (error) {
    return `@jazzer.js/instrumentor not installed: ${error.message}`;
  }
}

/**
 * Jazzer.js as it instruments a file for fuzzing: its coverage, and with `compare` its
 * compareHooks plugin after it; `nativeStandin`: its compare calls go to the Node-API stand-in.
 */
function jazzerVariant({ id, label, description, compare, nativeStandin = false }) {
  let standinPath;
  return {
    id,
    label,
    description,
    availability() {
      const missing = jazzerAvailability();
      if (missing !== null || !nativeStandin) return missing;
      try {
        standinPath = jazzerAddonStandin();
        return null;
      } catch (error) {
        return `bench/jazzer-addon-standin.c not built: ${error.message}`;
      }
    },
    transform(file) {
      const coverage = jazzerCoverage(file);
      const plugins = [coverage.plugin];
      if (compare) plugins.push(require("@jazzer.js/instrumentor/dist/plugins/compareHooks.js").compareHooks);
      const result = babel.transformSync(file.code, babelOptions(file, plugins));
      return { code: coverage.counters() + jazzerFuzzerPreamble(nativeStandin ? (standinPath ?? jazzerAddonStandin()) : undefined) + result.code, blocks: coverage.edges() };
    },
  };
}

/** @type {Array<object>} */
export const variants = [
  {
    id: "none",
    label: "uninstrumented",
    description: "the library file as published, copied verbatim",
    availability: () => null,
    transform: (file) => ({ code: file.code }),
  },
  kcovVariant("hit"),
  kcovVariant("count"),
  kcovCompareVariant(),
  kcovCompareVariant({ id: "kcov-cmp-jazzer-sites", label: "kcov cmp, Jazzer.js's sites", jazzerSites: true }),
  ...(process.env.KCOV_BENCH_BASELINE_DIST
    ? [kcovCompareVariant({ id: "kcov-cmp-baseline", label: "kcov cmp (baseline)", dist: resolve(process.env.KCOV_BENCH_BASELINE_DIST) })]
    : []),
  {
    id: "istanbul",
    label: "istanbul",
    description: "babel-plugin-istanbul 7 (istanbul-lib-instrument 6), default options",
    availability: () => null,
    transform(file, { sourceRoot }) {
      const istanbul = require("babel-plugin-istanbul");
      const options = { cwd: sourceRoot, include: ["**"], excludeNodeModules: false, useInlineSourceMaps: false };
      return { code: babel.transformSync(file.code, babelOptions(file, [[istanbul.default ?? istanbul, options]])).code };
    },
  },
  {
    id: "jazzer-esm",
    label: "Jazzer.js ESM",
    description:
      "@jazzer.js/instrumentor 4 esmCodeCoverage plugin: `__jazzer_cov[id] = (__jazzer_cov[id] % 255) + 1`; " +
      "preamble as its ESM loader emits it, with Buffer.alloc standing in for the native addon's createModuleCounters",
    availability() {
      try {
        require.resolve("@jazzer.js/instrumentor/dist/plugins/esmCodeCoverage.js");
        return null;
      } catch (error) {
        return `@jazzer.js/instrumentor not installed: ${error.message}`;
      }
    },
    transform(file) {
      // Only the coverage plugin: its loader's compareHooks plugin (comparison tracing for
      // the fuzzer's value profile) is not coverage and needs the native addon at run time.
      const { esmCodeCoverage } = require("@jazzer.js/instrumentor/dist/plugins/esmCodeCoverage.js");
      const coverage = esmCodeCoverage();
      const result = babel.transformSync(file.code, babelOptions(file, [coverage.plugin]));
      // Jazzer's esm-loader prepends `const __jazzer_cov = Fuzzer.coverageTracker.createModuleCounters(n);`,
      // which is `Buffer.alloc(n, 0)` plus registering the buffer with libFuzzer's native addon.
      const preamble = `const __jazzer_cov = Buffer.alloc(${coverage.edgeCount()}, 0);\n`;
      return { code: preamble + result.code, blocks: coverage.edgeCount() };
    },
  },
  jazzerVariant({
    id: "jazzer-cov",
    label: "Jazzer.js cov",
    description:
      "@jazzer.js/instrumentor 4 coverage as its loaders instrument: codeCoverage (CommonJS: " +
      "Fuzzer.coverageTracker.incrementCounter(id) per edge, its published dist/coverage.js) or esmCodeCoverage (ES modules)",
    compare: false,
  }),
  jazzerVariant({
    id: "jazzer-cmp",
    label: "Jazzer.js cmp",
    description:
      "Jazzer.js cov plus its compareHooks plugin after it, as its loaders run them; its published tracer (dist/trace.js) " +
      "with a JavaScript 512-entry table standing in for the native addon's compare calls (a lower bound of its cost)",
    compare: true,
  }),
  jazzerVariant({
    id: "jazzer-cmp-native",
    label: "Jazzer.js cmp, native",
    description:
      "Jazzer.js cmp with its compare calls crossing into a Node-API stand-in (bench/jazzer-addon-standin.c) that converts " +
      "their arguments as the real addon does (Int64Value, Utf8Value) and keeps them; libFuzzer's work behind them left out (a lower bound)",
    compare: true,
    nativeStandin: true,
  }),
  {
    id: "v8-block",
    label: "V8 block cov",
    description:
      "uninstrumented files run with NODE_V8_COVERAGE set: Node starts Profiler.startPreciseCoverage " +
      "{callCount: true, detailed: true}, i.e. V8's block-count mode",
    availability: () => null,
    runsFilesOf: "none",
    coverageEnv: "NODE_V8_COVERAGE",
  },
];

export function findVariant(id) {
  const variant = variants.find((v) => v.id === id);
  if (!variant) throw new Error(`unknown variant "${id}"; known: ${variants.map((v) => v.id).join(", ")}`);
  return variant;
}
