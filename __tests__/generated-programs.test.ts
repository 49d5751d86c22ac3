// Property: for generated programs full of branches, the instrumented program returns,
// throws and logs exactly what the original does, and counter sharing (pruneCounters,
// the default) reports exactly the blocks that every-block-counted instrumentation
// reports whenever the program completes normally.
import * as path from "node:path";
import fc from "fast-check";
import { REPO_ROOT, blocksRunBy, instrument, loadCommonJs, outcomeOf } from "./helpers/instrument";
import { LIST_START_KINDS } from "./helpers/fixtures";
import { inputs, programSource, statements } from "./helpers/generated-programs";

let counter = 0;

test("generated programs behave identically when instrumented", async () => {
  await fc.assert(fc.asyncProperty(statements, async (body) => {
    const source = programSource(body);
    const filename = path.join(REPO_ROOT, `generated/program${counter++}.js`);
    const original = loadCommonJs(source);
    const instrumented = instrument(source, filename);
    const unpruned = instrument(source, filename.replace(".js", ".unpruned.js"), { pruneCounters: false });
    const run = loadCommonJs(instrumented.code);
    const runUnpruned = loadCommonJs(unpruned.code);
    for (const input of inputs) {
      const expected = await outcomeOf(original, input);
      const pruned = await blocksRunBy(instrumented.metadata, () => outcomeOf(run, input));
      const exact = await blocksRunBy(unpruned.metadata, () => outcomeOf(runUnpruned, input));
      expect(pruned.value).toEqual(expected);
      expect(exact.value).toEqual(expected);
      expect(exact.ran).toContain("function@1:17");
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
