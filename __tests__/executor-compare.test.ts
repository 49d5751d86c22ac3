// The executor's comparison areas (fuzz/executor-compare.ts): files that hold exactly the
// records of the last run, whatever the run before it left, for a driver in another
// process (native/compare-bridge.c reads them after every run).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ExecutorCompareAreas } from "../fuzz/executor-compare";
import { instrument, loadCommonJs } from "./helpers/instrument";
import { resetRealm } from "./runtime-helpers";

const SOURCE = `
exports.run = function (values, text) {
  for (const value of values) if (value === 0xCAFEBABE) return true;
  return text === "jskcov:magic";
};
`;

let run: (values: number[], text: string) => boolean;
let dir: string;
let areas: ExecutorCompareAreas;

beforeAll(() => {
  resetRealm();
  run = loadCommonJs(instrument(SOURCE, path.join(__dirname, "executor-compare-input.js"), { traceCmp: true }).code).run as typeof run;
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-executor-compare-"));
  areas = new ExecutorCompareAreas({ areaPath: path.join(dir, "cmp"), stringsPath: path.join(dir, "strings"), words: 1 + 4 * 4, stringRecords: 2 });
  areas.enable();
});
afterEach(() => {
  areas.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What a reader of the files sees: the Linux records' arg2 values, and the string area's count. */
function fileView(): { arg2: bigint[]; strings: bigint } {
  const words = new BigUint64Array(new Uint8Array(fs.readFileSync(path.join(dir, "cmp"))).buffer);
  const arg2 = Array.from({ length: Number(words[0]) }, (_, i) => words[1 + 4 * i + 2]);
  return { arg2, strings: new BigUint64Array(new Uint8Array(fs.readFileSync(path.join(dir, "strings"))).buffer)[0] };
}

/** One execution as the executor makes it: reset, run, collect. */
function execute(values: number[], text: string): void {
  areas.reset();
  run(values, text);
  areas.collect();
}

test("each run's files hold that run's records from the first, with the whole area for it", () => {
  expect(areas.words).toBe(17);
  expect(areas.stringRecords).toBe(2);
  execute([1, 2, 3], "a");
  expect(fileView()).toEqual({ arg2: [1n, 2n, 3n], strings: 1n });
  // More records than the run before: all of them, from record 0 (not appended after the old ones).
  execute([4, 5, 6, 7], "b");
  expect(fileView()).toEqual({ arg2: [4n, 5n, 6n, 7n], strings: 1n });
  // Fewer: the count shrinks; a full area the run before leaves this run the whole area.
  execute([8], "jskcov:magic");
  expect(fileView()).toEqual({ arg2: [8n], strings: 0n }); // equal strings give no record
  execute([9, 10, 11, 12, 13], "c"); // one more than fits: dropped whole
  expect(fileView().arg2).toEqual([9n, 10n, 11n, 12n]);
  execute([14, 15], "d");
  expect(fileView()).toEqual({ arg2: [14n, 15n], strings: 1n });
});
