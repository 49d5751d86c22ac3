// Merging dumps of one file instrumented with different options (found by conformance
// checks): counter mode, counter pruning and traceCmp change a file's fingerprint but not
// one block or PC, so their dumps merge; another pcSeed or other code moves PCs, and is
// refused with a message that says which.

import * as fs from "node:fs";
import * as path from "node:path";
import * as vm from "node:vm";
import { blockMapOf } from "../cli/coverage-files";
import { mergeDumps } from "../cli/merge-dumps";
import type { KcovFileRecord } from "../runtime";
import type { KcovPluginOptions } from "../plugin";
import { expectStatus, jskcov, makeProject, readDump, removeProjects, requireBuild } from "./cli-helpers";
import { compileSnippet, runInRealm } from "./helpers/realm-differential";
import { REPO_ROOT } from "./helpers/instrument";

beforeAll(requireBuild);
afterAll(removeProjects);

const SOURCE = `function f(x) { if (x === "a") return 1; switch (x) { case 2: return 2; } return x < 3 ? 3 : 4; }
log(f("a"), f(2), f(9));`;

/** The block map of SOURCE instrumented with `plugin`, as `jskcov run` would write it. */
async function instrumentedMap(plugin: KcovPluginOptions) {
  const { code } = compileSnippet(SOURCE, "sloppy", { plugin });
  const { context } = await runInRealm(code);
  const records = vm.runInContext(`globalThis[Symbol.for("babel-plugin-kcov.registry")].files`, context) as KcovFileRecord[];
  const map = blockMapOf(records, REPO_ROOT);
  return { map, fingerprint: map.files[0].fingerprint };
}

describe("mergeDumps", () => {
  test.each<[string, KcovPluginOptions]>([
    ["traceCmp", { traceCmp: true }],
    ["count mode", { counterMode: "count" }],
    ["no counter pruning", { pruneCounters: false }],
  ])("a plain build's dump merges with a %s build's dump of the same file", async (_name, options) => {
    const plain = await instrumentedMap({});
    const other = await instrumentedMap(options);
    expect(other.fingerprint).not.toBe(plain.fingerprint);
    const merged = mergeDumps([
      { name: "plain.out", pcs: [1n], map: plain.map },
      { name: "other.out", pcs: [2n, 1n], map: other.map },
    ]);
    expect(merged.pcs).toEqual([1n, 2n]);
    expect(merged.map.files).toEqual([plain.map.files[0]]);
  });

  test("another pcSeed is refused: the blocks are at other PCs", async () => {
    const plain = await instrumentedMap({});
    const seeded = await instrumentedMap({ pcSeed: 7 });
    expect(() => mergeDumps([{ name: "plain.out", pcs: [], map: plain.map }, { name: "seeded.out", pcs: [], map: seeded.map }]))
      .toThrow("cannot merge seeded.out with plain.out: conformance/snippet.js has its blocks at other PCs in each (another --pc-seed or --pc-layout)");
  });
});

test("jskcov merge: a --counter-mode count run and a default run of the same program merge into the union", () => {
  const dir = makeProject({ "main.js": "if (process.argv[2]) console.log('given'); else console.log('none');\n" });
  expectStatus(jskcov(dir, ["run", "--no-cache", "--out", "hit.out", "--", "main.js", "x"]), 0);
  expectStatus(jskcov(dir, ["run", "--no-cache", "--counter-mode", "count", "--out", "count.out", "--", "main.js"]), 0);
  const result = jskcov(dir, ["merge", "--out", "all.out", "hit.out", "count.out"]);
  expectStatus(result, 0);
  const [hit, count, all] = ["hit.out", "count.out", "all.out"].map((file) => readDump(path.join(dir, file)));
  expect(all).toEqual([...new Set([...hit, ...count])]);
  expect(all.length).toBeGreaterThan(hit.length);
  expect(fs.existsSync(path.join(dir, "all.out.blocks.json"))).toBe(true);
});

test("jskcov merge: runs with another --pc-seed are refused, naming the file and the reason", () => {
  const dir = makeProject({ "main.js": "console.log(process.argv.length > 9 ? 'many' : 'few');\n" });
  expectStatus(jskcov(dir, ["run", "--no-cache", "--out", "a.out", "--", "main.js"]), 0);
  expectStatus(jskcov(dir, ["run", "--no-cache", "--pc-seed", "5", "--out", "b.out", "--", "main.js"]), 0);
  const result = jskcov(dir, ["merge", "--out", "ab.out", "a.out", "b.out"]);
  expectStatus(result, 1);
  expect(result.stderr).toContain("main.js has its blocks at other PCs in each (another --pc-seed or --pc-layout)");
  expect(fs.existsSync(path.join(dir, "ab.out"))).toBe(false);
});
