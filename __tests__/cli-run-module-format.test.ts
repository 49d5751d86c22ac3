// Under `jskcov run`, a CommonJS file runs in the module format node gives it: Node
// (>= 20.19) tells the module's `_compile` the format its loader found (`.cjs` is
// CommonJS; a `.js` file follows its package's "type"), and guesses from the syntax only
// without it. So a `.cjs` file with `export` fails as under node, and a `.js` file of a
// "type": "module" package that `require()` loads runs as an ES module.
import { expectStatus, jskcov, makeProject, node, removeProjects, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

const FILES = {
  "src/esm-syntax.cjs": 'export const x = 1;\nconsole.log("ran");\n',
  "src/requires.cjs": 'try {\n  require("./esm-syntax.cjs");\n  console.log("loaded");\n} catch (error) {\n  console.log(error.name);\n}\n',
  "typed/package.json": '{ "type": "module" }\n',
  "typed/plain.js": 'console.log(typeof this, typeof require, (function () { return this === undefined; })());\n',
  "src/requires-typed.cjs": 'require("../typed/plain.js");\nconsole.log("after");\n',
};

test.each([
  ["a .cjs entry with export syntax", "src/esm-syntax.cjs"],
  ["a .cjs file with export syntax, required", "src/requires.cjs"],
  ["a .js file of a type-module package, required", "src/requires-typed.cjs"],
])("%s runs as under node", (_, entry) => {
  const project = makeProject(FILES);
  const plain = node(project, [entry]);
  for (const args of [["run", "--filter", "src/**", "--filter", "typed/**", "--", entry], ["run", "--spawn", "--filter", "src/**", "--filter", "typed/**", "--", entry]]) {
    const run = jskcov(project, args);
    expectStatus(run, plain.status!);
    expect(run.stdout).toBe(plain.stdout);
    if (plain.status !== 0) expect(run.stderr).toContain("SyntaxError: Unexpected token 'export'");
  }
});
