// A tap project under `jskcov run`: tap's runner starts a child process per test file
// (with its own --import loaders in NODE_OPTIONS), so the coverage comes from them. The
// results must be tap's own, and the merged dump must hold each child's blocks.

import * as fs from "node:fs";
import * as path from "node:path";
import { blockAt, blocksAtTransformTime, expectStatus, jskcov, makeProject, node, readDump, removeProjects, requireBuild } from "../../../__tests__/cli-helpers";

const TAP_PACKAGE = path.resolve(__dirname, "../node_modules/tap");

beforeAll(() => {
  requireBuild();
  if (!fs.existsSync(TAP_PACKAGE)) throw new Error(`${TAP_PACKAGE} is missing: run 'npm ci --prefix compat/tap' first`);
});
afterAll(removeProjects);

const LIB = [
  "exports.classify = (n) => {",
  '  if (n > 10) return "big";',
  '  return "small";',
  "};",
  "",
].join("\n");

/** A tap project: one test file runs the "big" branch, the other the "small" one. */
function tapProject(): string {
  const project = makeProject({
    "src/lib.js": LIB,
    "test/big.test.js": 'const t = require("tap");\nconst { classify } = require("../src/lib.js");\nt.equal(classify(20), "big");\n',
    "test/small.test.js": [
      'const t = require("tap");',
      'const { classify } = require("../src/lib.js");',
      't.test("small numbers", async (t) => {',
      '  t.equal(classify(1), "small");',
      '  t.equal(classify(10), "small");',
      "});",
      "",
    ].join("\n"),
  });
  // The project's own tap, as `npm install tap` would leave it: the package and its bin.
  fs.symlinkSync(TAP_PACKAGE, path.join(project, "node_modules/tap"));
  const bin = (JSON.parse(fs.readFileSync(path.join(TAP_PACKAGE, "package.json"), "utf8")) as { bin: Record<string, string> }).bin.tap;
  fs.mkdirSync(path.join(project, "node_modules/.bin"), { recursive: true });
  fs.symlinkSync(path.join("..", "tap", bin), path.join(project, "node_modules/.bin/tap"));
  return project;
}

/** tap's final summary line, e.g. `# { total: 3, pass: 3 }`. */
function summary(stdout: string): string | undefined {
  return /^# \{ total: .*\}$/m.exec(stdout)?.[0];
}

test("tap: the same results as without jskcov, and each test file's process covered", () => {
  const project = tapProject();
  const plain = node(project, ["node_modules/.bin/tap"]);
  expectStatus(plain, 0);
  expect(summary(plain.stdout)).toBe("# { total: 3, pass: 3 }");

  const covered = jskcov(project, ["run", "--filter", "src/**", "--keep-per-process", "per-process", "--", "node_modules/.bin/tap"]);
  expectStatus(covered, 0);
  expect(summary(covered.stdout)).toBe(summary(plain.stdout));
  expect(covered.stderr).not.toContain("jskcov: warning");

  const blocks = blocksAtTransformTime(project, "src/lib.js");
  const big = blockAt(blocks, "if-consequent", 2).pc;
  const small = blockAt(blocks, "join", 3).pc;
  const merged = new Set(readDump(path.join(project, "kcov.out")));
  expect([merged.has(big), merged.has(small)]).toEqual([true, true]);
  // Each branch ran in its own test file's process, and the runner itself ran neither.
  const dumps = fs.readdirSync(path.join(project, "per-process")).filter((name) => /^\d+\.kcov$/.test(name));
  const ran = dumps.map((name) => new Set(readDump(path.join(project, "per-process", name))));
  expect(ran.filter((pcs) => pcs.has(big) && !pcs.has(small))).toHaveLength(1);
  expect(ran.filter((pcs) => pcs.has(small) && !pcs.has(big))).toHaveLength(1);
  expect(dumps.length).toBeGreaterThanOrEqual(3);
});
