// A Jest test file instrumented in the same Babel pass as babel-jest's own preset
// (README, "babel-jest"; the default filter selects test files too). babel-preset-jest
// hoists `jest.mock(path, factory)` calls, and the variables they use, above the module's
// imports, so a factory runs when the first import is required: before the registration
// prelude. The plugin's counters must pass babel-plugin-jest-hoist's check on the
// variables a factory may use, and be ready whenever hoisted code runs.
import * as nodeAssert from "node:assert";
import * as path from "node:path";
import { REPO_ROOT, instrument, loadCommonJs, outcomeOf, takeBlocksRun, transform } from "./helpers/instrument";
import type { KcovPluginOptions } from "../plugin";

const jestPreset = require.resolve("babel-preset-jest", { paths: [path.dirname(require.resolve("babel-jest"))] });
const cjsPlugin = require.resolve("@babel/plugin-transform-modules-commonjs");

const TEST_FILE = `
import { greet } from "./greeter";
import { strict as assert } from "node:assert";

jest.mock("./greeter", () => {
  const suffix = "!";
  return { greet: (name) => (name ? "mocked hello " + name + suffix : "mocked nobody") };
});

export function run(input) {
  assert.ok(typeof greet === "function");
  return input.name === "throw" ? assert.fail("asked to") : greet(input.name);
}
`;

/** Loads compiled code with a stand-in for Jest's module registry: `jest.mock` factories answer their path. */
function loadWithJestMocks(code: string): { run(input: unknown): unknown } {
  const factories = new Map<string, () => unknown>();
  const jest = { mock: (request: string, factory: () => unknown) => { factories.set(request, factory); return jest; } };
  const moduleRequire = ((request: string) => {
    if (request === "@jest/globals") return { jest };
    const factory = factories.get(request);
    if (factory) return factory();
    if (request === "node:assert") return nodeAssert;
    throw new Error(`unexpected require of ${request}`);
  }) as NodeRequire;
  return loadCommonJs(code, moduleRequire);
}

let fileCount = 0;

test.each<[string, KcovPluginOptions]>([
  ["defaults", {}], ["pruneCounters false", { pruneCounters: false }], ["counterMode count", { counterMode: "count" }], ["traceCmp", { traceCmp: true }],
])("a jest.mock factory in an instrumented test file compiles and behaves as without the plugin (%s)", async (_name, options) => {
  const filename = path.join(REPO_ROOT, `jest-mock/sum${fileCount++}.test.js`);
  const babel = { presets: [jestPreset], plugins: [cjsPlugin], sourceType: "module" as const };
  const original = loadWithJestMocks(transform(TEST_FILE, filename, babel).code);
  const instrumented = instrument(TEST_FILE, filename, options, babel);
  const run = loadWithJestMocks(instrumented.code);
  // The factory ran (when the first import was required, before the module body) and was counted.
  const factory = instrumented.metadata.blocks.find((block) => block.kind === "function" && block.range.start.line === 5)!;
  expect(takeBlocksRun(instrumented.metadata)).toContain(`function@5:${factory.range.start.column}`);
  for (const input of [{ name: "kcov" }, { name: "" }, { name: "throw" }]) {
    expect(await outcomeOf(run.run, input)).toEqual(await outcomeOf(original.run, input));
  }
});
