// Property: for generated programs full of branches, the instrumented program returns,
// throws and logs exactly what the original does, under every option set (defaults,
// pruneCounters false, counterMode "count", traceCmp with and without a recorder) and in
// strict code too; and counter sharing (pruneCounters, the default) reports exactly the
// blocks that every-block-counted instrumentation reports whenever the program completes
// normally.
import * as path from "node:path";
import fc from "fast-check";
import { REPO_ROOT, blocksRunBy, instrument, loadCommonJs, outcomeOf, withCompareRecorder } from "./helpers/instrument";
import { LIST_START_KINDS } from "./helpers/fixtures";
import { inputs, programSource, statements } from "./helpers/generated-programs";

let counter = 0;

test("generated programs behave identically when instrumented", async () => {
  await fc.assert(fc.asyncProperty(statements, async (body) => {
    const source = programSource(body);
    const strictSource = `"use strict";\n${source}`;
    const filename = path.join(REPO_ROOT, `generated/program${counter++}.js`);
    const variant = (name: string) => filename.replace(".js", `.${name}.js`);
    const original = loadCommonJs(source);
    const strictOriginal = loadCommonJs(strictSource);
    const instrumented = instrument(source, filename);
    const unpruned = instrument(source, variant("unpruned"), { pruneCounters: false });
    const counted = instrument(source, variant("count"), { counterMode: "count" });
    const traced = instrument(source, variant("traced"), { traceCmp: true });
    const strict = instrument(strictSource, variant("strict"), { traceCmp: true });
    const run = loadCommonJs(instrumented.code);
    const runUnpruned = loadCommonJs(unpruned.code);
    const runCounted = loadCommonJs(counted.code);
    const runTraced = loadCommonJs(traced.code);
    const runStrict = loadCommonJs(strict.code);
    for (const input of inputs) {
      const expected = await outcomeOf(original, input);
      const pruned = await blocksRunBy(instrumented.metadata, () => outcomeOf(run, input));
      const exact = await blocksRunBy(unpruned.metadata, () => outcomeOf(runUnpruned, input));
      expect(pruned.value).toEqual(expected);
      expect(exact.value).toEqual(expected);
      expect(exact.ran).toContain("function@1:17");
      // The other option sets: the same behaviour, the same blocks as the defaults.
      const count = await blocksRunBy(counted.metadata, () => outcomeOf(runCounted, input));
      const tracedRecorded = await withCompareRecorder(() => blocksRunBy(traced.metadata, () => outcomeOf(runTraced, input)));
      const tracedSilent = await blocksRunBy(traced.metadata, () => outcomeOf(runTraced, input));
      for (const other of [count, tracedRecorded.value, tracedSilent]) expect(other).toEqual(pruned);
      const strictRun = await withCompareRecorder(() => outcomeOf(runStrict, input));
      expect(strictRun.value).toEqual(await outcomeOf(strictOriginal, input));
      // Counter sharing: the same blocks on every path that completes normally.
      if (expected.error === undefined) {
        expect(pruned.ran).toEqual(exact.ran);
      } else {
        // On an exception path: only joins added, only list starts missing (counter-sharing.ts).
        expect(pruned.ran.filter((label) => !exact.ran.includes(label) && !label.startsWith("join@"))).toEqual([]);
        expect(exact.ran.filter((label) => !pruned.ran.includes(label) &&
          !LIST_START_KINDS.some((kind) => label.startsWith(`${kind}@`)))).toEqual([]);
      }
    }
  }), { numRuns: 150, seed: 20261125 });
});
