// What instrumentation guarantees about `Function.prototype.toString()` (README, "Known
// gaps"): the body shows the counters, but everything before it is as written (the leading
// keyword, the name, the parameter list), but for the counter of a default value, so code
// that reads a function's kind or parameter names from its source sees the same.
import * as path from "node:path";
import { REPO_ROOT, instrument, loadCommonJs, transform } from "./helpers/instrument";

const SOURCE = `module.exports = [
  function plain(a, b) { return a ? b : a; },
  function withDefaults(a, b = 2, { c = 3 } = {}) { return a + b + c; },
  async function asyncNamed(x, ...rest) { if (x) await null; return rest; },
  function* gen(first, second) { yield first ?? second; },
  async (p, q) => { return p || q; },
  (left, right) => left ? right : left,
  async value => value && 1,
  class Shape { constructor(width, height) { if (width) this.w = width; } area() { return 1; } },
  class extends Array { static of() { return 1; } },
  { method(m1, m2) { return m1 ?? m2; } }.method,
  { get prop() { return this.x ? 1 : 2; } },
];`;

/** A default value's counter, `(__cov_kcov$0123abcd[4] = 1, value)`, for a value without parentheses. */
const DEFAULT_VALUE_COUNTER = /\(__cov_kcov\$[0-9a-f]{8}\[\d+\] = 1, ([^()]*)\)/g;

/** The source up to the body: before the first `{`, or up to `=>` for an arrow. */
function head(fn: unknown): string {
  const source = String(fn);
  const arrow = source.indexOf("=>");
  const brace = source.indexOf("{");
  return arrow >= 0 && (brace < 0 || arrow < brace) ? source.slice(0, arrow + 2) : source.slice(0, brace + 1);
}

test("an instrumented function's source keeps its keyword, name and parameter list; only the body changes", () => {
  const filename = path.join(REPO_ROOT, "function-source/input.js");
  const original: unknown[] = loadCommonJs(transform(SOURCE, filename).code);
  const instrumented: unknown[] = loadCommonJs(instrument(SOURCE, filename, { traceCmp: true }).code);
  const withGetter = (list: unknown[]) => [...list.slice(0, -1), Object.getOwnPropertyDescriptor(list[list.length - 1], "prop")!.get];
  const pairs = withGetter(original).map((fn, i) => [fn, withGetter(instrumented)[i]]);
  for (const [before, after] of pairs) {
    expect(head(after).replace(DEFAULT_VALUE_COUNTER, "$1")).toBe(head(before));
    expect(String(after)).not.toBe(String(before)); // the body shows the counters
    expect(String(after)).toMatch(/__cov_kcov\$[0-9a-f]{8}/);
  }
});
