// TypeScript that is CommonJS (.cts, or .ts in a "type": "commonjs" package), imported by
// an ES module under `jskcov run`: the importer gets the names the compiled file exports,
// as it does from the same file compiled by tsc and run by node (Node's loader reads the
// names from the source with cjs-module-lexer, which finds none in TypeScript source).

import * as path from "node:path";
import { blockAt, blocksAtTransformTime, expectStatus, jskcov, makeProject, readDump, removeProjects, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

const FILES = {
  "reexports.cts": [
    'export * from "./values.cts";',
    "export const own: number = 1;",
    'console.log("reexports.cts: main", require.main === module, "cache", typeof require.cache);',
    "",
  ].join("\n"),
  "values.cts": 'export function fromValues(x: number): string {\n  return x > 1 ? "many" : "one";\n}\nexport const count = 2;\n',
  "assigned.cts": "function double(x: number) { return x * 2; }\nexport = double;\n",
  "main.mjs": [
    'import { own, fromValues, count } from "./reexports.cts";',
    'import * as namespace from "./reexports.cts";',
    'import double from "./assigned.cts";',
    'import { Box } from "./typed/box.ts";',
    'import boxDefault from "./typed/box.ts";',
    "console.log(own, fromValues(count), Object.keys(namespace).sort().join(), double(4), new Box().size, JSON.stringify(boxDefault));",
    "",
  ].join("\n"),
  "typed/package.json": '{ "type": "commonjs" }\n',
  "typed/box.ts": "export class Box { size = 3; }\nexport default { kind: \"box\" };\nconsole.log(\"box.ts: require\", typeof require);\n",
};

test("named, namespace and default imports of CommonJS TypeScript get the compiled file's exports", () => {
  const project = makeProject(FILES);
  const result = jskcov(project, ["run", "--no-cache", "--", "main.mjs"]);
  expectStatus(result, 0);
  expect(result.stdout).toBe([
    "reexports.cts: main false cache object",
    "box.ts: require function", // "type": "commonjs" decides: CommonJS, although it has export syntax
    '1 many __esModule,count,default,fromValues,own 8 3 {"default":{"kind":"box"}}',
    "",
  ].join("\n"));
  // Loaded through Node's CommonJS loader and the require hook: instrumented.
  const ran = new Set(readDump(path.join(project, "kcov.out")));
  expect(ran.has(blockAt(blocksAtTransformTime(project, "values.cts"), "conditional-consequent", 2).pc)).toBe(true);
});

test("as the entry, a .cts file keeps Node's own CommonJS loading (require.main is the module)", () => {
  const project = makeProject(FILES);
  const result = jskcov(project, ["run", "--no-cache", "--", "reexports.cts"]);
  expectStatus(result, 0);
  expect(result.stdout).toBe("reexports.cts: main true cache object\n");
});
