// Comparison feedback in `jskcov fuzz` (fuzz/engine/compare-feedback.ts): with it (the
// default) the built-in engine gets past a 4-byte magic number, and a checksum field that
// must equal what the target computes from the rest of the input, within a fixed budget of
// executions; with --no-cmp (coverage only) it does not, since no mutation short of the
// whole value is rewarded. The checksum needs input-to-state on the very input being
// mutated: a value recorded on another input is the checksum of other bytes.
// Deterministic seeds, fixed budgets, no timing.

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
  fs.mkdirSync(path.join(dir, "out")); // findings go to an existing directory, as in libFuzzer
  const result = jskcov(dir, ["fuzz", "target.js", "--", "-seed=1", BUDGET, "-artifact_prefix=out/"]);
  expectStatus(result, 77);
  const found = fs.readdirSync(path.join(dir, "out")).filter((name) => name.startsWith("crash-"));
  expect(found).toHaveLength(1);
  expect(fs.readFileSync(path.join(dir, "out", found[0])).subarray(0, 4).toString("hex")).toBe("cafebabe");
});

test("with --no-cmp (coverage only) it does not, in the same budget", () => {
  const dir = makeProject({ "target.js": MAGIC });
  fs.mkdirSync(path.join(dir, "out")); // findings go to an existing directory, as in libFuzzer
  const result = jskcov(dir, ["fuzz", "--no-cmp", "target.js", "--", "-seed=1", BUDGET, "-artifact_prefix=out/"]);
  expectStatus(result, 0);
  expect(result.stderr).toMatch(/^#20000\tDONE {3}cov: /m);
  expect(fs.readdirSync(path.join(dir, "out"))).toEqual([]);
});

/** bench/magic's checksum target: a 32-bit FNV-1a of bytes 4.. in bytes 0..3. */
const CHECKSUM = `module.exports.fuzz = function (data) {
  if (data.length < 8) return;
  let hash = 0x811c9dc5;
  for (let i = 4; i < data.length; i++) hash = Math.imul(hash ^ data[i], 0x01000193) >>> 0;
  if (data.readUInt32LE(0) === hash) throw new Error("checksum matches");
};
`;

function fnv1a(bytes: Buffer): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

test.each([1, 2, 3])("with comparison feedback the engine solves a checksum field within the budget (seed %i)", (seed) => {
  const dir = makeProject({ "target.js": CHECKSUM });
  fs.mkdirSync(path.join(dir, "out")); // findings go to an existing directory, as in libFuzzer
  const result = jskcov(dir, ["fuzz", "target.js", "--", `-seed=${seed}`, BUDGET, "-artifact_prefix=out/"]);
  expectStatus(result, 77);
  expect(result.stderr).toMatch(/MS: 1 CMP-/);
  const found = fs.readdirSync(path.join(dir, "out")).filter((name) => name.startsWith("crash-"));
  expect(found).toHaveLength(1);
  const artifact = fs.readFileSync(path.join(dir, "out", found[0]));
  expect(artifact.readUInt32LE(0)).toBe(fnv1a(artifact.subarray(4)));
});

test("with --no-cmp it does not solve the checksum in the same budget", () => {
  const dir = makeProject({ "target.js": CHECKSUM });
  fs.mkdirSync(path.join(dir, "out")); // findings go to an existing directory, as in libFuzzer
  const result = jskcov(dir, ["fuzz", "--no-cmp", "target.js", "--", "-seed=1", BUDGET, "-artifact_prefix=out/"]);
  expectStatus(result, 0);
  expect(result.stderr).toMatch(/^#20000\tDONE {3}cov: /m);
  expect(fs.readdirSync(path.join(dir, "out"))).toEqual([]);
});
