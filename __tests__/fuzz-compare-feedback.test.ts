// Comparison feedback in `jskcov fuzz` (fuzz/engine/compare-feedback.ts): with it (the
// default) the built-in engine gets past a 4-byte magic number within a fixed budget of
// executions; with --no-cmp (coverage only) it does not, since no mutation short of the
// whole value is rewarded. Deterministic seeds, fixed budgets, no timing.

import * as fs from "node:fs";
import * as path from "node:path";
import { expectStatus, jskcov, makeProject, removeProjects, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);
afterAll(removeProjects);

const MAGIC = `module.exports.fuzz = function (data) {
  if (data.length >= 4 && data.readUInt32BE(0) === 0xCAFEBABE) throw new Error("magic found");
};
`;
const BUDGET = "-runs=20000";

test("with comparison feedback (the default) the engine finds a 4-byte magic within the budget", () => {
  const dir = makeProject({ "target.js": MAGIC });
  const result = jskcov(dir, ["fuzz", "target.js", "--", "-seed=1", BUDGET, "-artifact_prefix=out/"]);
  expectStatus(result, 77);
  const found = fs.readdirSync(path.join(dir, "out")).filter((name) => name.startsWith("crash-"));
  expect(found).toHaveLength(1);
  expect(fs.readFileSync(path.join(dir, "out", found[0])).subarray(0, 4).toString("hex")).toBe("cafebabe");
});

test("with --no-cmp (coverage only) it does not, in the same budget", () => {
  const dir = makeProject({ "target.js": MAGIC });
  const result = jskcov(dir, ["fuzz", "--no-cmp", "target.js", "--", "-seed=1", BUDGET, "-artifact_prefix=out/"]);
  expectStatus(result, 0);
  expect(result.stderr).toMatch(/^#20000\tDONE {3}cov: /m);
  expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
});
