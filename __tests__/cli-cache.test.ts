// The transform cache of jskcov run: keyed by content, options and tool version; a hit
// returns exactly the bytes of a miss.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunConfig } from "../cli/run-config";
import { REPO, expectStatus, jskcov, makeProject, removeProjects, requireBuild, writeFiles } from "./cli-helpers";

// The built modules, as jskcov runs them (they find the plugin relative to dist/).
/* eslint-disable @typescript-eslint/no-require-imports */
const { SourceTransformer } = require(path.join(REPO, "dist/cli/transform.js")) as typeof import("../cli/transform");
const { createProgressCounters } = require(path.join(REPO, "dist/cli/progress.js")) as typeof import("../cli/progress");
/* eslint-enable @typescript-eslint/no-require-imports */

let dir: string;
beforeAll(() => {
  requireBuild();
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-cache-")));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  removeProjects();
});

function transformer(options: Partial<RunConfig> = {}): InstanceType<typeof SourceTransformer> {
  return new SourceTransformer({
    root: dir,
    filter: ["**"],
    pcLayout: "full64",
    pcSeed: 0,
    pcSeedByFile: {},
    counterMode: "hit",
    out: path.join(dir, "kcov.out"),
    cacheDir: path.join(dir, "cache"),
    progress: false,
    progressCounters: createProgressCounters(),
    ...options,
  });
}

const SOURCE = "export function f(x: number) {\n  return x > 0 ? 'positive' : 'other';\n}\n";

test("a hit is byte-identical to a miss and to an uncached transform", () => {
  const file = path.join(dir, "src/f.ts");
  const miss = transformer().transform(file, SOURCE, "module");
  expect(miss).toContain("babel-plugin-kcov.registry");
  expect(miss).toContain("sourceMappingURL=data:application/json");
  const first = transformer();
  const hit = first.transform(file, SOURCE, "module");
  expect(first.progress.describe()).toBe("transformed 1 files (1 from the cache)");
  expect(hit).toBe(miss);
  expect(transformer({ cacheDir: null }).transform(file, SOURCE, "module")).toBe(miss);
});

test("the key holds the source, the file name, the output format and the options", () => {
  const file = path.join(dir, "src/g.ts");
  const base = transformer().transform(file, SOURCE, "module");
  const variants = [
    transformer().transform(file, SOURCE + "\n", "module"),
    transformer().transform(path.join(dir, "src/h.ts"), SOURCE, "module"),
    transformer().transform(file, SOURCE, "commonjs"),
    transformer({ pcSeed: 1 }).transform(file, SOURCE, "module"),
    transformer({ counterMode: "count" }).transform(file, SOURCE, "module"),
    transformer({ filter: ["nothing/**"] }).transform(file, SOURCE, "module"),
    transformer({ pcSeedByFile: { "src/g.ts": 3 } }).transform(file, SOURCE, "module"),
    transformer({ pcLayout: "kernel32" }).transform(file, SOURCE, "module"),
  ];
  for (const variant of variants) expect(variant).not.toBe(base);
  // Outside the filter, TypeScript is still stripped, but not instrumented.
  expect(variants[5]).not.toContain("babel-plugin-kcov.registry");
  expect(variants[5]).not.toContain(": number");
});

/** A Babel plugin that rewrites the string literal `from` to `to`. */
function rewritePlugin(from: string, to: string): string {
  return [
    "module.exports = ({ types: t }) => ({",
    "  visitor: {",
    "    StringLiteral(path) {",
    `      if (path.node.value === ${JSON.stringify(from)}) path.replaceWith(t.stringLiteral(${JSON.stringify(to)}));`,
    "    },",
    "  },",
    "});",
    "",
  ].join("\n");
}

describe("the key holds the project config's plugins and presets as they are now", () => {
  test("upgrading a plugin package or editing a plugin file of the project misses; an unchanged run hits", () => {
    const project = makeProject({
      "babel.config.js": 'module.exports = { plugins: ["shout", "./plugins/suffix.js"] };\n',
      "node_modules/babel-plugin-shout/package.json": JSON.stringify({ name: "babel-plugin-shout", version: "1.0.0", main: "index.js" }),
      "node_modules/babel-plugin-shout/index.js": rewritePlugin("hello", "hello from shout 1"),
      "plugins/suffix.js": rewritePlugin("bye", "bye 1"),
      "src/main.js": 'console.log("hello", "bye");\n',
    });
    const run = () => {
      const result = jskcov(project, ["run", "--progress", "--filter", "src/**", "--", "src/main.js"]);
      expectStatus(result, 0);
      return { stdout: result.stdout, fromCache: /transformed (\d+ files \(\d+ from the cache\))/.exec(result.stderr)?.[1] };
    };
    expect(run()).toEqual({ stdout: "hello from shout 1 bye 1\n", fromCache: "1 files (0 from the cache)" });
    expect(run()).toEqual({ stdout: "hello from shout 1 bye 1\n", fromCache: "1 files (1 from the cache)" });

    writeFiles(project, {
      "node_modules/babel-plugin-shout/package.json": JSON.stringify({ name: "babel-plugin-shout", version: "2.0.0", main: "index.js" }),
      "node_modules/babel-plugin-shout/index.js": rewritePlugin("hello", "hello from shout 2"),
    });
    expect(run()).toEqual({ stdout: "hello from shout 2 bye 1\n", fromCache: "1 files (0 from the cache)" });

    writeFiles(project, { "plugins/suffix.js": rewritePlugin("bye", "bye 2") });
    expect(run()).toEqual({ stdout: "hello from shout 2 bye 2\n", fromCache: "1 files (0 from the cache)" });
    expect(run()).toEqual({ stdout: "hello from shout 2 bye 2\n", fromCache: "1 files (1 from the cache)" });
  });
});
