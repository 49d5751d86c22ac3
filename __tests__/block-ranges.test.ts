// Block ranges nest: any two are disjoint or one contains the other, so "the innermost
// range that contains a position" is well defined. Checked on every fixture and on a
// large real file.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, instrument } from "./helpers/instrument";
import { fixtureNames, readFixture } from "./helpers/fixtures";
import type { SourceRange } from "../plugin/block-table";

const key = (p: SourceRange["start"]) => p.line * 1e7 + p.column;

/** Pairs of ranges that overlap without one containing the other. */
function crossingPairs(ranges: SourceRange[]): string[] {
  const sorted = ranges.filter((r) => key(r.start) < key(r.end)).sort((a, b) => key(a.start) - key(b.start) || key(b.end) - key(a.end));
  const problems: string[] = [];
  const open: SourceRange[] = [];
  for (const range of sorted) {
    while (open.length > 0 && key(open[open.length - 1].end) <= key(range.start)) open.pop();
    const parent = open[open.length - 1];
    if (parent && key(range.end) > key(parent.end)) problems.push(`${JSON.stringify(parent)} crosses ${JSON.stringify(range)}`);
    open.push(range);
  }
  return problems;
}

test("crossingPairs finds a crossing pair and accepts nested ones", () => {
  const r = (a: number, b: number): SourceRange => ({ start: { line: 1, column: a }, end: { line: 1, column: b } });
  expect(crossingPairs([r(0, 10), r(2, 5), r(5, 10), r(6, 7)])).toEqual([]);
  expect(crossingPairs([r(0, 5), r(3, 8)])).toHaveLength(1);
});

test.each(fixtureNames())("fixture %s: block ranges nest", (name) => {
  const { source, filename, pluginOptions, presets, sourceType } = readFixture(name);
  const { metadata } = instrument(source, filename, pluginOptions, { presets, sourceType });
  expect(crossingPairs(metadata.blocks.map((b) => b.range))).toEqual([]);
});

test("acorn (3700 blocks): block ranges nest", () => {
  const file = path.join(REPO_ROOT, "node_modules/acorn/dist/acorn.js");
  const { metadata } = instrument(fs.readFileSync(file, "utf8"), file, { instrumentationFilter: "**" });
  expect(metadata.blocks.length).toBeGreaterThan(3000);
  expect(crossingPairs(metadata.blocks.map((b) => b.range))).toEqual([]);
});
