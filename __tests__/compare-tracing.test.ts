// The plugin option traceCmp must not change what a program does: operands evaluated once,
// in order, with their getters, valueOf/toString calls and exceptions exactly as in the
// original, and the same results for NaN, -0, BigInt and mixed types. Each case runs the
// original and the instrumented code, with a comparison recorder installed and without.
import * as path from "node:path";
import * as vm from "node:vm";
import type { CompareArea } from "../runtime/compare-area";
import kcovPlugin from "../plugin";
import { describe as describeValue, instrument, loadCommonJs, transform, withCompareRecorder } from "./helpers/instrument";

const FILE = path.join(__dirname, "compare-tracing-input.js");

/** What running `source`'s `run(log)` does: its result or error, and the log of side effects. */
function outcome(code: string): unknown {
  const log: unknown[] = [];
  try {
    const result = loadCommonJs(code).run((entry: unknown) => log.push(entry));
    return { result: describeValue(result), log };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}`, log };
  }
}

async function expectSameBehaviour(source: string): Promise<CompareArea> {
  const original = outcome(source);
  const { code, metadata } = instrument(source, FILE, { traceCmp: true });
  expect(metadata.compares!.length).toBeGreaterThan(0);
  expect(outcome(code)).toEqual(original);
  const { value, area } = await withCompareRecorder(() => outcome(code));
  expect(value).toEqual(original);
  return area;
}

const cases: Record<string, string> = {
  "operands are evaluated once, left to right": `
    exports.run = (log) => {
      const v = (x) => { log(x); return x; };
      return [v(1) === v(2), v("a") < v("b"), v(3) >= v(3), v(4) != v("4"), v(5) == v(5)];
    };`,
  "getters run once, in order": `
    exports.run = (log) => {
      const o = { get a() { log("a"); return 7; }, get b() { log("b"); return 8; } };
      return [o.a < o.b, o.a === 7, 8 === o.b];
    };`,
  "valueOf and toString are called exactly as in the original": `
    exports.run = (log) => {
      const a = { valueOf() { log("a.valueOf"); return 2; }, toString() { log("a.toString"); return "2"; } };
      const b = { [Symbol.toPrimitive](hint) { log("b:" + hint); return 3; } };
      return [a < b, a == 2, a === a, b >= a, a == "2", b > 1, 5 <= b];
    };`,
  "an exception in the left operand, the right operand or a conversion propagates": `
    exports.run = (log) => {
      const results = [];
      const boom = (what) => { throw new Error(what); };
      for (const f of [() => boom("left") === log("right"), () => log("left") < boom("right"),
                       () => ({ valueOf: () => boom("valueOf") }) < 1, () => Symbol("s") < 1, () => 1n < Symbol()]) {
        try { results.push(f()); } catch (e) { results.push(e.constructor.name + ": " + e.message); }
      }
      return results;
    };`,
  "local names compared with each other: read in order, once each as in the original, TDZ errors as before": `
    exports.run = (log) => {
      let a = 1, b = 2, s = "x", t = "y";
      const results = [a < b, b > a, a === b, s !== t, s < t, a == s];
      for (const f of [() => { const r = a < late; let late = 1; return r; }, () => { const r = early < b; let early = 1; return r; },
                       () => a < (a = 5, b), () => (b = 0, a) < b]) {
        try { results.push(f()); } catch (e) { results.push(e.constructor.name + ": " + e.message); }
      }
      return results;
    };`,
  "NaN, -0, Infinity, BigInt and mixed types compare as before": `
    exports.run = () => {
      const values = [NaN, -0, 0, Infinity, -Infinity, 1.5, 2 ** 64, -1, 1n, -1n, 2n ** 64n, "1", "", "a", null, undefined, true, [], {}];
      const out = [];
      for (const a of values) for (const b of values) {
        out.push([a === b, a !== b, a == b, a != b, a < b, a <= b, a > b, a >= b].map(Number).join(""));
        out.push([a === -0, -0 === a, a < 1n, a === "1"].map(Number).join(""));
      }
      return out.join(",");
    };`,
  "switch cases are tested lazily, in order, with the discriminant evaluated once": `
    exports.run = (log) => {
      const v = (x) => { log("case " + x); return x; };
      const f = (d) => { switch ((log("d"), d)) { case 1: return "one"; case v(2): return "two"; case "x": return "x"; case -0: return "zero"; default: return "default"; } };
      return [f(1), f(2), f("x"), f(0), f(NaN), f(3)];
    };`,
  "method calls keep their receiver, getter, arguments and errors": `
    exports.run = (log) => {
      const s = "PKzip", t = { startsWith(...args) { log(["startsWith", this === t, args]); return "custom"; } };
      const u = undefined, n = 5, arr = ["a", "b"];
      const results = [s.startsWith("PK"), s.endsWith("ip", 5), s.includes("z"), s.indexOf("z", 1), s.localeCompare("PK"),
                       t.startsWith("a", (log("second"), 2)), arr.includes("b"), arr.indexOf("b"), Buffer.from("ab").equals(Buffer.from("ab"))];
      for (const f of [() => u.startsWith("x"), () => n.startsWith("x"), () => s.startsWith(Symbol.iterator), () => s.includes(/re/)]) {
        try { results.push(f()); } catch (e) { results.push(e.constructor.name + ": " + e.message); }
      }
      return results;
    };`,
  "a getter for the method runs once and its function is called with the same this": `
    exports.run = (log) => {
      const desc = Object.getOwnPropertyDescriptor(String.prototype, "startsWith");
      let seen = 0;
      Object.defineProperty(String.prototype, "startsWith", { configurable: true, get() { seen++; const self = this; return function (x) { log(["call", typeof self, this === self || String(this) === String(self), x]); return 42; }; } });
      try {
        const s = "abc";
        return [s.startsWith("a"), seen];
      } finally {
        Object.defineProperty(String.prototype, "startsWith", desc);
      }
    };`,
  "methods on a string literal receiver keep their argument's evaluation, conversions and errors": `
    exports.run = (log) => {
      const v = (x) => { log(["arg", typeof x]); return x; };
      const o = { toString() { log("toString"); return "a"; } };
      const results = ["PKzip".startsWith(v("PK")), \`abc\`.includes(v("z")), "abc".indexOf(v("c"), (log("second"), 1)), "ab".endsWith(v("b")),
                       "b".localeCompare(v("a")), "abc".includes(v(5)), "abc".startsWith(v(o)), "a1".indexOf(v(1n)), "x".startsWith(v(undefined))];
      for (const f of [() => "abc".startsWith(v(/re/)), () => "abc".includes(v(Symbol.iterator)), () => "abc".equals(v("x")), () => (5).toFixed(v(200))]) {
        try { results.push(f()); } catch (e) { results.push(e.constructor.name + ": " + e.message); }
      }
      return results;
    };`,
  "a program's own String.prototype methods are called on a literal receiver as in the original": `
    exports.run = (log) => {
      const includes = Object.getOwnPropertyDescriptor(String.prototype, "includes");
      const startsWith = Object.getOwnPropertyDescriptor(String.prototype, "startsWith");
      let seen = 0;
      String.prototype.includes = function (x, y) { "use strict"; log(["includes", typeof this, this, x, y]); return "patched"; };
      Object.defineProperty(String.prototype, "startsWith", { configurable: true, get() { seen++; log(["get", typeof this]); return (x) => x + "!"; } });
      try {
        return ["abc".includes("b" + "c", 7), "abc".startsWith(("z")), seen];
      } finally {
        Object.defineProperty(String.prototype, "includes", includes);
        Object.defineProperty(String.prototype, "startsWith", startsWith);
      }
    };`,
  "comparisons in arrows, defaults, class fields, generators and async functions": `
    exports.run = (log) => {
      class C { x = 1 < 2; static y = "a" === "a"; m(a = 3 > 2) { return a; } }
      function* g(a) { yield a === 1; yield (yield 2) < 3; }
      const it = g(1); const gen = [it.next().value, it.next().value, it.next(1).value];
      const arrow = (a, b) => a === b;
      return [new C().x, C.y, new C().m(), gen, arrow(1, 1), arrow(1, "1")];
    };`,
};

test.each(Object.entries(cases))("%s", async (_name, source) => {
  await expectSameBehaviour(source);
});

test("the recorder sees each comparison's operands (and nothing when operands are untraceable)", async () => {
  const area = await expectSameBehaviour(`
    exports.run = () => { let a = 3, b = 4; return [a === b, typeof a === "number", a !== null]; };`);
  const words = new BigUint64Array(area.buffer);
  expect(words[0]).toBe(1n);
  expect([...words.subarray(1, 4)]).toEqual([0n, 3n, 4n]);
});

test("a method on a string literal receiver records the argument as operand 1 and the literal as operand 2, with type bit 1", async () => {
  const source = `exports.run = (log, x = "PZ") => ["PK\\u0003\\u0004".startsWith(x), \`abc\`.includes(x), "PZ".endsWith(x), "abc".includes("b"), "n".indexOf(x.length)];`;
  const { code, metadata } = instrument(source, FILE, { traceCmp: true });
  // Two constants give the same record every time: no site. A number argument is a site that records nothing against a string.
  expect(metadata.compares!.map((site) => site.kind)).toEqual(["compare:startsWith", "compare:includes", "compare:endsWith", "compare:indexOf"]);
  expect(code).toMatch(/\.m\(\d+, \d+, 2, "PK\\u0003\\u0004", x, 2\)/);
  const area = await expectSameBehaviour(source);
  const view = new DataView(area.stringBuffer);
  const bytes = new Uint8Array(area.stringBuffer);
  // "PZ".endsWith("PZ") compares equal strings: no record.
  expect(view.getBigUint64(0, true)).toBe(2n);
  const record = (i: number) => {
    const at = 32 + 144 * i;
    return {
      pc: view.getBigUint64(at, true), header: [...bytes.subarray(at + 8, at + 16)],
      operand1: Buffer.from(bytes.subarray(at + 16, at + 16 + bytes[at + 10])).toString("latin1"),
      operand2: Buffer.from(bytes.subarray(at + 80, at + 80 + bytes[at + 11])).toString("latin1"),
    };
  };
  const pcs = metadata.compares!.map((site) => BigInt(site.pc));
  expect([record(0), record(1)]).toEqual([
    { pc: pcs[0], header: [2, 2, 2, 4, 0, 0, 0, 0], operand1: "PZ", operand2: "PK\u0003\u0004" },
    { pc: pcs[1], header: [2, 4, 2, 3, 0, 0, 0, 0], operand1: "PZ", operand2: "abc" },
  ]);
});

test("with traceCmp off, the output is byte-identical to a build without the option", () => {
  const source = `function f(a, b) { if (a === b) return a.startsWith("x"); switch (a) { case 1: return 2; } return a < 3; }`;
  const without = transform(source, FILE, { plugins: [[kcovPlugin, {}]] });
  const off = transform(source, FILE, { plugins: [[kcovPlugin, { traceCmp: false }]] });
  expect(off.code).toBe(without.code);
  expect(off.metadata).toEqual(without.metadata);
  expect(without.code).not.toMatch(/\$cmp/);
});

test("receivers that are not local bindings are left alone (reading them again could call user code)", () => {
  const source = `exports.run = () => [globalName.startsWith("x"), obj.s.startsWith("y"), f().startsWith("z"), s?.startsWith("w"), s.startsWith(...xs)];`;
  const { code } = instrument(source, FILE, { traceCmp: true });
  expect(code).not.toMatch(/\.m\(/);
});

test("the hook is chosen by the constant's kind, and a local name is read again rather than kept", async () => {
  const source = `exports.run = () => { let a = 3, b = 4, o = { a: 5 }; const s = "x";
    return [a === 1, -7 < a, s === "y", a < b, o.a < b, a < o.a, o.a < o.a, a < 1.5, 2n === b]; };`;
  const { code } = instrument(source, FILE, { traceCmp: true });
  const hooks = [...code.matchAll(/\$cmp\.(\w+)\(/g)].map((m) => m[1]);
  expect(hooks).toEqual(["ki", "ki", "ks", "p", "p", "q", "l", "r", "k", "j"]);
  const area = await expectSameBehaviour(source);
  const words = [...new BigUint64Array(area.buffer)];
  // a === 1, -7 < a, a < b, o.a < b, a < o.a, o.a < o.a, 2n === b (1.5 is no integer): type, arg1, arg2
  expect(words[0]).toBe(7n);
  expect([0, 1, 2, 3, 4, 5, 6].map((i) => words.slice(1 + 4 * i, 4 + 4 * i))).toEqual([
    [1n, 1n, 3n], [1n, 0xf9n, 3n], [0n, 3n, 4n], [0n, 5n, 4n], [0n, 3n, 5n], [0n, 5n, 5n], [1n, 2n, 4n],
  ]);
});

test("an ES module's hoisted function can compare before the module body runs (cyclic import)", () => {
  const source = `import "./other"; export function early(a) { return a === 1; }`;
  const { code } = instrument(source, FILE, { traceCmp: true }, { plugins: [require.resolve("@babel/plugin-transform-modules-commonjs")] });
  expect(code).toMatch(/\(__cov_kcov\$\w+\$cmp \|\| \(__cov_kcov\$\w+\$cmp = __cov_kcov\$\w+\$cmpInit\(\)\)\)\.ki\(/);
});

test("a switch in a hoisted function of an ES module records its cases when it runs before the module body", async () => {
  const source = `import "./other"; export function early(a) { switch (a) { case 1: return "one"; case 300: return "big"; } return "none"; }`;
  const { code } = instrument(source, FILE, { traceCmp: true }, { plugins: [require.resolve("@babel/plugin-transform-modules-commonjs")] });
  // The case table is built by the first switch that runs, even before the prelude has run.
  expect(code).toMatch(/\(__cov_kcov\$\w+\$cases \|\| \(__cov_kcov\$\w+\$cases = __cov_kcov\$\w+\$casesInit\(\)\)\)\[0\]/);
  let early: unknown[] = [];
  const { area } = await withCompareRecorder(() => {
    const module = { exports: {} as Record<string, (a: unknown) => unknown> };
    // "./other" imports this module back and calls early() while this module's body waits.
    const cyclicRequire = ((): unknown => {
      early = [module.exports.early(300), module.exports.early(5)];
      return {};
    }) as unknown as NodeRequire;
    new Function("module", "exports", "require", code)(module, module.exports, cyclicRequire);
    early.push(module.exports.early(1));
  });
  expect(early).toEqual(["big", "none", "one"]);
  // Each run of the switch: one record per case, the case in arg1.
  expect(area.count).toBe(6);
  const words = new BigUint64Array(area.buffer);
  expect([...Array(6).keys()].map((i) => [words[2 + 4 * i], words[3 + 4 * i]])).toEqual([
    [1n, 300n], [300n, 300n], [1n, 5n], [300n, 5n], [1n, 1n], [300n, 1n],
  ]);
});

describe("a classic script's top-level var is a property of the global object, so it is never read twice", () => {
  // The accessor exists before the script runs, so `var x` declares nothing new and each
  // read of `x` calls the getter: the instrumented script must call it as often as the original.
  const source = `var x, s;
    function run(a) { return [a < x, x < a, a === x, s.startsWith(a), s.endsWith(a)]; }
    reads.result = run(4);`;
  function runScript(code: string): { result: unknown; reads: string[] } {
    const reads: string[] = [];
    const context = vm.createContext({ reads: { result: undefined as unknown } });
    vm.runInContext(`Object.defineProperty(globalThis, "x", { configurable: true, get() { log("x"); return 5; } });
      Object.defineProperty(globalThis, "s", { configurable: true, get() { log("s"); return "xs"; } });`, Object.assign(context, { log: (name: string) => reads.push(name) }));
    vm.runInContext(code, context);
    return { result: describeValue((context as { reads: { result: unknown } }).reads.result), reads };
  }

  test("the getters run once per read, as in the original", () => {
    const original = runScript(source);
    expect(original.reads).toEqual(["x", "x", "x", "s", "s"]);
    const { code } = instrument(source, FILE, { traceCmp: true }, { sourceType: "script" });
    expect(runScript(code)).toEqual(original);
  });

  test("script-level let and const and an ES module's top level are still read again (one hook call)", () => {
    const hooksOf = (code: string) => [...code.matchAll(/\$cmp\.(\w+)\(/g)].map((m) => m[1]);
    const script = instrument(`let y = 1; const z = 2; var v = 3; function f(o) { return [o.p < y, z < o.p, o.p < v]; }`, FILE, { traceCmp: true }, { sourceType: "script" });
    expect(hooksOf(script.code)).toEqual(["p", "q", "l", "r"]);
    const module = instrument(`var v = 3; export function f(o) { return [o.p < v, v < o.p]; }`, FILE, { traceCmp: true }, { sourceType: "module" });
    expect(hooksOf(module.code)).toEqual(["p", "q"]);
  });
});
