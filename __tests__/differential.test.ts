// Differential test over real, well-tested libraries: each is instrumented whole and must
// produce exactly what the original produces on a substantial deterministic workload.
import * as fs from "node:fs";
import * as path from "node:path";
import kcovPlugin from "../plugin";
import { REPO_ROOT, loadCommonJs, registryRecord, transform, withCompareRecorder } from "./helpers/instrument";
import type { KcovFileMetadata } from "../plugin";

const cjsPlugin = require.resolve("@babel/plugin-transform-modules-commonjs");

function loadLibrary(file: string, options: { esm?: boolean } = {}) {
  const source = fs.readFileSync(file, "utf8");
  const extra = options.esm ? [cjsPlugin] : [];
  const plain = transform(source, file, { plugins: extra, sourceType: options.esm ? "module" : "script" });
  const instrumented = transform(source, file, {
    plugins: [[kcovPlugin, { instrumentationFilter: "**" }], ...extra],
    sourceType: options.esm ? "module" : "script",
  });
  // Also with comparison tracing, run with a recorder installed (see tracedRun).
  const traced = transform(source, file, {
    plugins: [[kcovPlugin, { instrumentationFilter: "**", traceCmp: true }], ...extra],
    sourceType: options.esm ? "module" : "script",
  });
  return {
    original: loadCommonJs(plain.code),
    instrumented: loadCommonJs(instrumented.code),
    traced: loadCommonJs(traced.code),
    metadata: instrumented.metadata as KcovFileMetadata,
    tracedSites: traced.metadata!.compares!.length,
  };
}

/** `run(lib)` under an installed comparison recorder; checks that it recorded something. */
async function tracedRun<L, T>(lib: L, run: (lib: L) => T): Promise<T> {
  const { value, area } = await withCompareRecorder(() => run(lib));
  expect(area.count + area.stringCount).toBeGreaterThan(0);
  return value;
}

function executedShare(metadata: KcovFileMetadata): number {
  const { counters } = registryRecord(metadata);
  let ran = 0;
  counters.forEach((value) => { if (value) ran++; });
  return ran / counters.length;
}

/** JavaScript sources to feed parsers: this repository's own compiled code and Babel's. */
function corpus(): string[] {
  const files = [
    "node_modules/@babel/parser/lib/index.js",
    "node_modules/@babel/generator/lib/printer.js",
    "node_modules/@babel/traverse/lib/scope/index.js",
    "node_modules/typescript/lib/typescript.js",
  ];
  return files.map((f) => fs.readFileSync(path.join(REPO_ROOT, f), "utf8").slice(0, 400_000));
}

test("acorn parses a large corpus identically (AST, locations and errors)", async () => {
  const acorn = loadLibrary(path.join(REPO_ROOT, "node_modules/acorn/dist/acorn.js"));
  const inputs = [...corpus(), "let x = ;", "class { }", "a => { yield 1 }", "`${a}` + /re/gu.test(b?.c ?? d)"];
  for (const input of inputs) {
    const run = (lib: typeof acorn.original) => {
      try {
        return JSON.stringify(lib.parse(input, { ecmaVersion: "latest", sourceType: "script", locations: true }));
      } catch (error) {
        return `error: ${(error as Error).message}`;
      }
    };
    const expected = run(acorn.original);
    expect(run(acorn.instrumented)).toBe(expected);
    expect(await tracedRun(acorn.traced, run)).toBe(expected);
  }
  expect(acorn.tracedSites).toBeGreaterThan(500);
  expect(executedShare(acorn.metadata)).toBeGreaterThan(0.4);
});

test("js-yaml dumps and loads generated documents identically", async () => {
  const yaml = loadLibrary(path.join(REPO_ROOT, "node_modules/js-yaml/dist/js-yaml.cjs.js"));
  const docs: unknown[] = [];
  for (let i = 0; i < 300; i++) {
    docs.push({
      id: i, name: `item ${i}: "quoted" & 'single'`, tags: Array.from({ length: i % 7 }, (_, k) => `t${k * i}`),
      nested: { flag: i % 2 === 0, ratio: i / 7, none: null, date: i % 5 === 0 ? "2024-01-0" + (i % 9 + 1) : undefined },
      text: "line one\nline two\n".repeat(i % 3), empty: {}, list: [[i], { k: [i, -i] }],
    });
  }
  const run = (lib: typeof yaml.original) => {
    const out: string[] = [];
    for (const doc of docs) {
      const dumped = lib.dump(doc, { skipInvalid: true, sortKeys: true });
      out.push(dumped, JSON.stringify(lib.load(dumped)));
      for (const flow of [true, false]) out.push(lib.dump(doc, { flowLevel: flow ? 1 : -1, skipInvalid: true }));
    }
    for (const bad of ["a: [1, 2", "? - x\n:", "key: 'unterminated", "- &a x\n- *b", "\t- tab"]) {
      try { out.push(JSON.stringify(lib.load(bad))); } catch (error) { out.push(`error: ${(error as Error).message}`); }
    }
    return out;
  };
  const expected = run(yaml.original);
  expect(run(yaml.instrumented)).toEqual(expected);
  expect(await tracedRun(yaml.traced, run)).toEqual(expected);
  expect(executedShare(yaml.metadata)).toBeGreaterThan(0.3);
});

test("marked renders a markdown corpus identically", async () => {
  const marked = loadLibrary(path.join(REPO_ROOT, "node_modules/marked/lib/marked.esm.js"), { esm: true });
  const documents = [
    fs.readFileSync(path.join(REPO_ROOT, "node_modules/marked/README.md"), "utf8"),
    fs.readFileSync(path.join(REPO_ROOT, "node_modules/typescript/README.md"), "utf8"),
    "# T\n\n| a | b |\n|---|:-:|\n| 1 | *2* |\n\n- [ ] task\n- [x] done\n\n```js\ncode\n```\n\n> quote\n> > nested\n\n1. one\n2. two\n\n***\n\n<div>html</div>\n\n[link](http://x 'title') ![img](y) <http://auto> ~~del~~ __b__ `c`\n",
  ];
  const run = (lib: typeof marked.original) => documents.flatMap((doc) => [
    lib.marked.parse(doc, { gfm: true }),
    lib.marked.parse(doc, { gfm: false, breaks: true }),
    JSON.stringify(lib.marked.lexer(doc)),
  ]);
  const expected = run(marked.original);
  expect(run(marked.instrumented)).toEqual(expected);
  expect(await tracedRun(marked.traced, run)).toEqual(expected);
  expect(executedShare(marked.metadata)).toBeGreaterThan(0.3);
});
