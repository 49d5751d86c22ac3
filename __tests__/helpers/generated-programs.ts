// A generator of small programs full of branches (fast-check), for properties that must
// hold for any code: instrumented behaviour equals the original's (generated-programs),
// overflowing flushes drain (overflow-drain). `programSource(body)` wraps a generated
// body in `module.exports = function run(input, log)`; run it on each of `inputs`.
import fc from "fast-check";

const atom = fc.oneof(
  fc.constantFrom("a", "b", "v", "input.n", "o?.p", "o?.q?.()", "o?.[a % 2 ? 'p' : 'r']", "null", "undefined",
    "s", "loc.p", "loc.m?.(a)", "list.length",
    // Optional calls without arguments and calls after an optional link (counted in the call's arguments).
    "o?.p.toString()", "s?.trim()", "(o?.q)?.()", "o?.q()"),
  fc.integer({ min: -3, max: 5 }).map(String),
);

const { expression } = fc.letrec<{ expression: string }>((tie) => ({
  expression: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    atom,
    fc.tuple(tie("expression"), tie("expression"), tie("expression")).map(([c, x, y]) => `(${c} ? ${x} : ${y})`),
    fc.tuple(tie("expression"), fc.constantFrom("&&", "||", "??", "+", ">", "===", "==", "!=", "<=", "!=="), tie("expression"))
      .map(([x, op, y]) => `(${x} ${op} ${y})`),
    // Comparison tracing's method sites, on a string and on an array receiver.
    fc.tuple(fc.constantFrom("startsWith", "endsWith", "includes", "indexOf"), tie("expression"))
      .map(([method, x]) => `s.${method}(String(${x}))`),
    fc.tuple(fc.constantFrom("includes", "indexOf"), tie("expression")).map(([method, x]) => `list.${method}(${x})`),
    fc.tuple(fc.constantFrom("??=", "||=", "&&="), tie("expression")).map(([op, x]) => `(loc.p ${op} ${x})`),
    tie("expression").map((x) => `log(${x})`),
    tie("expression").map((x) => `((z = ${x}) => z ?? "dflt")(${x})`),
    tie("expression").map((x) => `(v ||= ${x})`),
  ),
}));

let labels = 0;
export const { statements } = fc.letrec<{ statement: string; statements: string }>((tie) => ({
  statement: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    expression.map((x) => `log(${x});`),
    expression.map((x) => `v = ${x};`),
    fc.tuple(expression, tie("statements"), fc.option(tie("statements"))).map(([c, s, e]) =>
      `if (${c}) { ${s} }${e === null ? "" : ` else { ${e} }`}`),
    fc.tuple(expression, tie("statements"), tie("statements"), fc.boolean()).map(([x, s1, s2, withDefault]) =>
      `switch (Number(${x}) % 3) { case 0: ${s1} break; case 1: ${s2}${withDefault ? " default: log('d');" : ""} }`),
    fc.tuple(expression, tie("statements")).map(([x, s]) =>
      `for (let i = 0; i < Math.abs(Number(${x}) % 3); i++) { ${s} if (i > 5) continue; }`),
    fc.tuple(tie("statements"), expression).map(([s, x]) =>
      `try { ${s} if (${x}) throw new Error("boom " + ${x}); } catch (e) { log(e.message); } finally { log("fin"); }`),
    fc.tuple(tie("statements"), expression, tie("statements")).map(([s1, x, s2]) => {
      const label = `blk${labels++}`; // unique, since labels cannot nest under one name
      return `${label}: { ${s1} if (${x}) break ${label}; ${s2} }`;
    }),
    fc.tuple(tie("statements"), expression).map(([s, x]) => `do { ${s} } while (${x} && k++ < 3);`),
    fc.tuple(tie("statements"), expression).map(([s, x]) => {
      const label = `loop${labels++}`;
      return `${label}: for (const i of [1, 2]) { ${s} if (${x}) continue ${label}; log(i); }`;
    }),
    fc.tuple(tie("statements"), expression).map(([s, x]) => `try { ${s} if (${x}) return ${x}; } finally { log("f2"); }`),
    fc.tuple(expression, tie("statements"), tie("statements")).map(([x, s1, s2]) =>
      `switch (Number(${x}) % 4) { case 0: ${s1} default: log("dm"); case 1: ${s2} break; case 2: log(2); }`),
    expression.map((x) => `{ const fns = []; for (let i = 0; i < 2; i++) fns.push(() => i + ${x}); log(fns.map((f) => f())); }`),
    fc.tuple(tie("statements"), expression).map(([s, x]) => `log([...(function* () { ${s} yield ${x}; })()]);`),
    expression.map((x) => `if (${x}) return ${x};`),
    expression.map((x) => `if (${x} === 3) throw new RangeError("three");`),
  ),
  statements: fc.array(tie("statement"), { maxLength: 3 }).map((list) => list.join("\n")),
}));

export const inputs = [
  { n: 0, a: 0, b: 1, o: null, s: "" },
  { n: 1, a: 2, b: -1, o: { p: 3, q: () => 4 }, s: "x1" },
  { n: 3, a: 3, b: 3, o: { p: 0 }, s: "3x" },
];

export function programSource(body: string): string {
  return `module.exports = function run(input, log) {
  let a = input.a, b = input.b, v = 0, k = 0;
  const o = input.o, s = String(input.s), list = [a, b, "x"];
  const loc = { p: input.n, m(x) { return this.p + x; } };
  ${body}
  return [v, a, b];
};`;
}
