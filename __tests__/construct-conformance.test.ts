// Conformance, construct by construct: each snippet below runs compiled without the plugin
// and with it under every option set (counter modes, pruning, traceCmp with and without a
// recorder), as a sloppy script, a strict script and an ES module compiled to CommonJS,
// each in a fresh realm; what it logs and throws must be the same. The snippets probe what
// instrumentation could disturb: evaluation order and count, `this`, template objects,
// `new.target`, `arguments`, scopes, hoisting, completion values, error messages.
import * as vm from "node:vm";
import { typeScriptPresetOptions } from "../cli/babel";
import { version as babelVersion, type PluginItem } from "@babel/core";
import { VARIANTS, compileSnippet, describeDifferentialCases, realmCounters, runInRealm, type DifferentialCase, type Shape } from "./helpers/realm-differential";

const SLOPPY: Shape[] = ["sloppy"];
const TYPESCRIPT: PluginItem = [require.resolve("@babel/preset-typescript"), typeScriptPresetOptions(babelVersion, {})];
const REACT: PluginItem = [require.resolve("@babel/preset-react"), { runtime: "classic" }];

const CASES: DifferentialCase[] = [
  {
    name: "an optional call without arguments calls no replaced array iterator",
    source: `
      const original = Array.prototype[Symbol.iterator];
      let iterations = 0;
      Array.prototype[Symbol.iterator] = function () { iterations++; return original.call(this); };
      const f = () => 1, o = { m() { return this === o; } }, none = null;
      log(f?.(), o.m?.(), o?.m(), o?.["m"](), none?.(), none?.m(), iterations);
      const next = Object.getPrototypeOf([][Symbol.iterator]()).next;
      Object.getPrototypeOf([][Symbol.iterator]()).next = function () { iterations += 10; return next.call(this); };
      log(f?.(), o.m?.(), iterations);`,
  },
  {
    name: "optional chains keep this, short-circuiting and their error messages",
    source: `
      const o = { x: 1, m() { return this === o ? "o" : typeof this; }, b: { c: 5, d: null } }, n = null;
      log(o.m?.(), o?.m(), (o?.m)(), o?.["m"]?.(), (o.m)?.(), n?.m(), n?.m.x.y, n?.[log("never")]);
      const attempts = [() => o?.b.c(), () => o?.b.c.d(), () => o?.b[0](), () => o?.["b"].c(), () => o.b?.c(),
        () => o?.b?.d.e, () => o?.b.x.y(), () => o?.m().q(), () => (n?.b).c, () => n?.b.c()];
      for (const attempt of attempts) { try { log(attempt()); } catch (e) { log(e); } }`,
  },
  {
    name: "optional calls pass exactly their arguments",
    source: `
      function f() { return [arguments.length, ...arguments]; } const o = { f };
      log(f?.(), f?.(...[]), f?.(1, ...[2, 3]), o?.f(), o.f?.(7), Math.max?.(...[1, 2]), Math.max?.());`,
  },
  {
    name: "private members, #x in o and optional private calls",
    source: `
      class A {
        #x = 1; #m() { return this.#x; } static #s() { return "s"; }
        static has(o) { return #x in o; } call(o) { return o?.#m(); } get(o) { return o?.#x; } static s() { return A.#s?.(); }
      }
      log(A.has(new A()), A.has({}), new A().call(new A()), new A().call(null), new A().get(null), new A().get(new A()), A.s());
      try { new A().call({}); } catch (e) { log(e.constructor.name); }`,
  },
  {
    name: "super property calls, optional and computed",
    source: `
      class B { m() { return "B" + (this ? this.v : "-"); } static sm() { return this.name; } }
      class C extends B { v = 2; m() { return super.m?.() + super["m"]() + (super.q?.() ?? "none"); } static sm() { return super.sm(); } }
      log(new C().m(), C.sm());`,
  },
  {
    name: "a tagged template keeps one template object per site",
    source: `
      function tag(strings, ...values) { return strings; }
      const seen = []; for (let i = 0; i < 3; i++) seen.push(tag\`x\${i}y\`);
      function pick(x) { return x ? tag\`a\` : tag\`b\`; }
      const o = { t: tag, th() { return this === o; } };
      log(seen[0] === seen[1], seen[1] === seen[2], Object.isFrozen(seen[0]), seen[0].raw, pick(1) === pick(1), pick(0) === pick(1),
        o.t\`z\`[0], o.th\`w\`, String.raw\`\\n\${1}\`);`,
  },
  {
    name: "new.target in functions, classes and arrows",
    source: `
      function F() { log(new.target === F, typeof new.target); } F(); new F();
      class K { constructor() { log(new.target.name); } } class L extends K {} new L(); new K();
      function G() { return (() => new.target)(); } log(new G() instanceof G, G() === undefined);`,
  },
  {
    name: "arguments aliasing in sloppy functions",
    shapes: SLOPPY,
    source: `
      function s(a, b) { arguments[0] = 9; b = 8; log(a, arguments[1], arguments.length); } s(1, 2); s(1);
      function t(a, b = 2) { arguments[0] = 9; log(a, arguments[0]); } t(1);
      function u(a) { a = 5; return arguments[0]; } log(u(1));
      function v() { return arguments.callee === v; } log(v());`,
  },
  {
    name: "default parameters: closures, TDZ, var redeclaration",
    source: `
      let x = 1; function f(a = () => x, x = 2) { return a(); } log(f());
      function g(a = b, b = 1) { return a; } try { g(); } catch (e) { log(e.constructor.name); }
      function h(a, b = a * 2, { c = b + 1 } = {}) { return [a, b, c]; } log(h(1), h(1, undefined, { c: 0 }));
      function k(a = 1) { var a; return a; } log(k(), k(5));
      function q(f = () => v, v = 1) { var v = 5; return [f(), v]; } log(q());
      const arrow = (a, b = a + 1, ...rest) => [a, b, rest]; log(arrow(1), arrow(1, 5, 6, 7), arrow.length);`,
  },
  {
    name: "class fields, static blocks, accessors and private static",
    source: `
      let order = [];
      class P {
        static #count = 0; x = (order.push("x"), ++P.#count); [(order.push("key"), "k")] = order.length;
        static s = (order.push("s"), "st"); static { order.push("static", this.s); }
        get g() { return this.x; } set g(v) { order.push("set " + v); } static get sg() { return "sg"; }
      }
      const p = new P(); p.g = 3; log(p.x, p.k, p.g, P.sg, order, Object.getOwnPropertyNames(P.prototype), Object.getOwnPropertyNames(P));
      const Anonymous = class { static name2 = this.name; }; log(Anonymous.name, Anonymous.name2);`,
  },
  {
    name: "generators and async generators with return and throw",
    source: `
      function* g() { try { const x = yield 1; log("got", x); yield 2; } finally { log("fin"); } }
      const it = g(); log(JSON.stringify(it.next()), JSON.stringify(it.next("a")), JSON.stringify(it.return(7)), JSON.stringify(it.next()));
      const it2 = g(); it2.next(); try { it2.throw(new Error("t")); } catch (e) { log(e.message); }
      function* d() { const r = yield* g(); return r; } log([...d()]);
      async function* ag() { try { yield 1; yield 2; } finally { log("afin"); } }
      (async () => {
        const i = ag(); log((await i.next()).value); log(JSON.stringify(await i.return(3)));
        for await (const v of ag()) { log("for await", v); break; }
        for await (const v of [Promise.resolve("p"), "q"]) log(v);
        try { await (async () => { throw new RangeError("async"); })(); } catch (e) { log(e.message); } finally { log("finally"); }
      })();`,
  },
  {
    name: "labeled statements, break and continue",
    source: `
      outer: for (let i = 0; i < 3; i++) { for (let j = 0; j < 3; j++) { if (j === 1) continue outer; if (i === 2) break outer; log(i, j); } }
      a: b: { log("ab"); break a; }
      c: if (true) { log("c"); break c; }
      d: try { log("d"); break d; } finally { log("df"); }
      e: { switch (1) { case 1: break e; } log("not reached"); } log("after e");`,
  },
  {
    name: "with statements in sloppy code",
    shapes: SLOPPY,
    source: `
      var o = { a: 1, f() { return this === o; } };
      with (o) { log(a, f()); var a = 2; b = 3; if (a) log("then"); else log("else"); }
      log(o.a, typeof b);
      const p = new Proxy({ x: 1 }, { has(t, k) { if (typeof k === "string" && k.startsWith("__cov")) log("proxy saw", k); return k in t; } });
      with (p) { log(x); }`,
  },
  {
    name: "direct eval: scope, var leaking, completion values",
    shapes: SLOPPY,
    source: `
      var x = 1; function f() { eval("var x = 2; var y = 3"); return [x, y]; } log(f(), x);
      function g() { eval("function inner() { return 4; }"); return inner(); } log(g());
      log(eval("if (x) 1; else 2"), eval("1; if (0) 5;"), eval("2; do { 3; break; } while (0)"), eval("4; try { 5 } finally { 6 }"));
      log(eval("switch (1) { case 1: 'a'; }"), eval("7; for (;false;) {}"), eval("8; l: { 9; break l; }"), eval("x ? 'y' : 'n'"));
      const indirect = eval; log(indirect("typeof x"), (0, eval)("1 + 1"));`,
  },
  {
    name: "strict direct eval keeps its own scope",
    shapes: ["strict", "module"],
    source: `var x = 1; function f() { eval("var x = 2"); return x; } log(f(), eval("if (x) 'a'; else 'b'"));`,
  },
  {
    name: "comparison operands are evaluated once and in order",
    source: `
      let reads = 0; const o = { get a() { log("get a"); return ++reads; }, valueOf() { log("valueOf"); return 3; } };
      log(o.a < 5 && o.a === 2, o < 5, 5 > o, o <= o, o.a !== o.a, o == 3, "3" === o);
      let i = 0; const arr = [3, 4]; log(arr[i++] < arr[i++], i);
      function side(v) { log("side", v); return v; }
      log(side(1) === side(1), side("a") < side("b"), side(2) == "2", "x" === side("x"), 3 === side(3), side(1n) < 2);
      const big = 2n ** 64n; log(big === 2n ** 64n, big < 1, 1.5 < big, "10" < 9, null == undefined, NaN !== NaN, -0 === 0);
      const sym = Symbol("s"); log(sym === sym); try { log(sym < 1); } catch (e) { log(e.constructor.name); }`,
  },
  {
    name: "method comparison sites keep receivers and argument counts",
    source: `
      const s = "hello"; log(s.startsWith("he"), s.endsWith(), s.includes("ll", 1), s.indexOf("l", 3), s.localeCompare("a"));
      const weird = { startsWith(x) { return [x, this === weird, arguments.length]; }, equals(a, b) { return [a, b, arguments.length]; } };
      log(weird.startsWith("q"), weird.equals(1), weird.equals(1, 2));
      let t = "abc"; function f() { return t.startsWith((t = "xyz", "x")); } log(f(), t);
      function g() { let u = "abc"; return u.includes((u = 5, "5")); } try { log(g()); } catch (e) { log(e.constructor.name); }
      class T { constructor() { this.v = "t"; } startsWith(a) { return this.v + a; } run() { return this.startsWith("1"); } } log(new T().run());
      const list = [1, NaN]; log(list.includes(NaN), list.indexOf(NaN));`,
  },
  {
    name: "switch: side-effecting discriminant and case tests run as often and in order",
    source: `
      let k = 0;
      function sw(d) { switch (d()) { case log("c1") || 1: return "one"; case 2: return "two"; case (log("c3"), 3): return "three"; default: return "d"; } }
      log(sw(() => { log("disc"); return ++k; }), sw(() => 2), sw(() => 3), sw(() => 9));
      let i = 0; const seq = []; function nx() { seq.push(i); return i++; }
      switch (nx()) { case nx(): log("a"); break; case 1: log("b"); break; case nx(): log("c"); break; default: log("d"); } log(seq);
      function typed(x) { switch (x) { case 1n: return "big"; case -1: return "neg"; case \`t\`: return "tmpl"; case 0: return "zero"; case NaN: return "nan"; } return "none"; }
      log(typed(1n), typed(-1), typed("t"), typed(0), typed(-0), typed(1), typed(NaN), typed("1"));
      function fall(x) { const r = []; switch (x) { default: r.push("def"); case 1: r.push("one"); break; case 2: r.push("two"); } return r; }
      log(fall(1), fall(2), fall(3));
      function empty(x) { switch (x) {} switch (x) { case 1: } return "after"; } log(empty(1));`,
  },
  {
    name: "in, instanceof and Symbol.hasInstance",
    source: `
      class Even { static [Symbol.hasInstance](x) { log("hasInstance", x); return x % 2 === 0; } }
      log(2 instanceof Even, 3 instanceof Even, "a" in { a: 1 }, "b" in { a: 1 });
      const p = new Proxy({}, { has(t, k) { log("has", k); return true; } }); log("z" in p);
      try { log(1 instanceof 5); } catch (e) { log(e); } try { log("a" in "str"); } catch (e) { log(e); }`,
  },
  {
    name: "typeof of undeclared names and delete of identifiers",
    shapes: SLOPPY,
    source: `
      log(typeof undeclaredName, typeof undeclaredName === "undefined", typeof undeclaredName === "undefined" ? "u" : "d");
      try { undeclaredName; } catch (e) { log(e); }
      var declared = 1; log(delete declared, typeof declared); globalThis.gv = 2; log(delete gv, typeof gv); implicit = 3; log(delete implicit);`,
  },
  {
    name: "function length, name and kind",
    source: `
      function f(a, b = 1, ...c) {} const g = (x, y) => x; const h = async function named(a) {};
      class Q { m(a, b) {} static s() {} get gg() { return 1; } static name() { return "own"; } }
      log(f.length, f.name, g.length, g.name, h.name, Q.prototype.m.length, typeof Q.name, Q.s.name, Object.getOwnPropertyDescriptor(Q.prototype, "gg").get.name);
      const o = { x: () => {}, ["comp" + 1]: function () {}, async *gen() {}, 1: class {}, y: function* () {} };
      log(o.x.name, o.comp1.name, o.gen.name, o[1].name, o.y.name, Object.getPrototypeOf(o.y).constructor.name);
      let v = function () {}; let w; w = () => {}; let z = (0, function () {}); let dflt; ({ dflt = () => {} } = {}); log(v.name, w.name, z.name, dflt.name);
      log(String(function plain(a, b) { return a; }).startsWith("function plain(a, b)"), String(class Named {}).startsWith("class Named"));`,
  },
  {
    name: "function declarations in blocks (Annex B hoisting)",
    shapes: SLOPPY,
    source: `
      log(typeof hoisted); { function hoisted() { return 1; } } log(typeof hoisted);
      if (true) function ifd() { return 2; } log(typeof ifd);
      try { log(typeof late); } catch (e) { log("tdz"); } { log(typeof late); function late() {} }
      function outer() { log(typeof inner); if (false) { function inner() {} } return typeof inner; } log(outer());
      switch (1) { case 1: function inSwitch() { return 3; } } log(inSwitch());`,
  },
  {
    name: "block-scoped functions and TDZ in strict code",
    shapes: ["strict", "module"],
    source: `
      { function scoped() { return 1; } log(scoped()); } log(typeof scoped);
      try { log(tdz); } catch (e) { log(e.constructor.name); } let tdz = 1;
      try { new C(); } catch (e) { log(e.constructor.name); } class C {}
      log(early()); function early() { return "hoisted"; }`,
  },
  {
    name: "destructuring defaults, rest and getters run once",
    source: `
      let reads = 0; const src = { get a() { reads++; return undefined; }, b: 2, c: 3 };
      const { a = (log("default a"), 1), ...rest } = src; log(a, rest, reads);
      const [x = log("x default") ?? 1, , ...ys] = [undefined, 2, 3, 4]; log(x, ys);
      let p, q; ({ p = 5, q: [q = 6] = [] } = {}); log(p, q);
      for (const { m = "dm", n } of [{ n: 1 }, { m: 2, n: 3 }]) log(m, n);`,
  },
  {
    name: "logical assignment assigns only when it should",
    source: `
      const o = { set v(x) { log("set", x); }, get v() { log("get"); return 0; } };
      o.v ||= 1; o.v &&= 2; o.v ??= 3;
      let a = null; a ??= (log("rhs"), 4); a ??= (log("never"), 5); let f; f ||= function () {}; log(a, f.name);`,
  },
  {
    name: "getters and setters on object literals, spread and __proto__",
    source: `
      const objs = { a: 1, ...{ b: 2 }, get c() { return 3; }, set d(v) {}, ["e" + 1]: 5, __proto__: { inh: 1 } };
      log(objs, objs.inh, Object.keys(objs), Object.getOwnPropertyNames(Object.getPrototypeOf(objs)));
      const named = { ["__proto__"]: 1 }; log(Object.keys(named), Object.getPrototypeOf(named) === Object.prototype);`,
  },
  {
    name: "conditional and logical expressions short-circuit exactly",
    source: `
      function t(v) { log("t", v); return v; }
      log(t(0) && t(1), t(1) && t(2), t(0) || t(3), t(null) ?? t(4), t(0) ?? t(5), t(1) ? t("yes") : t("no"), t(0) ? t("yes") : t(0) ? 1 : t("last"));
      const chain = t(1) && t(2) && t(0) && t(3); log(chain);`,
  },
  {
    name: "loops of every form and their completion",
    source: `
      var x = 0; function f() { return x++; } do log(f()); while (x < 3); while (x < 5) x++; for (; x < 7;) x++; log(x);
      for (var k in { a: 1, b: 2 }) log(k); for (const [a, b] of [[1, 2]]) log(a + b); if (x) ; else ;
      const fns = []; for (let i = 0; i < 3; i++) fns.push(() => i); log(fns.map((g) => g()));
      for (const i of [1, 2, 3]) { if (i === 2) continue; log("of", i); }`,
  },
  {
    name: "try, catch and finally, with returns overriding",
    source: `
      function f() { try { return "try"; } finally { log("finally"); } }
      function g() { try { throw new Error("e"); } catch { return "catch"; } finally { log("g finally"); } }
      function h() { try { return 1; } finally { return 2; } }
      function k() { for (;;) { try { break; } finally { log("k finally"); } } return "k"; }
      log(f(), g(), h(), k());`,
  },
  {
    name: "top-level this, module scope and exports",
    shapes: ["module"],
    source: `
      export const value = 1; export function fn() { return typeof this; } export default class {}
      log(typeof this, this === undefined || this === module.exports, fn(), typeof exports.default);`,
  },
  {
    name: "an ES module with imports, whose hoisted functions count through the lazy registration",
    shapes: ["module"],
    source: `
      import { dep, none } from "./dep";
      export function early(f) { return [f?.(), dep?.(), none?.(), none?.x.y(), dep?.name.length]; }
      log(early(() => 1), early(null));`,
  },
  {
    name: "top-level this in a script",
    shapes: ["sloppy", "strict"],
    source: `log(typeof this, this === globalThis, (function () { return this === undefined ? "strict" : "sloppy"; })());`,
  },
  {
    name: "switch: default in the middle, fallthrough into and out of it, case tests with side effects",
    source: `
      function f(x) { const r = []; switch (x) { case 1: r.push(1); case 2: r.push(2); default: r.push("d"); case 3: r.push(3); break; case 4: r.push(4); } return r; }
      log(f(1), f(2), f(3), f(4), f(5));
      function g(x) { switch (x) { case 1: default: case 2: return "12d"; case 3: return 3; } } log(g(1), g(2), g(3), g(9));
      function h(x) { let i = 0; switch (x) { case (i++, 1): case (i++, 2): default: i += 10; case (i++, 3): i += 100; } return i; } log(h(1), h(2), h(3), h(4));
      const seq = []; const c = (v) => { seq.push(v); return v; };
      function lazy(x) { switch (x) { case c(1): return "1"; case c(2): return "2"; default: return "d"; case c(3): return "3"; } }
      log(lazy(1), seq.splice(0), lazy(3), seq.splice(0), lazy(4), seq.splice(0));
      function thrower(x) { switch (x) { case 1: return 1; case (() => { throw new Error("case threw"); })(): return 2; } }
      log(thrower(1)); try { thrower(2); } catch (e) { log(e.message); }
      function tdz(k) { switch (k) { case 1: let x = 1; return x; case 2: try { x = 2; } catch (e) { return e.constructor.name; } default: return typeof k; } }
      log(tdz(1), tdz(2), tdz(3));`,
  },
  {
    name: "finally overriding with break and continue, nested finally, labels",
    source: `
      function f() { for (let i = 0; i < 3; i++) { try { if (i === 1) return "r" + i; } finally { if (i === 1) break; } } return "after"; } log(f());
      function g() { l: try { return 1; } finally { break l; } return 2; } log(g());
      function k() { for (const x of [1, 2, 3]) { try { continue; } finally { log("k", x); if (x === 2) return "ret"; } } } log(k());
      function m() { try { try { throw new Error("in"); } finally { log("inner fin"); } } catch (e) { return e.message; } } log(m());
      function n() { let r = []; outer: for (let i = 0; i < 3; i++) { for (let j = 0; j < 3; j++) { try { if (j === 1) continue outer; r.push(i + "" + j); } finally { r.push("f"); } } } return r; } log(n());
      function p() { try { throw 1; } catch (e) { try { throw 2; } finally { log("p inner"); } } finally { log("p outer"); } } try { p(); } catch (e) { log("p threw", e); }`,
  },
  {
    name: "yield* delegation to a hand-written iterator: next, return and throw are forwarded",
    source: `
      const it = { [Symbol.iterator]() { let i = 0; return { next(v) { log("next", v); return { value: i, done: i++ > 1 }; },
        return(v) { log("ret", v); return { done: true, value: v }; }, throw(e) { log("throw", e); return { done: true, value: "t" }; } }; } };
      function* del() { const r = yield* it; log("del r", r); return r; }
      const d = del(); log(JSON.stringify(d.next("a")), JSON.stringify(d.next("b")), JSON.stringify(d.next("c")));
      const d2 = del(); d2.next(); log(JSON.stringify(d2.return("R")));
      const d3 = del(); d3.next(); log(JSON.stringify(d3.throw("T")));
      async function* ag() { try { yield* [Promise.resolve(1), 2]; yield await Promise.resolve(3); } finally { await null; log("ag finally"); } }
      (async () => { const a = ag(); log(JSON.stringify(await a.next())); log(JSON.stringify(await a.return("early")));
        const r = []; for await (const v of ag()) r.push(v); log(r);
        label: for await (const v of ag()) { for (;;) { if (v === 2) break label; continue label; } } log("done"); })();`,
  },
  {
    name: "super in object literal methods and in arrows, and home objects",
    source: `
      const base = { m() { return "base" + (this.v ?? ""); }, get g() { return "bg"; } };
      const o = { __proto__: base, v: 1, m() { return "o>" + super.m() + (1 < 2 ? super.g : 0); }, arrow() { return (() => super.m())(); } };
      log(o.m(), o.arrow());
      class A { static s() { return "As"; } } class B extends A { static s() { const f = () => super.s(); return f() + (super.s() === "As"); } } log(B.s());
      class C extends Array { constructor(...a) { (() => { super(...a); })(); } } log(new C(1, 2, 3).length);`,
  },
  {
    name: "catch parameters: destructuring, shadowing by var, optional binding",
    shapes: SLOPPY,
    source: `
      function f() { try { throw 1; } catch (e) { var e = 2; log("in", e); } return e; } log(f());
      function g() { try { throw [1, 2]; } catch ([a, b]) { return a + b; } } log(g());
      function h() { try { throw { m: "x" }; } catch ({ m, n = "d" }) { return m + n; } } log(h());
      try { throw 1 } catch { log("optional binding"); } finally { log("f"); }`,
  },
  {
    name: "parameter scope: eval and arguments in defaults",
    shapes: SLOPPY,
    source: `
      function f(a = eval("var z = 1; z"), b = typeof z) { return [a, b]; } log(f());
      function g(a = () => arguments.length) { return a(); } log(g(undefined, 2, 3));
      function h(a, b = arguments[0]) { return b; } log(h(5));
      function k(x = 1, y = () => x) { var x = 2; return [x, y()]; } log(k());`,
  },
  {
    name: "logical assignment on frozen objects, constants and computed targets",
    source: `
      const fr = Object.freeze({ x: 1, y: null }); try { fr.x ||= 2; log("no throw"); } catch (e) { log(e.constructor.name); }
      try { fr.y ??= 2; log("no throw 2"); } catch (e) { log(e.constructor.name); }
      let k = 0; const arr = [0, 1]; arr[k++] ||= 9; arr[k++] ||= 9; log(arr, k);
      const cst = 1; try { cst ||= 2; log("ok const"); } catch (e) { log(e.constructor.name); } try { cst &&= 2; } catch (e) { log(e.constructor.name); }
      let z; z ??= function () {}; let w = 0; w ||= class {}; let ar; ar ||= () => 1; log(z.name, w.name, ar.name);`,
  },
  {
    name: "comparisons: valueOf, Symbol.toPrimitive, throwing operands, BigInt against Number and strings",
    source: `
      const seq = [];
      const mk = (n, v) => ({ valueOf() { seq.push("valueOf " + n); return v; }, toString() { seq.push("toString " + n); return String(v); } });
      log(mk("a", 1) < mk("b", 2), mk("c", 1) == mk("c2", 1), mk("d", 1) == 1, "1" == mk("e", 1), mk("f", 2) >= mk("g", 2), seq);
      const tp = { [Symbol.toPrimitive](hint) { seq.push("hint " + hint); return 5; } }; log(tp > 4, tp == 5, tp === 5, tp != "5", tp <= 5n, seq.slice(-5));
      const bad = { valueOf() { throw new Error("boom"); } };
      for (const f of [() => bad < 1, () => 1 > bad, () => bad == 1, () => bad === 1, () => bad != null, () => bad == null, () => Symbol() < 1, () => 1n < Symbol()]) { try { log(f()); } catch (e) { log(e); } }
      log(1n < 2, 2 > 1n, 1n == 1, 1n === 1, 1n == "1", 2n > "1", 1n < 1.5, 10n ** 30n > 1e30, 10n ** 30n == 1e30, -0 < 0n, NaN < 1n, 1n < Infinity, 0n == false, 1n == "x");
      log(null == 0, null >= 0, undefined == null, null == false, "" == 0, [] == "", [0] == false, ({}) == "[object Object]");
      let x = null; log(x == null, x != null, x === null, x !== undefined, undefined == x);`,
  },
  {
    name: "traced string methods on odd receivers: null, undefined, look-alikes, getters",
    source: `
      const calls = []; const fake = { startsWith(...a) { calls.push(a.length); return "fake"; }, indexOf: undefined };
      log(fake.startsWith(), fake.startsWith(1, 2, 3), calls, "hello".endsWith("o", 5), "x".includes(""), [1, 2].indexOf(2, -1));
      try { fake.indexOf("x"); } catch (e) { log(e); } try { null.startsWith("x"); } catch (e) { log(e); } try { undefined.includes("x"); } catch (e) { log(e); }
      const n = null; log(n?.startsWith("x"), n?.includes?.("x"));
      const o = { get s() { log("getter"); return "abc"; } }; log(o.s.includes("b"), o.s.localeCompare("abd"));`,
  },
  {
    name: "directives stay first: strict mode of functions is unchanged",
    shapes: SLOPPY,
    source: `
      function f() { "use strict"; return this; } log(f() === undefined);
      function g() { 'use strict'; "other"; return typeof this; } log(g());
      function h() { "a"; "use strict"; return this === undefined; } log(h());
      function l() { "use strict"
        return this === undefined; } log(l());
      function m() { "use\\x20strict"; return this === undefined; } log(m());
      function n() { "use strict"; try { undeclaredN = 1; } catch (e) { return e.constructor.name; } } log(n());
      const ar = () => { "use strict"; return this === globalThis; }; log(ar());`,
  },
  {
    name: "automatic semicolon insertion around statements that get counters",
    source: `
      let a = 1
      let b = a
      ;[1, 2].forEach(x => log(x))
      const c = a
      ++b
      log(a, b, c)
      ;(function () { log("iife") })()
      function r() { return
        42 }
      log(r())
      let i = 0; for (let j = 0, k = 10; j < k; j++, k--) i++; log(i)
      if (a) log("then")
      else log("else")`,
  },
  {
    name: "comparison operands behind getters, setters and Proxies: each trap runs as often and in order",
    source: `
      const seen = [];
      const handler = { get(t, k, r) { seen.push("get " + String(k)); return Reflect.get(t, k, r); }, has(t, k) { seen.push("has " + String(k)); return k in t; },
        getPrototypeOf(t) { seen.push("proto"); return Reflect.getPrototypeOf(t); }, ownKeys(t) { seen.push("keys"); return Reflect.ownKeys(t); } };
      const p = new Proxy({ n: 1, s: "str", valueOf() { seen.push("valueOf"); return 7; } }, handler);
      log(p.n === 1, p.s < "t", p == 7, p > 6, p === p, p !== null, p.s.startsWith("s"), p.s.includes(p.s), seen.splice(0));
      const acc = { get v() { seen.push("v"); return 2; }, set v(x) { seen.push("set " + x); } };
      log(acc.v === 2, acc.v < acc.v, (acc.v = 3) === 3, acc.v === (acc.v = 4), seen.splice(0));
      const local = p; log(local.n === local.n, local === p, local < 8, "x" < local, seen.splice(0));
      const { proxy, revoke } = Proxy.revocable({}, {}); const alias = proxy; revoke();
      for (const f of [() => alias === null, () => alias == null, () => alias < 1, () => null === alias, () => alias.startsWith("x")]) { try { log(f()); } catch (e) { log(e); } }
      const fnProxy = new Proxy(function () { return "called"; }, { apply(t, th, args) { seen.push("apply " + args.length); return "a"; } });
      log(fnProxy() === "a", fnProxy(1, 2) < "b", seen.splice(0));`,
  },
  {
    name: "comparison operands that throw: which operands ran, and the error, are the original's",
    source: `
      const order = []; const v = (x) => { order.push(x); return x; }; const boom = (m) => { order.push("boom " + m); throw new TypeError(m); };
      const attempts = [() => v(1) === boom("right"), () => boom("left") === v(2), () => v("a") < boom("r2"), () => v(1) == boom("r3"),
        () => v(1) !== v(2) && boom("after"), () => { switch (boom("disc")) { case v(1): return 1; } }, () => { switch (v(3)) { case v(1): return 1; case boom("case"): return 2; case v(3): return 3; } },
        () => v("s").startsWith(boom("arg")), () => boom("recv").startsWith(v("x")), () => undefinedName === v(1), () => v(1) === undefinedName,
        () => { let k = v(0); return k === tdz; let tdz = 1; }, () => { const o = {}; return o.missing.deep === v(1); }];
      for (const attempt of attempts) { try { log(attempt()); } catch (e) { log(e); } log(order.splice(0)); }`,
  },
  {
    name: "traced string methods on non-strings, Symbol.toPrimitive arguments and objects with their own methods",
    source: `
      const seen = [];
      const prim = { [Symbol.toPrimitive](hint) { seen.push("prim " + hint); return "ab"; }, toString() { seen.push("toString"); return "zz"; } };
      const abc = "abc", xab = "xab", cab = "cab", ab = "ab", a1 = "a1", tru = "true", nul = "null", und = "undefined", x = "x", five = 5, pair = [1, 2], empty = {};
      log(abc.startsWith(prim), xab.endsWith(prim), cab.includes(prim), cab.indexOf(prim), ab.localeCompare(prim), "abc".startsWith(prim), seen.splice(0));
      log(a1.includes(1), a1.indexOf(1), tru.startsWith(true), nul.endsWith(null), und.includes(), abc.indexOf(), abc.startsWith("b", 1), abc.indexOf("c", -5), abc.includes(abc), abc.localeCompare(xab, "en"));
      for (const f of [() => abc.startsWith(/a/), () => abc.includes(/b/), () => abc.endsWith({ [Symbol.match]: false, toString() { return "c"; } }),
        () => x.startsWith(Symbol("s")), () => five.startsWith("5"), () => pair.startsWith(1), () => empty.includes("x"), () => abc.localeCompare(Symbol())]) { try { log(f()); } catch (e) { log(e); } }
      const mixed = [1, "2", NaN, -0], nan = [NaN], negZero = [-0], bytes = new Uint8Array([1, 2]);
      log(mixed.includes(0), mixed.indexOf("2"), nan.includes(NaN), nan.indexOf(NaN), negZero.includes(0), negZero.indexOf(0), bytes.includes(2), bytes.indexOf(2), pair.includes(2n), pair.indexOf("1"));
      log(String.prototype.startsWith.call(123, "12"), String.prototype.includes.call({ toString() { return "obj"; } }, "b"), Array.prototype.includes.call("str", "t"));
      const own = { startsWith(x) { return "own:" + x + ":" + (this === own); }, includes: (x) => "arrow " + typeof x, indexOf() { return arguments.length; }, localeCompare: function () { return this; } };
      log(own.startsWith("q"), own.includes(1n), own.indexOf(1, 2, 3), own.localeCompare() === own, own["startsWith"]("c"), own.endsWith?.("x"));
      class Str extends String { startsWith(x) { return "sub " + super.startsWith(x); } endsWith(x) { return super.endsWith?.(x) === true; } } const sub = new Str("hello");
      log(sub.startsWith("he"), sub.endsWith("lo"), sub.includes("ell"), sub.indexOf("l"), sub.localeCompare("hello"));
      const buf = typeof Buffer === "function" ? Buffer.from("ab") : null; const eq = { equals(a, b) { return [a, b, arguments.length]; } };
      log(eq.equals(1), eq.equals("x", "y"), buf === null ? "no Buffer" : buf.equals(Buffer.from("ab")));
      String.prototype.startsWith = function (x) { seen.push("patched " + x); return "patched"; }; log("abc".startsWith("a"), seen.splice(0));`,
  },
  {
    name: "optional calls of traced methods and super comparisons",
    source: `
      const s = "hello", n = null, u = undefined, o = { s: "abc", f: null };
      log(s?.startsWith("he"), n?.startsWith("x"), u?.includes("x"), o?.s.endsWith("c"), o.f?.startsWith("x"), o.s?.indexOf?.("b"), o.s.localeCompare?.("abd"), n?.s.startsWith("x"));
      try { log(o.f.startsWith?.("x")); } catch (e) { log(e); } try { log(o.nope?.x.startsWith("y")); } catch (e) { log(e); } try { log(o.s.nope?.("x")); } catch (e) { log(e); }
      let count = 0; const arg = () => (count++, "h"); log(n?.startsWith(arg()), s?.startsWith(arg()), count);
      class Base { get v() { return 3; } cmp(x) { return x; } static sv = 5; static get sg() { return "sg"; } }
      class Derived extends Base {
        test() { return [super.v === 3, super.v < 4, super.cmp(2) === 2, super["v"] !== 3, super.missing === undefined, super.cmp?.(1) > 0]; }
        static stest() { return [super.sv === 5, super.sg.startsWith("s"), super.sg < "z"]; }
      }
      log(new Derived().test(), Derived.stest());
      const objBase = { greet() { return "hi"; } }; const objSub = { __proto__: objBase, greet() { return super.greet() === "hi" && super.greet().startsWith("h"); } }; log(objSub.greet());`,
  },
  {
    name: "comparisons in default parameters, class fields, computed keys and static blocks",
    source: `
      const order = []; const v = (x) => { order.push(x); return x; };
      function f(a = v(1) === 1, b = a ? v("yes") : v("no"), c = b.startsWith("y"), d = (() => a < b)()) { return [a, b, c, d]; }
      log(f(), f(false), f(undefined, "y2"), order.splice(0));
      const arrow = (x, y = x === 0 ? "zero" : x > 0 ? "pos" : "neg") => y; log(arrow(0), arrow(1), arrow(-1), arrow.length);
      let k = 0;
      class C {
        a = v("a") === "a"; b = this.a !== true; [v("key") === "key" ? "k1" : "k2"] = 1; [k++ < 1 ? "first" : "later"] = 2;
        static s = v("s") < "t"; static [("x" + k) === "x1" ? "sk" : "nk"] = 3; static { order.push("static " + (this.s === true)); }
        #p = v(5) >= 5; get p() { return this.#p; } m(x = this.a === true) { return x; }
      }
      const c1 = new C(), c2 = new C();
      log(c1.a, c1.b, c1.k1, c1.first, c1.later, C.s, C.sk, C.nk, c1.p, c1.m(), c2.first, order.splice(0));
      const obj = { [v(1) === 1 ? "one" : "other"]: 1, [v("b") < "c" ? "lt" : "ge"]() { return "m"; }, get [1 < 2 ? "g" : "h"]() { return "got"; } };
      log(Object.keys(obj), obj.lt(), obj.g, order.splice(0));
      function destr({ a = 1 === 1, b: [c = "x".startsWith("x")] = [] } = {}, ...rest) { return [a, c, rest.length === 0]; } log(destr(), destr({ a: 0, b: [0] }, 1));`,
  },
  {
    name: "comparisons in generators and async functions: yield and await inside operands",
    source: `
      function* g() { const a = (yield "first") === "sent"; log("a", a); const b = "x" < (yield "second"); log("b", b);
        switch (yield "disc") { case "one": log("case one"); case "two": log("fell to two"); break; default: log("default"); } return (yield "last") !== undefined; }
      const it = g(); log(it.next().value, it.next("sent").value, it.next("y").value, it.next("one").value, JSON.stringify(it.next()));
      const it2 = g(); it2.next(); it2.next(1); it2.next("a"); it2.next("zzz"); log(JSON.stringify(it2.next(0)));
      let shared = 1; function* h() { while (shared < (yield shared)) shared++; return shared; }
      const hi = h(); log(hi.next().value, hi.next(5).value, hi.next(3).value, hi.next(0).value);
      function* delegate() { return (yield* g()) === true; } log([...delegate()].length);
      (async () => {
        let x = 1; const later = async (v) => { await null; x = v; return v; };
        log(x === await later(5), x, await later(6) === x, (await later("s")).startsWith("s"));
        switch (await later(2)) { case 1: log("one"); break; case 2: log("two"); }
        for await (const w of [Promise.resolve(1), 2]) log(w === 1 ? "one" : w < 3 ? "small" : "big");
        try { log(await Promise.reject(new Error("rej")) === 1); } catch (e) { log(e.message); }
      })();`,
  },
  {
    name: "comparisons inside with blocks: names that resolve to the object, its getters and its Proxy traps",
    shapes: SLOPPY,
    source: `
      const seen = []; var x = 1, s = "outer";
      const scope = { get x() { seen.push("get x"); return 2; }, startsWith(y) { return "scope.startsWith " + y + " " + (this === scope); }, s: "inner" };
      with (scope) { log(x === 2, x < 3, 2 == x, x !== x, s.startsWith("in"), startsWith("q"), s === "inner"); switch (x) { case 2: log("two"); break; case 1: log("one"); } }
      log(x === 1, s === "outer", seen.splice(0));
      function inner() { let y = 1, z = "a"; with ({ get y() { seen.push("get y"); return 5; } }) { log(y === 5, z === "a", y < z, z.includes("a"), y > y); } return seen.splice(0); } log(inner());
      function later() { let y = 1; with ({ y: 2 }) { var fn = () => y === 2; } return fn(); } log(later());
      const trap = new Proxy({ t: 3 }, { has(tgt, k) { if (typeof k === "string" && k.length < 3) seen.push("has " + k); return k in tgt; }, get(tgt, k) { if (typeof k === "string") seen.push("get " + k); return tgt[k]; } });
      let t = 9; with (trap) { log(t === 3, t > 1); } log(t, seen.splice(0));`,
  },
  {
    name: "comparisons of sloppy-mode arguments, parameters aliased by arguments, labelled blocks",
    shapes: SLOPPY,
    source: `
      function alias(a, b) { const r = [a === 1, arguments[0] === a, a === (arguments[0] = 9), a === 9, arguments.length < 3, b === arguments[1]];
        arguments[1] = "z"; r.push(b === "z", arguments[1].startsWith("z")); return r; }
      log(alias(1, "b"), alias(1));
      function swap(a) { return a < (arguments[0] = 0, 5) ? a : -1; } log(swap(3), swap(7));
      function strictArgs(a, b = 2) { const r = [a === 1]; arguments[0] = 5; r.push(a === 1, arguments[0] === 5); return r; } log(strictArgs(1));
      function args() { switch (arguments.length) { case 0: return "none"; case 1: return arguments[0] === 1 ? "one" : "other"; default: return arguments[arguments.length - 1] > 1; } } log(args(), args(1), args(2), args(1, 2));
      outer: { const a = 1; inner: { if (a === 1) break inner; log("never"); } if (a < 2) break outer; log("never 2"); } log("after labels");
      lbl: for (let i = 0; i < 3; i++) { sw: switch (i) { case 0: continue lbl; case 1: break sw; case 2: break lbl; } log("i", i === 1); }`,
  },
  {
    name: "BigInt with Number, -0, NaN, Infinity and mixed types: comparisons and switch cases",
    source: `
      const values = [0, -0, 0n, -1, -1n, 1, 1n, 2 ** 53, 2n ** 53n, 2 ** 53 + 2, 2n ** 53n + 1n, 2n ** 64n, -(2n ** 63n), 0.5, NaN, Infinity, -Infinity, "1", "1n", "", " ", "0x10", true, null, undefined, 2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 31) - 1];
      const table = [];
      for (const a of values) { let row = ""; for (const b of values) { try { row += (a === b ? "s" : "-") + (a == b ? "l" : "-") + (a < b ? "<" : "-") + (a >= b ? "g" : "-"); } catch (e) { row += "E"; } } table.push(row); }
      log(table.join("|"));
      function sw(x) { switch (x) { case 0: return "zero"; case -1: return "minus one"; case 1n: return "one n"; case 2 ** 32: return "2^32"; case -(2 ** 31): return "min32"; case NaN: return "nan"; case Infinity: return "inf"; case "1": return "str1"; default: return "none"; } }
      log(values.map(sw));
      function swBig(x) { switch (x) { case 0n: return "0n"; case -1n: return "-1n"; case 2n ** 64n: return "2^64n"; case 18446744073709551615n: return "max64"; case -(2n ** 63n): return "min64"; } return "-"; }
      log(values.map(swBig), swBig(2n ** 64n - 1n), swBig(2n ** 65n));
      log(Object.is(-0, 0), -0 === 0, 1 / -0 < 0, [-0].map((z) => z === 0 && 1 / z), -0 < 0, -0 <= 0, 0n === -0n, NaN == NaN, NaN >= NaN, [NaN].includes(NaN));
      const big = 12345678901234567890n; let x = big; log(x === big, x > 12345678901234567889n, x < 1.2345678901234567e19, x == 12345678901234567890, x == "12345678901234567890", BigInt.asIntN(64, x) < 0n);`,
  },
  {
    name: "Symbols in comparisons, and includes/indexOf on arrays, typed arrays, array-likes and user objects",
    source: `
      const s = Symbol("a"), t = Symbol.for("b");
      log(s === s, s === t, s == s, s != t, t === Symbol.for("b"));
      for (const f of [() => s < 1, () => s == 1, () => "a".startsWith(s), () => "a".includes(s), () => [s].includes(s), () => [s].indexOf(s)]) {
        try { log(f()); } catch (e) { log(e); }
      }
      switch (s) { case t: log("t"); break; case s: log("s"); }
      const arr = [1, NaN, "x", -0, undefined];
      log(arr.includes(NaN), arr.indexOf(NaN), arr.includes(0), arr.indexOf(0), arr.includes("x", 3), arr.indexOf("x", -3), arr.includes(), arr.indexOf(), [, 1].includes(undefined), [, 1].indexOf(undefined));
      const user = { includes(x) { return "u:" + x + ":" + arguments.length; }, indexOf(...a) { return a.length; } };
      log(user.includes("q"), user.includes(), user.indexOf(1, 2, 3), new Uint8Array([1, 2]).includes(2), new Uint8Array([1, 2]).indexOf("2"));
      log(Array.prototype.includes.call({ length: 2, 0: "a", 1: "b" }, "b"), [].indexOf.call("abc", "b"));`,
  },
  {
    name: "comparisons of names behind getters: on arguments, and globals read from functions",
    source: `
      function f(a) { let n = 0; Object.defineProperty(arguments, "0", { get() { n++; return "abc"; } });
        return [arguments[0] === "abc", arguments[0].startsWith("a"), arguments.length > 0, n]; }
      function h() { return (() => arguments[0] === 7)(); }
      log(f(1), h(7), h(8));
      const reads = [];
      Object.defineProperty(globalThis, "gx", { get() { reads.push("gx"); return "abc"; }, configurable: true });
      Object.defineProperty(globalThis, "gn", { get() { reads.push("gn"); return 5; }, configurable: true });
      function g() { return [gx.startsWith("a"), gx === "abc", gn < 6, gx.includes("b"), gx.localeCompare("abd"), typeof gx === "string"]; }
      log(g(), reads.length);
      const k = () => { switch (gn) { case 5: return "five"; } }; log(k(), reads.length);`,
  },
  {
    name: "a replaced String.prototype method is called by traced sites with the receiver as in the original",
    source: `
      const original = String.prototype.startsWith, includes = String.prototype.includes;
      String.prototype.startsWith = function (x, p) { log("patched", typeof this, x, p, arguments.length); return original.call(this, x, p); };
      String.prototype.includes = function (x) { "use strict"; log("strict patched", typeof this); return includes.call(this, x); };
      log("abc".startsWith("a"), "abc".startsWith("b", 1), "abc".startsWith(), "abc".includes("b"));
      String.prototype.endsWith = undefined; delete String.prototype.indexOf;
      for (const f of [() => "abc".endsWith("c"), () => "abc".indexOf("c")]) { try { log(f()); } catch (e) { log(e); } }
      Object.defineProperty(String.prototype, "localeCompare", { get() { log("getter"); return () => 42; }, configurable: true });
      log("a".localeCompare("b"));`,
  },
  {
    name: "class fields and static blocks: evaluation order, this, super, computed keys and private statics",
    source: `
      const order = [];
      const key = (k) => { order.push("key " + k); return k; };
      class Base { static sb = (order.push("Base.sb"), "sb"); get g() { order.push("get g"); return this.v > 1 ? "big" : "small"; } }
      class A extends Base {
        [key("a")] = (order.push("field a"), this.constructor.name);
        v = this.a === "A" ? 2 : 0;
        arrow = () => this.v === 2 && super.g;
        static [key("s")] = (order.push("static s"), this.name);
        static #p = 1;
        static {
          order.push("block 1 " + (this.s === "A") + " " + (A.#p === 1 ? "p" : "-"));
          var inBlock = this.#p + 1; let l = inBlock > 1 ? "gt" : "le";
          if (super.constructor === Function.prototype.constructor) order.push("super ok");
          order.push(l);
        }
        static q = this.s + "!";
        static { try { throw new Error("in block"); } catch (e) { order.push(e.message); } finally { order.push("finally"); } }
        static count(o) { return #p in o ? A.#p : -1; }
      }
      const a = new A();
      log(order, a.a, a.v, a.arrow(), A.q, A.count(A), A.count({}), typeof inBlock);
      const C = class Named { static self = Named; static { this.seen = Named === this; } x = Named.name; };
      log(C.self === C, C.seen, new C().x);`,
  },
  {
    name: "getters and setters with side effects in comparisons, updates and switches",
    source: `
      const trace = [];
      const o = { _x: 1, get x() { trace.push("get x " + this._x); return this._x; }, set x(v) { trace.push("set x " + v); this._x = v; } };
      const p = Object.create({ get y() { trace.push("get y"); return 2; } });
      log(o.x === 1, o.x < p.y, p.y > o.x, (o.x += 1) > 1, o.x++ < 3, ++o.x >= 4, (o.x = 0) == false, o.x !== o.x);
      switch (o.x) { case p.y: log("y"); break; case (o.x = 5, 0): log("zero"); break; default: log("default"); }
      const q = { get s() { trace.push("get s"); return "abc"; } };
      log(q.s.startsWith("a"), q.s.includes(q.s), q.s.indexOf("c") > 1, q.s.localeCompare(q.s) === 0);
      class K { get #g() { trace.push("#g"); return 3; } test() { return this.#g === 3 && this.#g > 2; } }
      log(new K().test(), trace);`,
  },
  {
    name: "optional chaining and nullish and logical assignment in conditions",
    source: `
      const seen = [];
      const o = { a: null, n: 0, b: { c: () => true, d: undefined }, get g() { seen.push("g"); return this.n; } };
      if (o.a ??= 3) seen.push("assigned " + o.a);
      if (o.b?.d ?? true) seen.push("nullish default");
      while ((o.n ||= 1) < 4) o.n++;
      for (let i = 0; (o.x ??= [])?.length < 2; i++) o.x.push(i);
      if (o?.b?.c?.() === true && !o.missing?.deep.deeper) seen.push("chain");
      const r = o.z?.w ? "w" : o.b?.c ? "c" : "none";
      do { o.k &&= o.k - 1; } while (o.k ??= 2, o.k > 0 && o.k !== 1);
      log(seen, o.a, o.n, o.x, r, o.k, (o.g ?? 9) === 4, o?.g >= 4, null?.x === undefined, (o.q ||= o.g) === 4);`,
  },
  {
    name: "labeled blocks: break out of blocks, ifs, switch cases and try/finally",
    source: `
      const out = [];
      function f(x) {
        outer: {
          inner: { if (x === 1) break inner; if (x === 2) break outer; out.push("inner end " + x); }
          out.push("after inner " + x);
          check: if (x > 2) { if (x === 3) break check; out.push("x > 3"); } else out.push("else " + x);
        }
        sw: switch (x) { case 1: block: { if (x) break block; out.push("never"); } out.push("case 1 after block"); break sw; default: out.push("default"); }
        tr: try { if (x === 2) break tr; out.push("try " + x); } finally { out.push("finally " + x); }
        a: b: c: out.push("three labels " + x);
        loop: for (const y of [1, 2]) { blk: { if (y === 1) break blk; continue loop; } out.push("y " + y); }
        return x;
      }
      log([1, 2, 3, 4].map(f), out);`,
  },
  {
    name: "generators inside switch: yield in discriminants, case tests and bodies; return and throw mid-switch",
    source: `
      function* g(x) {
        switch (yield "disc") {
          case (yield "test 1"): yield "body 1";
          case 2: { const r = yield "body 2"; if (r) return "returned " + r; }
          default: try { yield "in try"; } finally { yield "finally"; }
        }
        switch (x) { case 1: function* inner() { yield "inner"; } yield* inner(); break; }
        return "end";
      }
      const run = (inputs, action) => { const it = g(1), got = []; let step = it.next();
        for (const input of inputs) { if (step.done) break; got.push(step.value); step = it.next(input); }
        if (!step.done && action) { try { step = it[action](action + "!"); } catch (e) { got.push("threw " + e); } }
        got.push(step.value, step.done); return got; };
      log(run([1, 1, 0, 0, 0, 0, 0]), run([2, 0, "r"]), run([5, 0, 0], "return"), run([5, 0], "throw"), run([1, 1], "throw"));`,
  },
  {
    name: "arguments aliasing in sloppy mode: writes, deletes, defineProperty, length and callee",
    shapes: SLOPPY,
    source: `
      function f(a, b) {
        arguments[0] = a === 1 ? 10 : 20;
        const first = a;
        delete arguments[1]; b = "b2";
        const afterDelete = arguments[1];
        arguments.length = 5;
        Object.defineProperty(arguments, "0", { value: 99, writable: false });
        a = 7;
        return [first, a, arguments[0], afterDelete, arguments.length, arguments.callee === f, a === arguments[0] ? "aliased" : "unaliased"];
      }
      function d(a = 1) { arguments[0] = 5; return a === 5 ? "aliased" : "unaliased"; }
      function r(a, ...rest) { arguments[0] = 5; return a; }
      function s(a) { a = 3; return arguments[0] === 3 ? (arguments[0] > 2 ? "mapped" : "no") : "unmapped"; }
      log(f(1, 2), f(2), d(2), r(1), s(1), s());`,
  },
  {
    name: "eval and new Function inside instrumented code: scopes, var leaks, completion values",
    shapes: SLOPPY,
    source: `
      var g = "global";
      function f(x) {
        var local = x > 1 ? "big" : "small";
        const direct = eval("if (x > 1) { local + '!'; } else { 'else'; }");
        eval("var leaked = local === 'big' ? 1 : 2; function declared() { return leaked; }");
        const indirect = (0, eval)("typeof local + ' ' + typeof g");
        const made = new Function("a", "b", "if (a === b) return 'same ' + typeof x; return typeof g;");
        switch (x) { case 2: return [direct, leaked, declared(), indirect, made(1, 1), made(1, 2), eval("switch (x) { case 2: 'two'; }")]; }
        return [direct, leaked, indirect, eval("for (var i = 0; i < 2; i++) i;"), eval("do { 'loop'; } while (false)")];
      }
      log(f(1), f(2), typeof leaked, eval("x = 1; if (x) { 'yes' }"), eval("try { 't' } finally { 'f' }"));`,
  },
  {
    name: "using declarations (explicit resource management) dispose in order, also on exceptions",
    shapes: ["strict", "module"],
    presets: [() => ({ plugins: [require.resolve("@babel/plugin-transform-explicit-resource-management")] })],
    source: `
      const disposed = [];
      const res = (name) => ({ name, [Symbol.dispose ?? Symbol.for("Symbol.dispose")]() { disposed.push(name); } });
      function f(x) {
        using a = res("a");
        if (x > 1) { using b = res("b"); if (x > 2) throw new Error("thrown " + x); disposed.push("after b"); }
        for (using c of [res("c1"), res("c2")]) { if (c.name === "c2") break; }
        using n = null;
        return a.name + x;
      }
      log(f(1), f(2), disposed.splice(0));
      try { f(3); } catch (e) { log(e.message, disposed); }`,
  },
  {
    name: "TypeScript: enums, parameter properties, namespaces, non-null and casts",
    filename: "snippet.ts",
    shapes: ["module"],
    presets: [TYPESCRIPT],
    source: `
      enum Color { Red, Green = Red + 2, Blue }
      namespace NS { export const inner = 1; export function f() { return inner + 1; } }
      class Box<T> { constructor(public value: T, private readonly other?: number) {} get(): T { return this.value!; } }
      declare const declared: number;
      const box = new Box<string>("v"); const cast = <unknown>box as Box<string>;
      function over(a: string): string; function over(a: number): number; function over(a: any) { return a ?? "none"; }
      log(Color.Blue, Color[2], NS.f(), box.get(), cast.value, over(1), typeof declared === "undefined" ? "no value" : "value", (box?.value as string)!.length);`,
  },
  {
    name: "JSX through the React preset",
    filename: "snippet.jsx",
    presets: [REACT],
    source: `
      const React = { createElement: (type, props, ...children) => ({ type: typeof type === "function" ? type.name : type, props, children }) };
      function Item({ label }) { return <li className={label ? "on" : "off"}>{label ?? "none"}</li>; }
      const items = ["a", null].map((label, i) => <Item key={i} label={label} />);
      log(<ul>{items}{items.length > 1 && <b>many</b>}</ul>);`,
  },
];

describeDifferentialCases(CASES, (name) =>
  /^(comparison|switch|method comparison|traced string methods on non-strings|optional calls of traced|BigInt with)/.test(name),
);

test("a called chain after an optional link counts the link's continuation exactly when it goes on", async () => {
  const source = `const o = { b: { c() { return this === o.b; } } };
module.exports = (x) => x?.b.c();
log(module.exports(o), module.exports(null));`;
  const compiled = compileSnippet(source, "sloppy", { plugin: { pruneCounters: false } });
  const metadata = compiled.metadata!;
  const continuation = metadata.blocks.find((block) => block.kind === "optional-continuation")!;
  expect(continuation.range).toEqual({ start: { line: 2, column: 25 }, end: { line: 2, column: 32 } });
  const { log, context } = await runInRealm(compiled.code);
  expect(log).toEqual(["true undefined"]);
  const counters = realmCounters(context, metadata);
  counters.fill(0);
  context.module.exports(null);
  expect(counters[continuation.counter]).toBe(0);
  context.module.exports({ b: { c: () => 1 } });
  expect(counters[continuation.counter]).toBe(1);
  // In the arguments of the call, where V8's "is not a function" message does not print it:
  // a literal [] while the array iterator is the built-in one, else the file's own iterable.
  expect(compiled.code).toMatch(new RegExp(String.raw`(\$spreadsAsBuiltIn\(\) \? x\?\.b\.c\(\.\.\.\((__cov_kcov\$[0-9a-f]{8})\[\d+\] = 1, \[\]\)\) : ` +
    String.raw`x\?\.b\.c\(\.\.\.\(\2\[\d+\] = 1, \2\$none\(\)\)\))`));
});

describe("a script's completion value (what eval, vm.runInContext and node -p give back) is the original's", () => {
  // Counter statements have a value (`C[i] = 1` is 1): one that ran after the script's last
  // value became its value. Each script below changed under some option set before.
  const SCRIPTS = [
    '"x"; if (false) {}',
    "1; if (true) {}",
    '"use strict"; function g() { return 1; }',
    "5; do { } while (false)",
    '"v"; var i = 0; while (i < 2) { if (i === 1) { i++; break; } i++; }',
    '"s"; switch (1) { case 1: { } }',
    '"t"; try { } catch (e) { }',
    '"l"; lbl: { if (true) break lbl; }',
    '"f"; for (var j = 0; j < 2; j++) { if (j) continue; }',
    '"c"; class K { static { if (true) {} } }',
    "var k = 3; k > 1 ? 'big' : 'small'",
    "var o = { a: 1 }; o.a && 'and'; if (o.a) { 'in if'; }",
    "for (var n = 0; n < 3; n++) { if (n === 2) { 'last'; } else { } }",
    // A break or continue skips the value after it: the counter before it was the value.
    '"b"; for (var i = 0; i < 2; i++) { if (i === 1) continue; "body"; }',
    '"b"; while (true) { if (1) break; "body"; }',
    '"b"; do { if (true) break; "body"; } while (false)',
    '"b"; for (var k in { x: 1 }) { if (k) { continue; } "body"; }',
    '"b"; lbl: { if (true) break lbl; "body"; }',
    '"b"; lbl: { { if (true) break lbl; } "body"; }',
    '"b"; lbl: { break lbl; "body"; }',
    '"b"; switch (1) { case 1: if (true) break; "body"; }',
    '"b"; for (var i = 0; i < 2; i++) { try { if (i) continue; } finally { } "body"; }',
    '"b"; outer: for (var i = 0; i < 2; i++) { for (;;) { if (i) continue outer; break; } "body"; }',
    '"b"; for (var i = 0; i < 1; i++) { inner: { if (true) break inner; "body"; } }',
    '"b"; for (var i = 0; i < 2; i++) { if (i === 0) { "z"; } else continue; "body"; }',
  ];
  const completion = (code: string) => {
    try {
      return { value: vm.runInContext(code, vm.createContext({})) as unknown };
    } catch (error) {
      return { threw: String(error) };
    }
  };
  test.each(SCRIPTS)("%s", (source) => {
    for (const shape of ["sloppy", "strict"] as Shape[]) {
      const expected = completion(compileSnippet(source, shape).code);
      for (const variant of VARIANTS) {
        const actual = completion(compileSnippet(source, shape, { plugin: variant.plugin }).code);
        expect({ shape, variant: variant.name, ...actual }).toEqual({ shape, variant: variant.name, ...expected });
      }
    }
  });
});
