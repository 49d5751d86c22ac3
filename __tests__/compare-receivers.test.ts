// traceCmp's method sites (`s.startsWith(x)` -> `s.startsWith(H.m(..., s, x))`) read their
// receiver a second time, which is only right when that read runs no code. An imported
// binding is not such a read once modules are compiled to CommonJS (`_mod.s`, through the
// exporter's getter when it has one): those receivers are not traced, and the program
// reads them exactly as often as without the plugin.
import * as path from "node:path";
import { REPO_ROOT, instrument, loadCommonJs, outcomeOf, transform, withCompareRecorder } from "./helpers/instrument";

const cjsPlugin = require.resolve("@babel/plugin-transform-modules-commonjs");

const SOURCE = `
import { text, reads } from "./exporter";
import * as exporter from "./exporter";
export function run() {
  const local = "local";
  const before = reads();
  const results = [text.startsWith("a"), text.includes("z"), exporter.text.endsWith("c"), local.startsWith("lo")];
  return [results, reads() - before];
}
`;

/** A CommonJS module whose export is a getter that counts its reads. */
function exporterModule() {
  let count = 0;
  const exports = { reads: () => count };
  Object.defineProperty(exports, "text", { enumerable: true, get: () => { count++; return "abc"; } });
  return exports;
}

function load(code: string): { run(): unknown } {
  return loadCommonJs(code, ((request: string) => {
    if (request === "./exporter") return exporterModule();
    throw new Error(`unexpected require of ${request}`);
  }) as NodeRequire);
}

test("a method site on an imported binding reads it as often as the original does", async () => {
  const filename = path.join(REPO_ROOT, "compare-receivers/input.js");
  const babel = { plugins: [cjsPlugin], sourceType: "module" as const };
  const expected = await outcomeOf(load(transform(SOURCE, filename, babel).code).run, undefined);
  expect(expected.result).toEqual([[true, false, true, true], 3]);
  const traced = instrument(SOURCE, filename, { traceCmp: true }, babel);
  expect(await outcomeOf(load(traced.code).run, undefined)).toEqual(expected);
  const { value } = await withCompareRecorder(() => outcomeOf(load(traced.code).run, undefined));
  expect(value).toEqual(expected);
  // The local receiver is still traced.
  expect(traced.metadata.compares!.map((site) => site.kind)).toEqual(["compare:startsWith"]);
});
