// jskcov run with the project's own Babel config: JSX and decorators compiled by
// babel.config.js, in CommonJS and in ES modules, instrumented with the run's options;
// --no-babelrc turns the config off; a .babelrc and package.json "babel" are found too.

import * as fs from "node:fs";
import * as path from "node:path";
import { blockAt, blocksAtTransformTime, expectStatus, jskcov, makeProject, readDump, removeProjects, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

const BABEL_CONFIG = [
  "module.exports = {",
  '  presets: [["@babel/preset-react", { pragma: "h" }]],',
  '  plugins: [["@babel/plugin-proposal-decorators", { version: "2023-11" }]],',
  "};",
  "",
].join("\n");

const VIEW_JSX = [
  "const h = (tag, props, ...children) => `<${tag}>${children.flat().join('')}</${tag}>`;",
  "function View({ items }) {",
  "  if (items.length === 0) {",
  "    return <p>empty</p>;",
  "  }",
  "  return <ul>{items.map((item) => <li>{item}</li>)}</ul>;",
  "}",
  "module.exports = { View };",
  "",
].join("\n");

const DECORATED_JS = [
  "function logged(method, context) {",
  "  return function (...args) {",
  "    return `${String(context.name)}(${args.join()}) = ${method.apply(this, args)}`;",
  "  };",
  "}",
  "class Calculator {",
  "  @logged",
  "  add(a, b) {",
  "    return a + b;",
  "  }",
  "}",
  "module.exports = { Calculator };",
  "",
].join("\n");

describe("jskcov run with the project's Babel config", () => {
  let project: string;
  beforeAll(() => {
    project = makeProject({
      "babel.config.js": BABEL_CONFIG,
      "src/view.jsx": VIEW_JSX,
      "src/decorated.js": DECORATED_JS,
      "src/main.js": [
        'const { View } = require("./view");',
        'const { Calculator } = require("./decorated");',
        'console.log(View({ items: ["a", "b"] }));',
        "console.log(new Calculator().add(2, 3));",
        "",
      ].join("\n"),
      "src/main.mjs": 'import view from "./view.jsx";\nconsole.log(view.View({ items: [] }));\n',
    });
  });

  test("JSX and decorators run as the config compiles them, and are instrumented", () => {
    const result = jskcov(project, ["run", "--filter", "src/**", "--no-cache", "--", "src/main.js"]);
    expectStatus(result, 0);
    expect(result.stdout).toBe("<ul><li>a</li><li>b</li></ul>\nadd(2,3) = 5\n");
    const ran = new Set(readDump(path.join(project, "kcov.out")));
    const view = blocksAtTransformTime(project, "src/view.jsx", true);
    expect(ran.has(blockAt(view, "join", 6).pc)).toBe(true);
    expect(ran.has(blockAt(view, "if-consequent", 3).pc)).toBe(false);
    const decorated = blocksAtTransformTime(project, "src/decorated.js", true);
    // The method (its range starts at its decorator) and the wrapper the decorator returned.
    expect(ran.has(blockAt(decorated, "function", 2).pc)).toBe(true);
    expect(ran.has(blockAt(decorated, "function", 7).pc)).toBe(true);
    const map = JSON.parse(fs.readFileSync(path.join(project, "kcov.out.blocks.json"), "utf8"));
    expect(map.files.map((file: { path: string }) => file.path).sort()).toEqual(["src/decorated.js", "src/main.js", "src/view.jsx"]);
  });

  test("a .jsx file imported by an ES module", () => {
    const result = jskcov(project, ["run", "--filter", "src/**", "--no-cache", "--out", "esm.out", "--", "src/main.mjs"]);
    expectStatus(result, 0);
    expect(result.stdout).toBe("<p>empty</p>\n");
    const view = blocksAtTransformTime(project, "src/view.jsx", true);
    expect(new Set(readDump(path.join(project, "esm.out"))).has(blockAt(view, "if-consequent", 3).pc)).toBe(true);
  });

  test("files outside the filter are still compiled by the config, not instrumented", () => {
    const result = jskcov(project, ["run", "--filter", "src/main.js", "--no-cache", "--out", "main-only.out", "--", "src/main.js"]);
    expectStatus(result, 0);
    expect(result.stdout).toBe("<ul><li>a</li><li>b</li></ul>\nadd(2,3) = 5\n");
    const map = JSON.parse(fs.readFileSync(path.join(project, "main-only.out.blocks.json"), "utf8"));
    expect(map.files.map((file: { path: string }) => file.path)).toEqual(["src/main.js"]);
  });

  test("the cache: a warm run gives the same output and dump; editing the config is a miss", () => {
    const cacheDir = path.join(project, "cache");
    const run = (out: string) => jskcov(project, ["run", "--filter", "src/**", "--cache-dir", cacheDir, "--progress", "--out", out, "--", "src/main.js"]);
    expect(run("cold.out").stderr).toContain("(0 from the cache)");
    const warm = run("warm.out");
    expect(warm.stderr).toMatch(/transformed 3 files \(3 from the cache\)/);
    expect(fs.readFileSync(path.join(project, "warm.out"))).toEqual(fs.readFileSync(path.join(project, "cold.out")));
    fs.appendFileSync(path.join(project, "babel.config.js"), "// edited\n");
    expect(run("edited.out").stderr).toContain("(0 from the cache)");
  });

  test("--no-babelrc ignores the config: the JSX is then a syntax error, reported as Babel's", () => {
    const result = jskcov(project, ["run", "--no-babelrc", "--no-cache", "--out", "plain.out", "--", "src/main.js"]);
    expectStatus(result, 1);
    expect(result.stderr).toContain(path.join(project, "src/view.jsx"));
    expect(result.stderr).toMatch(/SyntaxError|Support for the experimental syntax 'jsx'/);
  });

  test("a .babelrc and package.json \"babel\" are the project's config too", () => {
    for (const [file, text] of [
      [".babelrc", JSON.stringify({ presets: [["@babel/preset-react", { pragma: "h" }]] })],
      ["package.json", JSON.stringify({ name: "with-babel-field", babel: { presets: [["@babel/preset-react", { pragma: "h" }]] } })],
    ]) {
      const other = makeProject({ [file]: text, "view.jsx": VIEW_JSX, "main.js": 'console.log(require("./view.jsx").View({ items: ["x"] }));\n' });
      const result = jskcov(other, ["run", "--no-cache", "--", "main.js"]);
      expectStatus(result, 0);
      expect(result.stdout).toBe("<ul><li>x</li></ul>\n");
      const view = blocksAtTransformTime(other, "view.jsx", true);
      expect(new Set(readDump(path.join(other, "kcov.out"))).has(blockAt(view, "join", 6).pc)).toBe(true);
    }
  });
});

test("TypeScript with decorators the project's config compiles, as the entry: run as compiled (deciding its module format parsed it without them and failed)", () => {
  const project = makeProject({
    "babel.config.json": JSON.stringify({ plugins: [["@babel/plugin-proposal-decorators", { version: "legacy" }]] }),
    // No import: whether it is an ES module is decided by parsing it (the `export` is a namespace's).
    "main.ts": [
      "const calls: string[] = [];",
      "function sealed(ctor: Function) { calls.push(`sealed ${ctor.name}`); }",
      "@sealed",
      "class Service { count(n: number): string { return n > 1 ? 'many' : 'one'; } }",
      "namespace Names { export const first = 'a'; }",
      "console.log(new Service().count(2), calls.join(), Names.first);",
      "",
    ].join("\n"),
  });
  const result = jskcov(project, ["run", "--no-cache", "--", "main.ts"]);
  expectStatus(result, 0);
  expect(result.stdout).toBe("many sealed Service a\n");
  const ran = new Set(readDump(path.join(project, "kcov.out")));
  expect(ran.has(blockAt(blocksAtTransformTime(project, "main.ts", true), "conditional-consequent", 4).pc)).toBe(true);
});
