// The variants every workload is measured in. A variant either rewrites the library's
// source with a Babel plugin (`transform`), or runs the untouched copy under a different
// environment (`runsFilesOf` + `env`). `unavailable(...)` explains, in the printed table,
// why a variant is left out on this machine.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import babel from "@babel/core";

const require = createRequire(import.meta.url);
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const KCOV_PLUGIN = join(REPO_ROOT, "dist", "plugin", "index.js");

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
