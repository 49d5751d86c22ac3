// Reading a fixture folder (fixtures/README.md): its input, options and cases, shared by
// the fixture suite and the checks that run over every fixture.
import * as fs from "node:fs";
import * as path from "node:path";
import { version as babelVersion, type PluginItem } from "@babel/core";
import { typeScriptPresetOptions } from "../../cli/babel";
import { REPO_ROOT } from "./instrument";

export const FIXTURES = path.join(REPO_ROOT, "fixtures");

/** Kinds of the blocks that start a statement list (counter-sharing.ts, rule 3). */
export const LIST_START_KINDS = ["program", "function", "static-block", "if-consequent", "if-alternate",
  "switch-case", "loop-body", "catch", "finally"];

interface FixtureOptions {
  plugin?: Record<string, unknown>;
  presets?: string[];
  sourceType?: "script" | "module";
}

export interface FixtureCase {
  input: unknown;
  blocks: string[];
}

/** cases.json: the blocks that run when the module loads, then one entry per call of `run`. */
export interface FixtureCases {
  load: string[];
  cases: FixtureCase[];
}

const PRESETS: Record<string, PluginItem> = {
  typescript: [require.resolve("@babel/preset-typescript"), typeScriptPresetOptions(babelVersion, {})],
  // Classic, as Babel 7 defaults to: the fixture names its pragma (Babel 8 defaults to automatic).
  react: [require.resolve("@babel/preset-react"), { runtime: "classic" }],
};

function readJson<T>(file: string, fallback: T): T {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : fallback;
}

export function fixtureNames(): string[] {
  return fs.readdirSync(FIXTURES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

export function readFixture(name: string) {
  const dir = path.join(FIXTURES, name);
  const inputFile = fs.readdirSync(dir).find((f) => /^input\.(js|ts|tsx|jsx)$/.test(f));
  if (!inputFile) throw new Error(`fixtures/${name} has no input file`);
  const options = readJson<FixtureOptions>(path.join(dir, "options.json"), {});
  return {
    dir,
    filename: path.join(dir, inputFile),
    source: fs.readFileSync(path.join(dir, inputFile), "utf8"),
    pluginOptions: options.plugin ?? {},
    presets: (options.presets ?? []).map((preset) => PRESETS[preset]),
    sourceType: options.sourceType ?? "script",
    ...readJson<FixtureCases>(path.join(dir, "cases.json"), { load: [], cases: [] }),
  };
}
