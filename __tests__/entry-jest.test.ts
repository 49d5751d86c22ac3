// babel-jest: a Jest project whose babel.config.js carries the plugin, with tests that
// read the kcov buffer through the runtime. Run cold, then warm from Jest's transform
// cache, with two parallel workers: the PCs must not change.

import * as fs from "node:fs";
import * as path from "node:path";
import { expectStatus, makeProject, node, removeProjects, requireBuild } from "./cli-helpers";

const TEST_FILE = (name: string, input: string) => `
const fs = require("node:fs");
const path = require("node:path");
const { Kcov, KCOV_TRACE_PC, symbolize } = require("babel-plugin-kcov/runtime");

test("reads the kcov buffer of ${name}", () => {
  const kcov = new Kcov();
  kcov.initTrace(1024);
  const area = kcov.mmap();
  kcov.enable(KCOV_TRACE_PC);
  const { evaluate } = require("../src/calc");
  expect(evaluate(${JSON.stringify(input)})).toBe(7);
  kcov.collect();
  const pcs = [];
  for (let i = 1; i <= Number(area[0]); i++) pcs.push(area[i]);
  expect(pcs.length).toBe(3); // the program, evaluate, and case "plus"
  const blocks = pcs.map((pc) => symbolize(pc));
  expect(blocks.every((block) => block.file === "src/calc.js")).toBe(true);
  expect(blocks.some((block) => block.kind === "switch-case" && block.start.line === 8)).toBe(true);
  kcov.close();
  fs.mkdirSync(path.join(__dirname, "../out"), { recursive: true });
  fs.writeFileSync(
    path.join(__dirname, "../out/${name}.json"),
    JSON.stringify({ pid: process.pid, worker: process.env.JEST_WORKER_ID, pcs: pcs.map((pc) => pc.toString(16)) }),
  );
});
`;

beforeAll(requireBuild);
afterAll(removeProjects);

test("a babel-jest project gives the same PCs cold, warm and in parallel workers", () => {
  const project = makeProject({
    "package.json": '{ "name": "jest-project", "private": true }\n',
    "babel.config.js": [
      "module.exports = {",
      '  plugins: [["kcov", { instrumentationFilter: "src/**" }]],',
      '  presets: [["@babel/preset-env", { targets: { node: "current" } }]],',
      "};",
      "",
    ].join("\n"),
    "jest.config.js": 'module.exports = { testEnvironment: "node", cacheDirectory: "<rootDir>/.jest-cache" };\n',
    "src/calc.js": [
      /* 1 */ "export function evaluate(expression) {",
      /* 2 */ "  const [left, operator, right] = expression.split(' ');",
      /* 3 */ "  switch (operator) {",
      /* 4 */ "    case '-':",
      /* 5 */ "      return Number(left) - Number(right);",
      /* 6 */ "    case '+':",
      /* 7 */ "    case 'plus':",
      /* 8 */ "      return Number(left) + Number(right);",
      /* 9 */ "    default:",
      /* 10 */ "      throw new Error(`unknown operator ${operator}`);",
      /* 11 */ "  }",
      /* 12 */ "}",
      "",
    ].join("\n"),
    "__tests__/a.test.js": TEST_FILE("a", "3 plus 4"),
    "__tests__/b.test.js": TEST_FILE("b", "3 plus 4"),
  });
  // The project's Jest: the one that goes with the Babel under test (cli-helpers.ts).
  const jest = path.join(project, "node_modules/jest/bin/jest.js");
  const runJest = () => {
    fs.rmSync(path.join(project, "out"), { recursive: true, force: true });
    const result = node(project, [jest, "--maxWorkers=2", "--no-watchman", "--ci"]);
    expectStatus(result, 0);
    const read = (name: string) => JSON.parse(fs.readFileSync(path.join(project, `out/${name}.json`), "utf8"));
    return [read("a"), read("b")];
  };

  const [coldA, coldB] = runJest();
  expect(fs.readdirSync(path.join(project, ".jest-cache")).length).toBeGreaterThan(0);
  // Two test files, two workers: each process instrumented calc.js itself.
  expect(coldA.pid).not.toBe(coldB.pid);
  expect(coldA.pcs).toEqual(coldB.pcs);

  const [warmA, warmB] = runJest();
  expect(warmA.pcs).toEqual(coldA.pcs);
  expect(warmB.pcs).toEqual(coldA.pcs);
});
