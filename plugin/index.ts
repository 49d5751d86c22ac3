// babel-plugin-kcov: a counter at the start of every basic block of the files that match
// `instrumentationFilter`, each block with a stable synthetic PC. See README.md and
// docs/block-table.md.
import * as fs from "node:fs";
import * as path from "node:path";
import type { PluginObj, PluginPass } from "@babel/core";
import { SUPPORTED_BABEL, inputSourceMap } from "./babel-compat";
import { useBabel, type BabelApi } from "./babel-types";
import { instrumentProgram, isAlreadyInstrumented } from "./instrument";
import type * as blockTable from "./block-table";
import * as options from "./options";
import { createRangeMapper, toPosix } from "./source-ranges";
import { parseJson, stringifyJson } from "../runtime/own-json";

/** This package's root: the directory of package.json above plugin/ (sources) or dist/plugin/. */
const PACKAGE_ROOT = [path.resolve(__dirname, ".."), path.resolve(__dirname, "../..")]
  .find((dir) => fs.existsSync(path.join(dir, "package.json")))!;
const PLUGIN_VERSION: string = parseJson(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")).version;

/** The directories of our own runtime: instrumenting it would make it count itself. */
const RUNTIME_DIRS = [path.join(PACKAGE_ROOT, "runtime"), path.join(PACKAGE_ROOT, "dist", "runtime")];

/**
 * The plugin. `require("babel-plugin-kcov")` returns it directly (so `plugins: ["kcov"]`
 * works), and `import kcov from "babel-plugin-kcov"` gives the same function. Options are
 * validated once per configuration, before any file is seen.
 */
function kcovPlugin(api: BabelApi, rawOptions: options.KcovPluginOptions): PluginObj<PluginPass> {
  api.assertVersion(SUPPORTED_BABEL);
  const resolved = options.resolveOptions(rawOptions);

  return {
    name: "kcov",
    visitor: {
      Program(program, state) {
        useBabel(api);
        const filename = state.filename;
        if (!filename) {
          throw program.buildCodeFrameError(
            "babel-plugin-kcov: the code has no filename, and PCs and instrumentationFilter are " +
            "derived from the file's path; pass `filename` to Babel");
        }
        if (RUNTIME_DIRS.some((dir) => filename.startsWith(dir + path.sep))) return;
        const root = path.resolve(state.cwd ?? process.cwd(), resolved.root ?? ".");
        const relativePath = toPosix(path.relative(root, filename));
        if (!resolved.matchesFilter(relativePath)) return;
        if (isAlreadyInstrumented(program.node)) return;

        const pcSeed = resolved.pcSeedByFile.get(relativePath) ?? resolved.pcSeed;
        // What this file's output depends on besides its path and code, for its fingerprint.
        // traceCmp joins the key only when on, so that output without it stays as it was.
        const configurationKey = stringifyJson(
          [PLUGIN_VERSION, resolved.pcLayout, pcSeed, resolved.counterMode, resolved.pruneCounters, ...(resolved.traceCmp ? ["traceCmp"] : [])]);
        const inputMap = inputSourceMap(state.file);
        const metadata = instrumentProgram({
          program,
          code: state.file.code,
          relativePath,
          pcLayout: resolved.pcLayout,
          pcSeed,
          counterMode: resolved.counterMode,
          pruneCounters: resolved.pruneCounters,
          traceCmp: resolved.traceCmp,
          mapRanges: createRangeMapper(inputMap as never, filename, root, relativePath),
          configurationKey,
        });
        (state.file.metadata as unknown as { kcov?: unknown }).kcov = metadata;
      },
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-namespace
namespace kcovPlugin {
  export type KcovPluginOptions = options.KcovPluginOptions;
  export type KcovFileMetadata = blockTable.KcovFileMetadata;
  export type BlockEntry = blockTable.BlockEntry;
  export type CompareEntry = blockTable.CompareEntry;
  export type BlockKind = blockTable.BlockKind;
  export type RuntimeBlockTable = blockTable.RuntimeBlockTable;
  export const KcovOptionError = options.KcovOptionError;
  export const DEFAULT_FILTER = options.DEFAULT_FILTER;
}
Object.defineProperty(kcovPlugin, "default", { value: kcovPlugin, enumerable: false });

export = kcovPlugin;
