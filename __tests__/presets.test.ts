// The plugin together with the presets users have: TypeScript, React, preset-env, in
// either order, and ES modules with cyclic imports run by Node itself.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PluginItem } from "@babel/core";
import kcovPlugin from "../plugin";
import { REPO_ROOT, blocksRunBy, describe as describeValue, loadCommonJs, transform } from "./helpers/instrument";
import type { KcovFileMetadata } from "../plugin";

const TS_SOURCE = `
enum Color { Red = 1, Green = Red * 2, Blue = "b".length }
namespace Shapes { export const sides = (n?: number) => n ?? 4; }
abstract class Base { constructor(readonly tag: string) {} abstract area(): number; }
class Square extends Base {
  declare extra: string;
  private static count: number = 0;
  constructor(private side: number, public label: string = "sq") {
    super(label ? "square" : "none");
    Square.count++;
  }
  area(): number { return this.side > 0 ? this.side * this.side : 0; }
  overloaded(x: string): string;
  overloaded(x: number): number;
  overloaded(x: any): any { return typeof x === "string" ? x + "!" : x + 1; }
}
interface Unused { a: number }
type Alias = string | number;
declare function ambient(): void;
export function run(n: number) {
  const s = new Square(n);
  return [s.area(), s.tag, s.label, Color.Green, Color.Blue, Shapes.sides(), Shapes.sides(n),
          s.overloaded("x"), s.overloaded(n), (s as any).side];
}
`;

const JSX_SOURCE = `
/** @jsx h */
function h(type, props, ...children) { return { type, props: props || {}, children }; }
const Item = ({ name, done }) => <li className={done ? "done" : "todo"}>{name ?? "?"}</li>;
export function run(items) {
  return <ul>{items.length > 0 ? items.map((item) => <Item {...item} />) : <em>empty</em>}{items[0]?.name && <b>first</b>}</ul>;
}
`;

const tsPlugin: PluginItem = [require.resolve("@babel/plugin-transform-typescript"), { allowDeclareFields: true }];
const jsxPlugin: PluginItem = [require.resolve("@babel/plugin-transform-react-jsx"), { runtime: "classic", pragma: "h" }];
const cjsPlugin: PluginItem = require.resolve("@babel/plugin-transform-modules-commonjs");

interface Variant { name: string; plugins: PluginItem[]; presets?: PluginItem[] }

function runBoth(source: string, filename: string, plain: Variant, instrumented: Variant, inputs: unknown[]): KcovFileMetadata {
  const original = loadCommonJs(transform(source, filename, { plugins: plain.plugins, presets: plain.presets }).code);
  const result = transform(source, filename, { plugins: instrumented.plugins, presets: instrumented.presets });
  expect(result.metadata).toBeDefined();
  const copy = loadCommonJs(result.code);
  for (const input of inputs) {
    const expected = describeValue(original.run(input));
    expect(describeValue(copy.run(input))).toEqual(expected);
  }
  return result.metadata!;
}

describe("TypeScript", () => {
  const filename = path.join(REPO_ROOT, "src/square.ts");
  const plain = { name: "plain", plugins: [tsPlugin, cjsPlugin] };
  test.each<Variant>([
    { name: "kcov before the TypeScript plugin", plugins: [kcovPlugin, tsPlugin, cjsPlugin] },
    { name: "kcov after the TypeScript plugin", plugins: [tsPlugin, kcovPlugin, cjsPlugin] },
    { name: "with @babel/preset-typescript", plugins: [kcovPlugin, cjsPlugin], presets: [[require.resolve("@babel/preset-typescript"), { allowDeclareFields: true }]] },
  ])("$name: same behaviour, parameter properties after super(), no blocks for types", (variant) => {
    const metadata = runBoth(TS_SOURCE, filename, plain, variant, [3, 0, -2]);
    const functions = new Set(metadata.blocks.map((b) => b.functionName));
    expect(functions).toContain("Square.constructor");
    expect(functions).toContain("Square.overloaded");
    // Enum members are compile-time constants; overloads and ambient declarations run nothing.
    expect(metadata.blocks.filter((b) => b.range.start.line === 2)).toEqual([]);
    expect(metadata.blocks.filter((b) => b.functionName === "ambient")).toEqual([]);
    expect(metadata.blocks.filter((b) => b.functionName === "Square.overloaded")).toHaveLength(3);
  });
});

describe("JSX", () => {
  const filename = path.join(REPO_ROOT, "src/list.jsx");
  const plain = { name: "plain", plugins: [jsxPlugin, cjsPlugin] };
  const inputs = [[], [{ name: "a", done: true }], [{ done: false }, { name: "b" }]];
  test.each<Variant>([
    { name: "kcov before the JSX plugin", plugins: [kcovPlugin, jsxPlugin, cjsPlugin] },
    { name: "kcov after the JSX plugin", plugins: [jsxPlugin, kcovPlugin, cjsPlugin] },
    { name: "with @babel/preset-react", plugins: [kcovPlugin, cjsPlugin], presets: [[require.resolve("@babel/preset-react"), { pragma: "h" }]] },
  ])("$name: same elements, and the branches inside JSX are blocks", async (variant) => {
    const metadata = runBoth(JSX_SOURCE, filename, plain, variant, inputs);
    const kinds = metadata.blocks.map((b) => b.kind);
    expect(kinds.filter((k) => k === "conditional-consequent")).toHaveLength(2);
    expect(kinds).toContain("optional-continuation");
  });
});

describe("@babel/preset-env down to ES5", () => {
  test("instrumented code compiled for old targets behaves the same and counts the same blocks", async () => {
    const source = `
      class Counter { #n = 0; static made = 0; inc(by = 1) { this.#n += by; return this.#n; } }
      export async function run(list) {
        const c = new Counter();
        let total = 0;
        for (const x of list) { total += x?.v ?? c.inc(); }
        const { a = total > 2 ? "big" : "small", ...rest } = { b: 1 };
        return [total, a, rest];
      }`;
    const filename = path.join(REPO_ROOT, "src/env.js");
    const env: PluginItem = [require.resolve("@babel/preset-env"), { targets: { ie: 11 } }];
    const modern = transform(source, filename, { plugins: [kcovPlugin, cjsPlugin] });
    const old = transform(source, filename, { plugins: [kcovPlugin], presets: [env] });
    expect(old.code).not.toContain("class Counter");
    expect(old.code).not.toContain("?.[");
    const plain = loadCommonJs(transform(source, filename, { plugins: [cjsPlugin] }).code);
    const modernRun = loadCommonJs(modern.code);
    const oldRun = loadCommonJs(old.code);
    for (const input of [[], [{ v: 2 }, null, {}], [{ v: 5 }]]) {
      const expected = describeValue(await plain.run(input));
      const a = await blocksRunBy(modern.metadata!, () => modernRun.run(input));
      const b = await blocksRunBy(old.metadata!, () => oldRun.run(input));
      expect(describeValue(a.value)).toEqual(expected);
      expect(describeValue(b.value)).toEqual(expected);
      expect(b.ran).toEqual(a.ran);
    }
  });
});

describe("ES modules run by Node", () => {
  test("a cyclic import that calls a hoisted function before the module body ran still counts, and behaves the same", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcov-esm-"));
    const sources: Record<string, string> = {
      "main.mjs": `import { early } from "./a.mjs";\nconsole.log(JSON.stringify(early()));\n`,
      "a.mjs": `import { fromB } from "./b.mjs";\nexport function helper(x) { return x > 1 ? "big" : "small"; }\nexport function early() { return [fromB, helper(5)]; }\n`,
      "b.mjs": `import { helper } from "./a.mjs";\nexport const fromB = helper(1);\n`,
    };
    const runIn = (sub: string, instrumentIt: boolean) => {
      fs.mkdirSync(path.join(dir, sub));
      for (const [name, code] of Object.entries(sources)) {
        const file = path.join(dir, sub, name);
        const out = instrumentIt
          ? transform(code, file, { cwd: dir, plugins: [[kcovPlugin, { root: dir }]], sourceType: "module" }).code
          : code;
        fs.writeFileSync(file, out);
      }
      fs.writeFileSync(path.join(dir, sub, "report.mjs"), `
        await import("./main.mjs");
        const registry = globalThis[Symbol.for("babel-plugin-kcov.registry")];
        const ran = registry ? registry.files.map((f) => f.path + ":" + Array.from(f.counters).join("")) : [];
        console.log(JSON.stringify(ran));`);
      return execFileSync(process.execPath, [path.join(dir, sub, "report.mjs")], { encoding: "utf8" }).split("\n");
    };
    const [plainOut] = runIn("plain", false);
    const [instrumentedOut, registered] = runIn("instrumented", true);
    expect(plainOut).toBe(JSON.stringify(["small", "big"]));
    expect(instrumentedOut).toBe(plainOut);
    // program, helper (entry, consequent, alternate), early: all ran, helper's first call
    // (from b.mjs) before a.mjs's body, when a plain counter variable would be undefined.
    const a = JSON.parse(registered).find((entry: string) => entry.startsWith("instrumented/a.mjs:"));
    expect(a).toBe("instrumented/a.mjs:11111");
  });
});
