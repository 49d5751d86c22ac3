// Instruments files with the built plugin under the Babel installed in <babel-dir>, and
// prints each file's block table (result.metadata.kcov) as JSON, PCs in hex. The Babel 8
// leg runs it once with the repository's Babel 7 and once with this folder's Babel 8 and
// compares the two (__tests__/same-block-tables.test.ts).
//
//   node compat/babel8/block-tables.mjs <babel-dir> < jobs.json
//
// A job: { label, filename, pluginOptions, presets: [[package, options]...],
// plugins: [package...], sourceType }. Packages are resolved from <babel-dir> too, so that
// presets always match the core's major.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "../..");
const babelDir = process.argv[2];
if (!babelDir) throw new Error("usage: node compat/babel8/block-tables.mjs <babel-dir> < jobs.json");
const fromBabelDir = createRequire(join(resolve(babelDir), "package.json"));
const babel = fromBabelDir("@babel/core");
const kcovPlugin = createRequire(import.meta.url)(join(REPO, "dist/plugin/index.js"));
const { typeScriptPresetOptions } = createRequire(import.meta.url)(join(REPO, "dist/cli/babel.js"));

const presetOptions = (name, options) =>
  name === "@babel/preset-typescript" ? typeScriptPresetOptions(babel.version, options) : options;

const jobs = JSON.parse(readFileSync(0, "utf8"));
const tables = {};
for (const job of jobs) {
  const result = babel.transformSync(readFileSync(job.filename, "utf8"), {
    filename: job.filename,
    cwd: REPO,
    babelrc: false,
    configFile: false,
    sourceType: job.sourceType,
    code: false, // only the metadata is compared
    presets: job.presets.map(([name, options]) => [fromBabelDir.resolve(name), presetOptions(name, options)]),
    plugins: [[kcovPlugin, job.pluginOptions], ...job.plugins.map((name) => fromBabelDir.resolve(name))],
  });
  tables[job.label] = result.metadata.kcov;
}
process.stdout.write(JSON.stringify({ babelVersion: babel.version, tables },
  (_key, value) => (typeof value === "bigint" ? `0x${value.toString(16)}` : value)));
