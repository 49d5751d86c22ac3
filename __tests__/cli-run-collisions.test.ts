// Two files whose PC regions clash under `jskcov run` lose nothing: the clash is reported
// when the second file loads, that file is left out of coverage, the dump and block map
// are written for everything else, the status is the program's unless --strict, and the
// seed the message gives does resolve it. The kernel32 layout with --pc-seed 1 makes the
// clash reproducible (the case: the old hint, pcSeedByFile 1, changed nothing).
import * as fs from "node:fs";
import * as path from "node:path";
import { expectStatus, jskcov, makeProject, readDump, removeProjects, requireBuild } from "./cli-helpers";
import { PC_LAYOUTS, regionSizeFor, regionStartFor } from "../plugin/pc-layout";

const LIBRARY = "exports.pick = function pick(x) { return x > 1 ? 'big' : 'small'; };\n";

/** Two paths whose kernel32 regions coincide for seed 1 (found by search, as a user would hit them). */
function clashingPair(): [string, string] {
  const size = regionSizeFor(4);
  const seen = new Map<bigint, string>();
  for (let i = 0; ; i++) {
    const file = `lib/m${i}.js`;
    const start = regionStartFor(file, size, 1, PC_LAYOUTS.kernel32);
    const other = seen.get(start);
    if (other !== undefined) return [other, file];
    seen.set(start, file);
  }
}

const [first, second] = clashingPair();
const MAIN = [
  `const a = require("./${first}");`,
  `process.stderr.write("loaded the first\\n");`,
  `const b = require("./${second}");`,
  `process.stderr.write("loaded the second\\n");`,
  `console.log(a.pick(2), b.pick(0));`,
  "",
].join("\n");
const RUN = ["run", "--no-cache", "--pc-layout", "kernel32", "--pc-seed", "1", "--filter", "**", "--filter", "!node_modules/**"];

let project: string;
beforeAll(() => {
  requireBuild();
  project = makeProject({ "main.js": MAIN, [first]: LIBRARY, [second]: LIBRARY });
});
afterAll(removeProjects);

const mapOf = (out: string) => JSON.parse(fs.readFileSync(path.join(project, `${out}.blocks.json`), "utf8")) as {
  files: Array<{ path: string; regionPc: string; regionSize: number }>;
  leftOut?: Array<{ path: string; reason: string }>;
};

test("the clash is reported when the second file loads; the program, its status and everyone else's coverage are kept", () => {
  const result = jskcov(project, [...RUN, "--out", "plain.out", "--", "main.js"]);
  expectStatus(result, 0);
  expect(result.stdout).toBe("big small\n");
  // On stderr, between what the program wrote before and after loading the second file.
  const report = result.stderr.indexOf(`jskcov: ${second} is left out of coverage`);
  expect(report).toBeGreaterThan(result.stderr.indexOf("loaded the first\n"));
  expect(report).toBeLessThan(result.stderr.indexOf("loaded the second\n"));
  expect(result.stderr).toContain(first);

  const map = mapOf("plain.out");
  expect(map.files.map((file) => file.path).sort()).toEqual([first, "main.js"].sort());
  expect(map.leftOut?.map((file) => file.path)).toEqual([second]);
  expect(map.leftOut?.[0].reason).toMatch(/overlap/);
  // The dump holds the blocks of the files kept, and every PC in it is in the map.
  const pcs = readDump(path.join(project, "plain.out"));
  expect(pcs.length).toBeGreaterThan(3);
  const symbolized = jskcov(project, ["symbolize", "plain.out"]);
  expectStatus(symbolized, 0);
  expect(symbolized.stdout).toContain(`${first}:1.`);
  expect(symbolized.stdout).not.toContain(`${second}:`);
});

test("--strict: the same dump, and a status that says a file was left out", () => {
  const result = jskcov(project, [...RUN, "--strict", "--out", "strict.out", "--", "main.js"]);
  expectStatus(result, 1);
  expect(result.stdout).toBe("big small\n");
  expect(result.stderr).toMatch(/--strict/);
  expect(mapOf("strict.out").files.map((file) => file.path)).toContain(first);
  expect(readDump(path.join(project, "strict.out")).length).toBeGreaterThan(3);
});

test("the seed the message gives resolves the clash (and is not the seed the file already had)", () => {
  const result = jskcov(project, [...RUN, "--out", "hint.out", "--", "main.js"]);
  const hint = new RegExp(`--pc-seed-for ${second.replace(/[.]/g, "\\.")}=(\\d+)`).exec(result.stderr);
  expect(hint).not.toBeNull();
  const seed = Number(hint![1]);
  expect(seed).not.toBe(1);
  const fixed = jskcov(project, [...RUN, "--pc-seed-for", `${second}=${seed}`, "--strict", "--out", "fixed.out", "--", "main.js"]);
  expectStatus(fixed, 0);
  expect(fixed.stderr).not.toMatch(/left out/);
  const map = mapOf("fixed.out");
  expect(map.files.map((file) => file.path).sort()).toEqual([first, second, "main.js"].sort());
  expect(map.leftOut).toBeUndefined();
  // The first file kept its PCs: only the second moved.
  const before = mapOf("hint.out").files.find((file) => file.path === first)!;
  expect(map.files.find((file) => file.path === first)!.regionPc).toBe(before.regionPc);
});
