// Runs every folder in fixtures/: the instrumented output and block table match the
// checked-in snapshots, the instrumented code behaves exactly like the original on every
// case, and each case runs exactly the blocks it lists.
// UPDATE_FIXTURES=1 rewrites output.js and blocks.json (never cases.json, which is written by hand).
import * as fs from "node:fs";
import * as path from "node:path";
import {
  blocksRunBy, instrument, loadCommonJs, outcomeOf, takeBlocksRun, transform, withCompareRecorder,
} from "./helpers/instrument";
import { LIST_START_KINDS, fixtureNames, readFixture } from "./helpers/fixtures";
import type { KcovFileMetadata } from "../plugin";

const update = process.env.UPDATE_FIXTURES === "1";

function formatBlockTable(metadata: KcovFileMetadata): string[] {
  return metadata.blocks.map((b) =>
    `#${b.index} ${b.kind} 0x${b.pc.toString(16)} ${b.functionName} ` +
    `${b.range.start.line}:${b.range.start.column}-${b.range.end.line}:${b.range.end.column}`);
}

function checkSnapshot(file: string, actual: string): void {
  if (update || !fs.existsSync(file)) fs.writeFileSync(file, actual);
  else expect(actual).toBe(fs.readFileSync(file, "utf8"));
}

const folders = fixtureNames();

/** Everything a fixture's tests need, or the error that stopped preparing it. */
function prepare(name: string) {
  const { dir, filename, source, pluginOptions, presets, sourceType, load, cases } = readFixture(name);

  const instrumented = instrument(source, filename, pluginOptions, { presets, sourceType });
  // Every block with a counter of its own: exact on every path, exceptions included.
  const unpruned = instrument(source, filename, { ...pluginOptions, pruneCounters: false }, { presets, sourceType });
  const original = presets.length > 0 ? transform(source, filename, { presets, sourceType }).code : source;
  const originalRun = loadCommonJs(original);
  const instrumentedRun = loadCommonJs(instrumented.code);
  const unprunedRun = loadCommonJs(unpruned.code);
  // With comparison tracing on as well (plugin/compare-tracing.ts): same behaviour, same blocks.
  const traced = instrument(source, filename, { ...pluginOptions, traceCmp: true }, { presets, sourceType });
  // Two instances, since fixtures may keep state: one runs with a comparison recorder installed.
  const tracedRun = loadCommonJs(traced.code);
  const tracedRecordedRun = loadCommonJs(traced.code);
  takeBlocksRun(traced.metadata);
  const ranAtLoad = takeBlocksRun(instrumented.metadata);
  const unprunedRanAtLoad = takeBlocksRun(unpruned.metadata);
  return {
    dir, load, cases, instrumented, unpruned, traced, originalRun, instrumentedRun, unprunedRun, tracedRun, tracedRecordedRun, ranAtLoad, unprunedRanAtLoad,
  };
}

describe.each(folders)("fixture %s", (name) => {
  let fixture: ReturnType<typeof prepare>;
  try {
    fixture = prepare(name);
  } catch (error) {
    // One broken fixture fails its own test, not the collection of all the others.
    test("can be instrumented and loaded", () => { throw error; });
    return;
  }
  const {
    dir, load, cases, instrumented, unpruned, traced, originalRun, instrumentedRun, unprunedRun, tracedRun, tracedRecordedRun, ranAtLoad, unprunedRanAtLoad,
  } = fixture;

  test("instrumented output and block table match the snapshots", () => {
    checkSnapshot(path.join(dir, "output.js"), `${instrumented.code}\n`);
    checkSnapshot(path.join(dir, "blocks.json"), `${JSON.stringify(formatBlockTable(instrumented.metadata), null, 2)}\n`);
  });

  test("has cases", () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  test("loading runs the listed blocks", () => {
    expect(unprunedRanAtLoad).toEqual([...load].sort());
    expect(ranAtLoad).toEqual([...load].sort());
  });

  test.each(cases.map((c, i) => [i, c] as const))("case %i behaves as the original and runs the listed blocks", async (_i, fixtureCase) => {
    const expected = await outcomeOf(originalRun, fixtureCase.input);
    const exact = await blocksRunBy(unpruned.metadata, () => outcomeOf(unprunedRun, fixtureCase.input));
    const pruned = await blocksRunBy(instrumented.metadata, () => outcomeOf(instrumentedRun, fixtureCase.input));
    const tracedRecorded = await withCompareRecorder(() => blocksRunBy(traced.metadata, () => outcomeOf(tracedRecordedRun, fixtureCase.input)));
    const tracedSilent = await blocksRunBy(traced.metadata, () => outcomeOf(tracedRun, fixtureCase.input));
    expect(exact.value).toEqual(expected);
    expect(pruned.value).toEqual(expected);
    expect(tracedRecorded.value.value).toEqual(expected);
    expect(tracedSilent.value).toEqual(expected);
    expect(tracedRecorded.value.ran).toEqual(pruned.ran);
    expect(tracedSilent.ran).toEqual(pruned.ran);
    expect(exact.ran).toEqual([...fixtureCase.blocks].sort());
    if (expected.error === undefined) {
      // Counter sharing reports the same blocks on every path that completes normally...
      expect(pruned.ran).toEqual(exact.ran);
    } else {
      // ...and on an exception path may add only joins the exception skipped, and miss
      // only list starts whose leading `if` the exception did not reach.
      const added = pruned.ran.filter((label) => !exact.ran.includes(label));
      const missing = exact.ran.filter((label) => !pruned.ran.includes(label));
      expect(added.filter((label) => !label.startsWith("join@"))).toEqual([]);
      expect(missing.filter((label) => !LIST_START_KINDS.some((kind) => label.startsWith(`${kind}@`)))).toEqual([]);
    }
  });
});
