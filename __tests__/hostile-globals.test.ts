// The plugin's own code (the registration prelude, the comparison hooks' set-up, the
// counters) must never throw, whatever the program did to the global environment before
// an instrumented file loaded: the file then behaves exactly as the original, under every
// option set, in sloppy and strict code. Coverage is kept wherever the registry can still
// be reached; a file that cannot reach it runs uncounted.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import { REPO_ROOT, instrument, transform } from "./helpers/instrument";
import type { KcovPluginOptions } from "../plugin";

const cjsPlugin = require.resolve("@babel/plugin-transform-modules-commonjs");

/** A module with blocks, a comparison, a method site and an optional call. */
const TARGET = `
export function classify(x, s) {
  if (x > 1) return "big:" + s.startsWith("a");
  const f = x === 0 ? () => "zero" : null;
  return f?.() ?? "small";
}
`;

/** What the program did before the instrumented file loaded, each run in a fresh realm. */
const HOSTILE_SETUPS: Record<string, string> = {
  "deletes Symbol": "delete globalThis.Symbol;",
  "replaces Symbol.for": "Symbol.for = function () { throw new Error('no Symbol.for'); };",
  "takes the typed arrays away": "globalThis.Uint8Array = undefined; globalThis.Float64Array = undefined;",
  "patches Array.prototype.push": "Array.prototype.push = function () { throw new Error('push patched'); };",
  "overwrites globalThis.globalThis": "globalThis.globalThis = undefined;",
  "puts a number where the registry goes": "globalThis[Symbol.for('babel-plugin-kcov.registry')] = 5;",
  "freezes a registry": "globalThis[Symbol.for('babel-plugin-kcov.registry')] = Object.freeze({ version: 2, files: Object.freeze([]), onRegister: null });",
  "puts a number where the comparison hooks go": "globalThis[Symbol.for('babel-plugin-kcov.compare')] = 7;",
  "freezes the comparison hooks": "globalThis[Symbol.for('babel-plugin-kcov.compare')] = Object.freeze({ record: null });",
  "a getter that throws on the registry key": "Object.defineProperty(Object.prototype, Symbol.for('babel-plugin-kcov.registry'), { get() { throw new Error('getter'); } });",
};

const OPTION_SETS: Record<string, KcovPluginOptions> = {
  defaults: {}, "pruneCounters false": { pruneCounters: false }, "counterMode count": { counterMode: "count" }, "traceCmp": { traceCmp: true },
};

/** The target as CommonJS: a script (sloppy) or an ES module compiled to CommonJS (strict, lazily registered when it imports). */
const SHAPES: Record<string, { source: string; sourceType: "script" | "module" }> = {
  "sloppy script": { source: TARGET.replace("export function", "function") + "module.exports = { classify };", sourceType: "script" },
  "ES module": { source: TARGET, sourceType: "module" },
  "ES module with an import": { source: `import * as nodePath from "node:path";\n${TARGET}`, sourceType: "module" },
};

let fileCount = 0;

function compile(shape: { source: string; sourceType: "script" | "module" }, options: KcovPluginOptions | undefined): string {
  const filename = path.join(REPO_ROOT, `hostile/target${fileCount++}.js`);
  const plugins = shape.sourceType === "module" ? [cjsPlugin] : [];
  if (options === undefined) return transform(shape.source, filename, { plugins, sourceType: shape.sourceType }).code;
  return instrument(shape.source, filename, options, { plugins, sourceType: shape.sourceType }).code;
}

/** Runs `setup`, then loads `code` and calls it, all in a fresh realm; what it returned or threw. */
function outcomeInFreshRealm(setup: string, code: string): string {
  const context = vm.createContext({});
  vm.runInContext(setup, context);
  try {
    const load = vm.runInContext(`(function (module, exports, require) {${code}\n})`, context);
    const module = { exports: {} as { classify(x: number, s: string): string } };
    load(module, module.exports, require);
    return JSON.stringify([0, 1, 2].map((x) => module.exports.classify(x, "abc")));
  } catch (error) {
    return `threw ${String(error)}`;
  }
}

describe.each(Object.entries(HOSTILE_SETUPS))("a program that %s", (_name, setup) => {
  test.each(Object.keys(SHAPES))("%s: the instrumented file behaves as the original under every option set", (shapeName) => {
    const shape = SHAPES[shapeName];
    const expected = outcomeInFreshRealm(setup, compile(shape, undefined));
    expect(expected).not.toMatch(/^threw/);
    for (const [optionsName, options] of Object.entries(OPTION_SETS)) {
      expect([optionsName, outcomeInFreshRealm(setup, compile(shape, options))]).toEqual([optionsName, expected]);
    }
  });
});

test("a file that shadows globalThis and Function at its top level still registers, without calling its own Function", () => {
  const source = `var globalThis = { mine: true };\nconst Function = function () { throw new Error("the program's own Function was called"); };\n` +
    `module.exports = { classify: (x, s) => (x > 1 ? globalThis.mine + s : typeof Function) };`;
  const expected = outcomeInFreshRealm("", compile({ source, sourceType: "script" }, undefined));
  for (const options of Object.values(OPTION_SETS)) {
    const instrumented = instrument(source, path.join(REPO_ROOT, `hostile/shadowing${fileCount++}.js`), options);
    const context = vm.createContext({});
    const load = vm.runInContext(`(function (module, exports, require) {${instrumented.code}\n})`, context);
    const module = { exports: {} as { classify(x: number, s: string): string } };
    load(module, module.exports, require);
    expect(JSON.stringify([0, 1, 2].map((x) => module.exports.classify(x, "abc")))).toBe(expected);
    // It registered with the realm's registry, so its blocks are reported.
    const registry = vm.runInContext("globalThis[Symbol.for('babel-plugin-kcov.registry')]", context);
    expect(registry.files.map((file: { fingerprint: string }) => file.fingerprint)).toEqual([instrumented.metadata.fingerprint]);
  }
});

test("a program that freezes the global object before an instrumented ES module loads runs as without instrumentation", () => {
  // A realm's own global (not a vm context's) can be frozen: run it in a child process.
  const shape = SHAPES["ES module with an import"];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcov-frozen-global-"));
  const run = (code: string) => {
    const script = path.join(dir, `run${fileCount++}.cjs`);
    fs.writeFileSync(script, `const write = process.stdout.write.bind(process.stdout);\nObject.freeze(globalThis);\n` +
      `const target = { exports: {} };\nnew Function("module", "exports", "require", ${JSON.stringify(code)})(target, target.exports, require);\n` +
      `write(JSON.stringify([0, 1, 2].map((x) => target.exports.classify(x, "abc"))));\n`);
    return spawnSync(process.execPath, [script], { encoding: "utf8" });
  };
  try {
    const expected = run(compile(shape, undefined));
    expect({ status: expected.status, stderr: expected.stderr }).toEqual({ status: 0, stderr: "" });
    for (const options of [OPTION_SETS.defaults, OPTION_SETS.traceCmp]) {
      const result = run(compile(shape, options));
      expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 0, stdout: expected.stdout, stderr: "" });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a program whose own top-level variables start with the plugin's prefix is still instrumented", () => {
  // Only the exact marker (the prefix and 8 hex digits) says "instrumented already".
  const source = `var __cov_kcov$mine = 1, __cov_kcov$ = 2;\nmodule.exports = { classify: (x, s) => (x > 1 ? __cov_kcov$mine + s : __cov_kcov$) };`;
  const expected = outcomeInFreshRealm("", compile({ source, sourceType: "script" }, undefined));
  const instrumented = instrument(source, path.join(REPO_ROOT, `hostile/prefix${fileCount++}.js`));
  expect(instrumented.metadata.blocks.map((block) => block.kind)).toEqual(["program", "function", "conditional-consequent", "conditional-alternate"]);
  expect(outcomeInFreshRealm("", instrumented.code)).toBe(expected);
});
