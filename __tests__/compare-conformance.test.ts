// Conformance of comparison tracing (`traceCmp`) in two halves.
//
// Where the recorder runs: under `jskcov run` and `jskcov fuzz` the runtime shares the
// program's realm, so a recorder that looked a built-in up while recording would call the
// program's replacement of it (realm-differential's recorder lives in the test's realm and
// cannot see that). Each built-in below is replaced by the program, with a wrapper that
// counts its calls, around a workload that makes every kind of record; traced and
// recorded, the program must return and count exactly what the original does.
//
// What the hooks keep: nothing of the program's once a comparison is done, which a WeakRef
// sees after a full collection (in a child process, for --expose-gc).
//
// What the rewritten sites do: differential cases (realm-differential) for what the
// `p`/`q` hooks and method receivers read a second time, comparisons that run inside other
// comparisons' operands, spread and reflective calls of traced methods, and TDZ reads.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { typeScriptPresetOptions } from "../cli/babel";
import { version as babelVersion, type PluginItem } from "@babel/core";
import { REPO_ROOT, instrument, loadCommonJs, transform, withCompareRecorder } from "./helpers/instrument";
import { describeDifferentialCases, type DifferentialCase } from "./helpers/realm-differential";

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

test("a traced comparison keeps neither operand alive once it is done: a WeakRef of the program sees it collected", () => {
  // h.a === h.b compares two non-constants, neither a local name: the two-call l/r form, whose
  // l keeps the right operand for r.
  const source = `
    const holder = { a: 1, b: { payload: [1, 2, 3] } };
    function same(h) { return h.a === h.b; }
    const ref = new WeakRef(holder.b);
    const result = same(holder);
    holder.b = null;
    setTimeout(() => { gc(); console.log(JSON.stringify([result, ref.deref() === undefined ? "collected" : "alive"])); }, 0);`;
  const filename = path.join(REPO_ROOT, "compare-conformance/weak.js");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcov-compare-weak-"));
  const run = (code: string) => {
    const script = path.join(dir, "run.js");
    fs.writeFileSync(script, code);
    const result = spawnSync(process.execPath, ["--expose-gc", script], { encoding: "utf8" });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  try {
    const expected = run(transform(source, filename, { sourceType: "script" }).code);
    expect(expected).toEqual({ status: 0, stdout: '[false,"collected"]\n', stderr: "" });
    expect(run(instrument(source, filename, { traceCmp: true }, { sourceType: "script" }).code)).toEqual(expected);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const TYPESCRIPT: PluginItem = [require.resolve("@babel/preset-typescript"), typeScriptPresetOptions(babelVersion, {})];

const CASES: DifferentialCase[] = [
  {
    name: "comparisons whose other operand reassigns the local read twice (p/q hooks, method receivers)",
    source: `
      let x = 1; const bump = () => { x += 10; return 11; };
      log(x === (x = 5), x, (x = 6) === x, x === bump(), x, bump() === x, x < (x = 0), x, x !== (x += 1, x), x);
      function inner() {
        let s = "ab", n = 0; const set = (v) => { s = v; return v; };
        return [s === set("cd"), s, set("ef") === s, s.startsWith(set("x")), s, s.includes((n++, s = "q", "q")), n, s.localeCompare(set("p"))];
      }
      log(inner());
      let i = 0; log(i++ === i++, i, ++i < i++, i, i-- >= --i, i);`,
  },
  {
    name: "comparisons across await and yield, with the local read twice changed meanwhile",
    source: `
      let shared = "ab";
      async function f() {
        let local = "ab";
        const other = (async () => { await null; local = "zz"; shared = "yy"; })();
        const r = [local === (await null, "ab"), (await null, local) === "zz", local.startsWith((await null, "z")), shared === "yy"];
        await other; return r;
      }
      f().then((r) => log("f", r));
      function* g() { let v = 1; const a = v === (yield "one"); v = 2; const b = (yield "two") === v; return [a, b, v < (yield "three")]; }
      const it = g(); log(it.next().value, it.next(1).value, it.next(2).value, JSON.stringify(it.next(3)));`,
  },
  {
    name: "comparisons that run inside another comparison's operands, getters, valueOf and toPrimitive",
    source: `
      const f = (v) => v;
      const o = { get a() { return f(1) === f(1) ? "a" : "b"; }, get b() { return f("x") < f("y") ? "a" : "c"; } };
      log(o.a === o.b, o.b === o.a, o.a < o.b, f(o.a) == f(o.b), f(1) === f(f(2) === f(2) ? 1 : 0));
      const vo = { valueOf() { return f(1) === f(1) ? 7 : 0; } }, wo = { valueOf() { return f("x") < f("y") ? 8 : 0; } };
      log(vo < wo, wo > vo, f(vo) == 7, f(wo) >= f(vo), vo < f(wo));
      const k = { [Symbol.toPrimitive](hint) { return f(hint) === f("number") ? 1 : "s"; } };
      log(f(k) < f(2), f(k) == f("s"), f(k) === f(k));`,
  },
  {
    name: "traced methods with spread arguments after the first, reflective calls, this receivers and Array subclasses",
    source: `
      const s = "hello", arr = [1, 2, 3, 2], args = ["l", 3];
      log(s.includes(...args), s.indexOf("l", ...[3]), s.startsWith("l", ...[2]), arr.includes(2, ...[2]), arr.indexOf(2, ...[-1]), s.localeCompare("hellp", ...["en"]));
      log(Reflect.apply(String.prototype.includes, s, ["ell"]), s.includes.call("abc", "b"), s.indexOf.apply(s, ["l"]), arr.includes.call([9], 9));
      class A extends Array { includes(x) { return "A:" + super.includes(x); } test() { return [this.includes(2), this.indexOf(2, 2), super.includes(9)]; } }
      const a = A.from([1, 2]); log(a.test(), a.includes(1), a.indexOf(2));
      function F() { return this.startsWith("a"); } log(F.call("abc"), F.call("xbc"), F.call({ startsWith: (x) => "own " + x }));
      try { log(F.call(undefined)); } catch (e) { log(e.constructor.name); }
      class B { constructor() { log("B"); } }
      class D extends B { constructor() { try { this.includes("x"); } catch (e) { log(e.constructor.name); } super(); log(this.includes("y")); } includes(x) { return "D " + x; } }
      new D();
      const trace = []; const lp = new Proxy([1, 2], { get(t, k) { trace.push(String(k)); return Reflect.get(t, k); } });
      log(lp.includes(2), lp.indexOf(2), trace);`,
  },
  {
    name: "operands read twice in their TDZ throw the original's ReferenceError",
    source: `
      function a() { try { return u === v; } catch (e) { return e.constructor.name; } let u = 1, v = 2; }
      function b() { let x = 1; try { return x === w; } catch (e) { return e.constructor.name; } let w; }
      function c() { try { return w.includes("x"); } catch (e) { return e.constructor.name; } const w = "x"; }
      function d() { try { switch (w) { case 1: return 1; } } catch (e) { return e.constructor.name; } let w = 1; }
      function e() { let x = 1; try { return x === (x = y, 2); } catch (err) { return err.constructor.name + x; } let y; }
      log(a(), b(), c(), d(), e());`,
  },
  {
    name: "typeof of an undeclared name in every comparison form throws nothing",
    shapes: ["sloppy"],
    source: `
      log("undefined" === typeof zz, typeof zz !== "string", typeof zz < "v", typeof zz + "" === "undefined", (typeof zz).startsWith("u"), typeof typeof zz === "string");
      switch (typeof zz) { case "undefined": log("undef"); break; default: log("def"); }`,
  },
  {
    name: "TypeScript: comparisons and traced methods on non-null, as, satisfies and enum operands",
    filename: "snippet.ts",
    shapes: ["module"],
    presets: [TYPESCRIPT],
    source: `
      enum E { A = 1, B = "b" }
      let x: number | undefined = 1; const s: string = "abc" as string; const o = { v: 2 } satisfies { v: number };
      log(x! === 1, (x as number) < 2, <number>x >= 1, s!.startsWith("a"), (s as string).includes("b"), (o.v satisfies number) === 2, E.A === 1, E.B === "b");
      function sw(e: E) { switch (e) { case E.A: return "A"; case E.B: return "B"; } } log(sw(E.A), sw(E.B));
      function same<T>(a: T, b: T): boolean { return a === b; } log(same<number>(1, 1), same<string>("a", "b"));
      class P { constructor(private a: string) {} t(): boolean { return this.a.endsWith("z"); } } log(new P("xz").t());`,
  },
];

// The TDZ reads throw before any record; typeof operands and equal strings are not recorded.
describeDifferentialCases(CASES, (name) => !/^(operands read twice|typeof)/.test(name));
