// @babel/register in a CommonJS project: the project's babel.config.js instruments
// what is required after it, the runtime collects; twice, cold and with register's cache.

import * as fs from "node:fs";
import * as path from "node:path";
import { expectStatus, makeProject, node, removeProjects, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

test("@babel/register with the plugin: the PCs of a run, identical from its cache", () => {
  const project = makeProject({
    "babel.config.js": 'module.exports = { plugins: [["kcov", { instrumentationFilter: "lib/**" }]] };\n',
    "main.js": [
      'require("@babel/register");',
      'const { Kcov, KCOV_TRACE_PC, symbolize, formatSymbolized } = require("babel-plugin-kcov/runtime");',
      "const kcov = new Kcov();",
      "kcov.initTrace(1024);",
      "const area = kcov.mmap();",
      "kcov.enable(KCOV_TRACE_PC);",
      'const { tokenize } = require("./lib/tokenize");',
      'console.log(JSON.stringify(tokenize("ab 12 +")));',
      "kcov.collect();",
      "for (let i = 1; i <= Number(area[0]); i++) process.stdout.write(formatSymbolized(symbolize(area[i])));",
      "",
    ].join("\n"),
    "lib/tokenize.js": [
      /* 1 */ "function tokenize(text) {",
      /* 2 */ "  const tokens = [];",
      /* 3 */ "  for (const word of text.split(' ')) {",
      /* 4 */ "    if (/^\\d+$/.test(word)) tokens.push({ number: Number(word) });",
      /* 5 */ "    else if (/^\\w+$/.test(word)) tokens.push({ name: word });",
      /* 6 */ "    else tokens.push({ operator: word });",
      /* 7 */ "  }",
      /* 8 */ "  return tokens;",
      /* 9 */ "}",
      /* 10 */ "module.exports = { tokenize };",
      "",
    ].join("\n"),
  });
  const env = { BABEL_CACHE_PATH: path.join(project, "register-cache.json") };
  const cold = node(project, ["main.js"], env);
  expectStatus(cold, 0);
  const [result, ...symbolized] = cold.stdout.trimEnd().split("\n");
  expect(JSON.parse(result)).toEqual([{ name: "ab" }, { number: 12 }, { operator: "+" }]);
  expect(symbolized.filter((line) => line.startsWith("lib/tokenize.js:")).map((line) => line.split(":")[1].split(".")[0])).toEqual(
    ["1", "1", "3", "4", "5", "5", "6", "8"],
  );
  expect(fs.existsSync(env.BABEL_CACHE_PATH)).toBe(true);

  const warm = node(project, ["main.js"], env);
  expectStatus(warm, 0);
  expect(warm.stdout).toBe(cold.stdout);
});
