// The plugin from a project's own Babel config (babel.config.js, .babelrc), alone and
// with preset-env, preset-typescript and preset-react. Each project transforms its
// code with @babel/core as configured, runs it under the runtime's kcov device in a real
// process, and reports the PCs collected; they must be the PCs of the block table and
// point at the original source.

import * as path from "node:path";
import { expectStatus, makeProject, node, removeProjects, requireBuild } from "./cli-helpers";

/** Transforms `argv[2]` with the project's config, runs its main(), collects the PCs. */
const CHECK = `
const babel = require("@babel/core");
const fs = require("node:fs");
const path = require("node:path");
const file = path.resolve(process.argv[2]);
const output = babel.transformFileSync(file, { sourceMaps: "inline" });
const compiled = file.replace(/\\.[jt]sx?$/, ".compiled.js");
fs.writeFileSync(compiled, output.code);
const { Kcov, KCOV_TRACE_PC, symbolize } = require("babel-plugin-kcov/runtime");
const kcov = new Kcov();
kcov.initTrace(4096);
const area = kcov.mmap();
kcov.enable(KCOV_TRACE_PC);
let result;
try {
  result = require(compiled).main(process.argv[3]);
} catch (error) {
  result = String(error.stack);
}
kcov.collect();
const collected = [];
for (let i = 1; i <= Number(area[0]); i++) {
  const block = symbolize(area[i]);
  collected.push({ pc: area[i].toString(16), file: block.file, line: block.start.line, kind: block.kind });
}
const table = output.metadata.kcov.blocks.map((block) => block.pc.toString(16));
console.log(JSON.stringify({ result, collected, table }));
`;

interface Report {
  result: string;
  collected: { pc: string; file: string; line: number; kind: string }[];
  table: string[];
}

function check(project: string, file: string, input = "", nodeArgs: string[] = []): Report {
  const result = node(project, [...nodeArgs, "check.js", file, input]);
  expectStatus(result, 0);
  const report = JSON.parse(result.stdout) as Report;
  for (const { pc } of report.collected) expect(report.table).toContain(pc);
  return report;
}

const ran = (report: Report, file: string, kind: string, line: number) =>
  report.collected.some((block) => block.file === file && block.kind === kind && block.line === line);

const LIB_JS = [
  /* 1 */ "export class Counter {",
  /* 2 */ "  count = 0;",
  /* 3 */ "  add(values = []) {",
  /* 4 */ "    for (const value of values) {",
  /* 5 */ "      if (value > 0) this.count += value;",
  /* 6 */ "      else this.count -= 1;",
  /* 7 */ "    }",
  /* 8 */ "    return this.count;",
  /* 9 */ "  }",
  /* 10 */ "}",
  /* 11 */ "export const main = (input) => new Counter().add([...input].map(Number)) ?? 0;",
  "",
].join("\n");

beforeAll(requireBuild);
afterAll(removeProjects);

test("babel.config.js with the plugin alone, by its short name", () => {
  const project = makeProject({
    "babel.config.js": 'module.exports = { plugins: ["kcov", "@babel/plugin-transform-modules-commonjs"] };\n',
    "check.js": CHECK,
    "src/lib.js": LIB_JS,
  });
  const report = check(project, "src/lib.js", "12");
  expect(report.result).toBe(3);
  expect(ran(report, "src/lib.js", "if-consequent", 5)).toBe(true);
  expect(ran(report, "src/lib.js", "if-alternate", 6)).toBe(false);
  expect(ran(report, "src/lib.js", "function", 3)).toBe(true);
});

test(".babelrc with the plugin", () => {
  const project = makeProject({
    "package.json": '{ "name": "rc-project" }\n',
    ".babelrc": '{ "plugins": [["babel-plugin-kcov", { "instrumentationFilter": "src/**" }], "@babel/plugin-transform-modules-commonjs"] }\n',
    "check.js": CHECK,
    "src/lib.js": LIB_JS,
  });
  const report = check(project, "src/lib.js", "0");
  expect(report.result).toBe(-1);
  expect(ran(report, "src/lib.js", "if-alternate", 6)).toBe(true);
});

test("with @babel/preset-env compiling down to ES5: ranges stay in the original source", () => {
  const project = makeProject({
    "babel.config.js": 'module.exports = { plugins: ["kcov"], presets: [["@babel/preset-env", { targets: { ie: "11" } }]] };\n',
    "check.js": CHECK,
    "src/lib.js": LIB_JS,
  });
  const report = check(project, "src/lib.js", "1");
  expect(report.result).toBe(1);
  expect(ran(report, "src/lib.js", "if-consequent", 5)).toBe(true);
  expect(ran(report, "src/lib.js", "class-field", 2)).toBe(true);
  expect(ran(report, "src/lib.js", "function", 11)).toBe(true);
  expect(report.collected.every((block) => block.file === "src/lib.js")).toBe(true);
});

test("with @babel/preset-typescript: blocks and stack traces point at the .ts source", () => {
  const project = makeProject({
    "babel.config.js": [
      "module.exports = {",
      '  plugins: ["kcov", "@babel/plugin-transform-modules-commonjs"],',
      '  presets: ["@babel/preset-typescript"],',
      "};",
      "",
    ].join("\n"),
    "check.js": CHECK,
    "src/lib.ts": [
      /* 1 */ "interface Parsed {",
      /* 2 */ "  value: number;",
      /* 3 */ "}",
      /* 4 */ "type Input = string;",
      /* 5 */ "export function main(input: Input): number {",
      /* 6 */ "  const parsed: Parsed = { value: Number(input) };",
      /* 7 */ "  if (Number.isNaN(parsed.value)) {",
      /* 8 */ '    throw new TypeError(`not a number: ${input}`);',
      /* 9 */ "  }",
      /* 10 */ "  return parsed.value * 2;",
      /* 11 */ "}",
      "",
    ].join("\n"),
  });
  const report = check(project, "src/lib.ts", "21");
  expect(report.result).toBe(42);
  expect(ran(report, "src/lib.ts", "join", 10)).toBe(true);
  expect(ran(report, "src/lib.ts", "if-consequent", 7)).toBe(false);

  const failing = check(project, "src/lib.ts", "x", ["--enable-source-maps"]);
  expect(failing.result).toContain("TypeError: not a number: x");
  expect(failing.result).toContain(`${path.join(project, "src/lib.ts")}:8:11`);
  expect(ran(failing, "src/lib.ts", "if-consequent", 7)).toBe(true);
});

test("with @babel/preset-react: JSX is instrumented where it was written", () => {
  const project = makeProject({
    "babel.config.js": [
      "module.exports = {",
      '  plugins: ["kcov", "@babel/plugin-transform-modules-commonjs"],',
      '  presets: [["@babel/preset-react", { pragma: "h" }]],',
      "};",
      "",
    ].join("\n"),
    "check.js": CHECK,
    "src/view.jsx": [
      /* 1 */ "const h = (tag, props, ...children) => `<${tag}>${children.flat().join(\"\")}</${tag}>`;",
      /* 2 */ "function Item({ done, label }) {",
      /* 3 */ "  return <li>{done ? <s>{label}</s> : label}</li>;",
      /* 4 */ "}",
      /* 5 */ "export function main(input) {",
      /* 6 */ '  return <ul>{input.split(",").map((label) => Item({ done: label.startsWith("!"), label }))}</ul>;',
      /* 7 */ "}",
      "",
    ].join("\n"),
  });
  const report = check(project, "src/view.jsx", "!a,b");
  expect(report.result).toBe("<ul><li><s>!a</s></li><li>b</li></ul>");
  expect(ran(report, "src/view.jsx", "conditional-consequent", 3)).toBe(true);
  expect(ran(report, "src/view.jsx", "conditional-alternate", 3)).toBe(true);
  expect(ran(report, "src/view.jsx", "function", 2)).toBe(true);
});
