// Conformance of comparison tracing (`traceCmp`) where the recorder runs: under `jskcov run`
// and `jskcov fuzz` the runtime shares the program's realm, so a recorder that looked a
// built-in up while recording would call the program's replacement of it (realm-differential's
// recorder lives in the test's realm and cannot see that). Each built-in below is replaced by
// the program, with a wrapper that counts its calls, around a workload that makes every kind
// of record; traced and recorded, the program must return and count exactly what the
// original does.
import * as path from "node:path";
import { REPO_ROOT, instrument, loadCommonJs, transform, withCompareRecorder } from "./helpers/instrument";

/** `run(target, key)`: replaces target[key] by a counting wrapper, makes every kind of record, restores it. */
const WORKLOAD = `
function eq(a, b) { return a === b; }
function lt(a, b) { return a < b; }
function sw(x) { switch (x) { case "alpha": return 1; case "beta": return 2; case 3: return 3; case 2n: return 4; } return 0; }
function swInt(x) { switch (x) { case 1: return 1; case 2: return 2; } return 0; }
function methods(s, x) { return [s.startsWith(x), s.includes(x), s.endsWith(x), s.indexOf(x), s.localeCompare(x)]; }
module.exports = function run(target, key) {
  const original = target[key];
  let calls = 0;
  target[key] = function () { calls++; return Reflect.apply(original, this, arguments); };
  try {
    const bytes = new Uint8Array([1, 2]), two = new Uint8Array([2]);
    return [calls, eq("abc", "abd"), eq("\\u00fcn\\u00ef", "\\u00fc\\u00f1"), eq("x".repeat(100), "y".repeat(80)), lt(1n, 2n), lt(1n, 5),
      lt(2 ** 40, 2 ** 41), eq(70000, 5), sw("gamma"), sw("beta"), sw(3), sw(2n), swInt(2), swInt(7),
      methods("hello", "he"), methods("h\\u00e9llo", "\\u00e9"), bytes.includes(two), bytes.indexOf(2), calls];
  } finally {
    target[key] = original;
  }
};`;

/** Built-ins a recorder could be tempted to use, as [name, object, key]. */
const REPLACED: [string, object, PropertyKey][] = [
  ["String.prototype.charCodeAt", String.prototype, "charCodeAt"],
  ["String.prototype.codePointAt", String.prototype, "codePointAt"],
  ["Atomics.store", Atomics, "store"],
  ["Atomics.load", Atomics, "load"],
  ["Array.isArray", Array, "isArray"],
  ["BigInt", globalThis, "BigInt"],
  ["BigInt.asUintN", BigInt, "asUintN"],
  ["Number", globalThis, "Number"],
  ["Function.prototype.call", Function.prototype, "call"],
  ["Function.prototype.apply", Function.prototype, "apply"],
  ["Array.prototype[Symbol.iterator]", Array.prototype, Symbol.iterator],
  ["Math.floor", Math, "floor"],
  ["Object.getOwnPropertyDescriptor", Object, "getOwnPropertyDescriptor"],
  ["TextEncoder.prototype.encodeInto", TextEncoder.prototype, "encodeInto"],
];

type Run = (target: object, key: PropertyKey) => unknown;

describe("a program that replaces a built-in while a comparison recorder runs in its realm", () => {
  const filename = path.join(REPO_ROOT, "compare-conformance/workload.js");
  const plain: Run = loadCommonJs(transform(WORKLOAD, filename, { sourceType: "script" }).code);
  const traced: Run = loadCommonJs(instrument(WORKLOAD, filename, { traceCmp: true }, { sourceType: "script" }).code);

  test.each(REPLACED)("%s: the traced program returns and calls it as the original does", async (_name, target, key) => {
    const expected = plain(target, key);
    const { value, area } = await withCompareRecorder(() => {
      try {
        return traced(target, key);
      } catch (error) {
        return `threw ${String(error)}`;
      }
    });
    expect(value).toEqual(expected);
    // Every writer ran: the Linux area's and the string area's.
    expect(area.count).toBeGreaterThan(0);
    expect(area.stringCount).toBeGreaterThan(0);
  });
});
