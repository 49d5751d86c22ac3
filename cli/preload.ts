// Loaded by `jskcov run` into the program it runs (`node --import <this file>`), before
// the program's main module. Installs the require hook (CommonJS) and registers the
// import hooks (ES modules, on Node's hooks thread), and writes the dump and block map
// when the process exits: normally, by process.exit(), by an uncaught exception or an
// unhandled rejection, or by a signal that would have killed it.

import * as fs from "node:fs";
import * as path from "node:path";
import * as nodeModule from "node:module";
import { pathToFileURL } from "node:url";
import { addHook } from "pirates";
import { onExit } from "signal-exit";
import { blockMapOf, encodeArea, executedPcs, registeredFiles } from "./coverage-files";
import { RUN_CONFIG_ENV, blockMapPathFor, readRunConfig, type RunConfig } from "./run-config";
import { createProgressCounters } from "./progress";
import { JAVASCRIPT_EXTENSIONS, SourceTransformer, TYPESCRIPT_EXTENSIONS } from "./transform";

function installRequireHook(transformer: SourceTransformer): void {
  addHook((code, filename) => transformer.transform(filename, code, "commonjs"), {
    // .mts cannot be required (it is ESM); .mjs never goes through require.
    exts: [...JAVASCRIPT_EXTENSIONS.filter((ext) => ext !== ".mjs"), ...TYPESCRIPT_EXTENSIONS.filter((ext) => ext !== ".mts")],
    ignoreNodeModules: false,
    matcher: (filename) => transformer.needsTransform(filename),
  });
}

function registerImportHooks(config: RunConfig): void {
  nodeModule.register(pathToFileURL(path.join(__dirname, "esm-hooks.js")).href, {
    parentURL: pathToFileURL(__filename).href,
    data: config,
  });
}

/** Writes the dump and the block map; reports problems on stderr (the exit code is the program's). */
function writeCoverage(config: RunConfig, transformer: SourceTransformer): void {
  try {
    const files = registeredFiles();
    const pcs = executedPcs();
    fs.mkdirSync(path.dirname(config.out), { recursive: true });
    fs.writeFileSync(config.out, encodeArea(pcs));
    fs.writeFileSync(blockMapPathFor(config.out), JSON.stringify(blockMapOf(files, config.root)) + "\n");
    if (config.progress) {
      const blockCount = files.reduce((sum, file) => sum + file.blockCount, 0);
      process.stderr.write(
        `jskcov: ${transformer.progress.describe()}; ${files.length} instrumented files loaded, ` +
          `${pcs.length} of ${blockCount} blocks ran; wrote ${config.out}\n`,
      );
    }
  } catch (error) {
    process.stderr.write(`jskcov: cannot write the coverage dump ${config.out}: ${(error as Error).message}\n`);
  }
}

function main(): void {
  const config: RunConfig = { ...readRunConfig(), progressCounters: createProgressCounters() };
  // The program sees the environment it would have had without jskcov.
  delete process.env[RUN_CONFIG_ENV];
  const transformer = new SourceTransformer(config);
  installRequireHook(transformer);
  registerImportHooks(config);
  onExit(() => writeCoverage(config, transformer), { alwaysLast: true });
}

main();
