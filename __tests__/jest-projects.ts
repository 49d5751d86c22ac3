// A Jest project run with and without `jskcov run`, for the Jest versions jskcov hooks:
// Jest 29 in the main suites, Jest 30 in the compat/babel8 leg (whichever `jest` the
// project's node_modules links). CommonJS tests, or ES module tests under
// --experimental-vm-modules; 2 workers, so the coverage must come from Jest's workers.

import * as fs from "node:fs";
import * as path from "node:path";
import { blockAt, blocksAtTransformTime, expectStatus, jskcov, makeProject, node, readDump } from "./cli-helpers";

const SUM_CJS = "exports.sum = (a, b) => {\n  if (a < 0) return -1;\n  return a + b;\n};\n";
const SUM_ESM = "export const sum = (a, b) => {\n  if (a < 0) return -1;\n  return a + b;\n};\n";

function testFile(esm: boolean, index: number): string {
  const load = esm ? 'import { sum } from "../src/sum.js";\n' : 'const { sum } = require("../src/sum.js");\n';
  return `${load}describe("suite ${index}", () => {\n  it("adds", () => { if (sum(${index}, 1) !== ${index + 1}) throw new Error("bad sum"); });\n` +
    `  it("checks the process", () => { if (typeof process.pid !== "number") throw new Error("no pid"); });\n});\n`;
}

/** Jest's "Tests:" line, e.g. "Tests: 8 passed, 8 total". */
function testCounts(stderr: string): string {
  const match = /Tests:\s+\d+ passed, \d+ total/.exec(stderr);
  if (match === null) throw new Error(`no Jest counts in:\n${stderr}`);
  return match[0];
}

/**
 * Runs a 4-file Jest project (8 tests) with 2 workers, plainly and under `jskcov run`;
 * checks the same counts, no warning, and that the blocks that ran came from Jest's
 * workers. Returns the Jest version the project used.
 */
export function expectJestCoveredByWorkers(esm: boolean): string {
  const project = makeProject({
    "src/sum.js": esm ? SUM_ESM : SUM_CJS,
    ...Object.fromEntries(Array.from({ length: 4 }, (_, index) => [`test/t${index}.test.js`, testFile(esm, index)])),
    "package.json": JSON.stringify({ name: "jest-project", ...(esm ? { type: "module" } : {}), jest: { testEnvironment: "node", transform: {} } }),
  });
  const jestBin = path.join(project, "node_modules/jest/bin/jest.js");
  const jestVersion = (JSON.parse(fs.readFileSync(path.join(project, "node_modules/jest/package.json"), "utf8")) as { version: string }).version;
  const args = [...(esm ? ["--experimental-vm-modules"] : []), jestBin, "--maxWorkers=2", "--no-cache", "--ci"];
  const plain = node(project, args);
  expectStatus(plain, 0);
  const kept = path.join(project, "per-process");
  // ES modules need node's option, so a child process; CommonJS runs as `jskcov run -- jest.js`, in jskcov's process.
  const covered = jskcov(project, ["run", "--filter", "src/**", "--keep-per-process", kept, "--", ...(esm ? ["node"] : []), ...args]);
  expectStatus(covered, 0);
  expect(testCounts(covered.stderr)).toBe(testCounts(plain.stderr));
  expect(testCounts(covered.stderr)).toMatch(/8 passed, 8 total/);
  expect(covered.stderr).not.toContain("jskcov: warning");
  // The tests ran in Jest's worker processes, and the coverage came from there.
  const withSum = fs
    .readdirSync(kept)
    .filter((name) => name.endsWith(".kcov.blocks.json"))
    .filter((name) => fs.readFileSync(path.join(kept, name), "utf8").includes('"src/sum.js"'))
    .map((name) => JSON.parse(fs.readFileSync(path.join(kept, name.replace(".kcov.blocks.json", ".process.json")), "utf8")).argv[1]);
  expect(withSum.length).toBeGreaterThanOrEqual(1);
  for (const script of withSum) expect(script).toMatch(/jest-worker/);
  const sum = blocksAtTransformTime(project, "src/sum.js");
  const ran = new Set(readDump(path.join(project, "kcov.out")));
  expect(ran.has(blockAt(sum, "function", 1).pc)).toBe(true);
  expect(ran.has(blockAt(sum, "join", 3).pc)).toBe(true);
  expect(ran.has(blockAt(sum, "if-consequent", 2).pc)).toBe(false);
  return jestVersion;
}
