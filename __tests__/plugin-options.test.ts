// Options, instrumentation_filter, the package entry, and files the plugin must leave alone.
import * as path from "node:path";
import { transformSync } from "@babel/core";
import kcovPlugin from "../plugin";
import { REPO_ROOT, instrument, transform } from "./helpers/instrument";

const SOURCE = "function f(a) { return a ? 1 : 2; }\nmodule.exports = f;\n";

function transformWith(options: unknown, filename = path.join(REPO_ROOT, "src/a.js"), extra: object = {}) {
  return transform(SOURCE, filename, { plugins: [[kcovPlugin, options]], ...extra });
}

describe("option validation", () => {
  test.each([
    [{ instrumentationFiltr: "**" }, /unknown option "instrumentationFiltr"/],
    [{ instrumentationFilter: 3 }, /option "instrumentationFilter" must be a glob string or a non-empty array/],
    [{ instrumentationFilter: [] }, /option "instrumentationFilter" must be a glob string or a non-empty array/],
    [{ instrumentationFilter: ["src/**", ""] }, /option "instrumentationFilter\[1\]" must be a non-empty glob string/],
    [{ instrumentationFilter: ["src/[ab"] }, /option "instrumentationFilter\[0\]" is not a valid glob \("src\/\[ab"\)/],
    [{ instrumentationFilter: "src/{a" }, /option "instrumentationFilter" is not a valid glob/],
    [{ root: 5 }, /option "root" must be a non-empty path string, got 5/],
    [{ pcSeed: -1 }, /option "pcSeed" must be an integer from 0 to 4294967295, got -1/],
    [{ pcSeed: 1.5 }, /option "pcSeed" must be an integer/],
    [{ counterMode: "bool" }, /option "counterMode" must be "hit" or "count", got "bool"/],
    [{ pruneCounters: "yes" }, /option "pruneCounters" must be true or false, got "yes"/],
    [{ pcSeedByFile: ["src/a.js"] }, /option "pcSeedByFile" must be an object from relative file paths to seeds/],
    [{ pcSeedByFile: { "src/a.js": "1" } }, /option "pcSeedByFile\["src\/a.js"\]" must be an integer from 0 to 4294967295, got "1"/],
  ])("%j is rejected with an error naming the option", (options, message) => {
    expect(() => transformWith(options)).toThrow(message);
  });

  test("code without a filename is an error that says to pass one", () => {
    expect(() => transformSync(SOURCE, { babelrc: false, configFile: false, plugins: [kcovPlugin] }))
      .toThrow(/has no filename.*pass `filename` to Babel/s);
  });
});

describe("instrumentationFilter", () => {
  const plain = transform(SOURCE, path.join(REPO_ROOT, "src/a.js")).code;

  test.each([
    ["src/a.js", {}, true],
    ["node_modules/x/a.js", {}, false],
    ["src/node_modules/x/a.js", {}, false],
    [".hidden/a.js", {}, true],
    ["src/a.js", { instrumentationFilter: "lib/**" }, false],
    ["lib/a.js", { instrumentationFilter: ["lib/**", "src/**"] }, true],
    ["src/a.test.js", { instrumentationFilter: ["src/**", "!**/*.test.js"] }, false],
    ["src/a.js", { instrumentationFilter: ["!**/*.test.js"] }, true],
    ["src/a.js", { instrumentationFilter: "a.js", root: "src" }, true],
    ["other/a.js", { instrumentationFilter: "**", root: "src" }, false],
  ])("%s with %j: instrumented=%s", (file, options, expected) => {
    const result = transformWith(options, path.join(REPO_ROOT, file));
    expect(result.metadata !== undefined).toBe(expected);
    if (!expected) expect(result.code).toBe(plain);
  });

  test("paths are relative to the root with POSIX separators", () => {
    const { metadata } = instrument(SOURCE, path.join(REPO_ROOT, "src/deep/a.js"));
    expect(metadata.path).toBe("src/deep/a.js");
    expect(metadata.blocks.every((b) => b.source === "src/deep/a.js")).toBe(true);
  });
});

describe("files the plugin leaves alone", () => {
  test("instrumenting twice is detected: the second pass changes nothing", () => {
    const filename = path.join(REPO_ROOT, "src/a.js");
    const once = instrument(SOURCE, filename).code;
    const twice = transform(once, filename, { plugins: [kcovPlugin] });
    expect(twice.metadata).toBeUndefined();
    expect(twice.code).toBe(once);
  });

  test("the plugin listed twice in one config instruments once", () => {
    const filename = path.join(REPO_ROOT, "src/a.js");
    const result = transform(SOURCE, filename, { plugins: [[kcovPlugin, {}, "first"], [kcovPlugin, {}, "second"]] });
    expect(result.code.match(/var __cov_kcov\$/g)).toHaveLength(1);
    expect(result.code).toBe(instrument(SOURCE, filename).code);
  });

  test("nodes without a source location (made by another plugin) get no blocks and do not crash", () => {
    const insertsUnlocatedCode = ({ types: t }: typeof import("@babel/core")) => ({
      visitor: {
        Program(program: import("@babel/core").NodePath<import("@babel/types").Program>) {
          program.node.body.push(t.ifStatement(t.identifier("generatedFlag"),
            t.expressionStatement(t.callExpression(t.identifier("generated"), []))));
        },
      },
    });
    const result = transform(SOURCE, path.join(REPO_ROOT, "src/a.js"), { plugins: [insertsUnlocatedCode, kcovPlugin] });
    expect(result.code).toContain("if (generatedFlag) generated();");
    expect(result.metadata!.blocks.map((b) => b.kind)).toEqual(
      ["program", "function", "conditional-consequent", "conditional-alternate"]);
  });
});

describe("package entry", () => {
  test("require('babel-plugin-kcov') is the plugin function, and .default is the same", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const entry = require(REPO_ROOT);
    expect(typeof entry).toBe("function");
    expect(entry.default).toBe(entry);
    const result = transformSync(SOURCE, {
      filename: path.join(REPO_ROOT, "src/a.js"), cwd: REPO_ROOT, babelrc: false, configFile: false,
      plugins: [[REPO_ROOT, { instrumentationFilter: "src/**" }]],
    });
    expect((result!.metadata as { kcov?: unknown }).kcov).toBeDefined();
  });
});
