// Conformance in less-trodden corners: each snippet runs compiled without the plugin and with
// it under every option set, as a sloppy script, a strict script and an ES module compiled to
// CommonJS, each in a fresh realm; what it logs and throws must be the same.
import { typeScriptPresetOptions } from "../cli/babel";
import { version as babelVersion, type PluginItem } from "@babel/core";
import { describeDifferentialCases, type DifferentialCase, type Shape } from "./helpers/realm-differential";

const SLOPPY: Shape[] = ["sloppy"];
const TYPESCRIPT: PluginItem = [require.resolve("@babel/preset-typescript"), typeScriptPresetOptions(babelVersion, {})];

const CASES: DifferentialCase[] = [
  {
    name: "for await over sync and async iterables, with break, return and throw",
    source: `
      async function* gen() { try { yield 1; yield 2; yield 3; } finally { log("gen finally"); } }
      const sync = { [Symbol.iterator]() { let i = 0; return { next: () => ({ value: Promise.resolve(i++), done: i > 3 }), return() { log("sync return"); return {}; } }; } };
      (async () => {
        for await (const x of gen()) { if (x === 2) break; log("a", x); }
        for await (const x of sync) { if (x > 1) break; log("s", x); }
        try { for await (const x of gen()) { if (x === 1) throw new Error("boom"); } } catch (e) { log(e); }
        const r = await (async () => { for await (const x of gen()) { if (x === 3) return x * 2; } })();
        log("r", r);
        outer: for await (const x of gen()) { for (const y of [1, 2]) { if (y === 2) continue outer; log(x, y); } }
      })().catch((e) => log("rejected", e));`,
  },
  {
    name: "destructuring defaults with side effects run only when the value is undefined, in order",
    source: `
      let n = 0; const side = (v) => { log("side", v, ++n); return v; };
      const { a = side("a"), b: { c = side("c") } = side({}), ...rest } = { a: undefined, d: 4 };
      const [x = side("x"), [y = side("y")] = side([]), , z = side("z")] = [null, undefined, 0, 3];
      function f({ p = side("p") } = side({ p: undefined }), [q = side("q")] = []) { return [p, q]; }
      log(a, c, rest, x, y, z, f(), f({ p: 1 }, [2]));
      let u, v; ({ u = side("u"), v = u } = {}); [u = side("u2")] = [u]; log(u, v);
      for (const { k = side("k") } of [{}, { k: 1 }]) log(k);
      try { const { t = (() => { throw new Error("t"); })() } = {}; } catch (e) { log(e); }`,
  },
  {
    name: "super in object methods, getters, setters and nested arrows; Object.setPrototypeOf afterwards",
    source: `
      const base = { greet() { return "base " + (this === obj); }, get g() { return "bg"; }, set s(v) { log("base set", v, this === obj); }, x: 10 };
      const obj = {
        __proto__: base,
        greet() { const f = () => super.greet(); return "obj " + f() + " " + (super.x > 5 ? "big" : "small"); },
        get g() { return super.g + "!"; },
        set s(v) { super.s = v * 2; },
        ["comp" + "uted"]() { return super.x === 10 ? super["greet"]?.() : null; },
        async am() { await null; return super.greet(); },
      };
      obj.s = 3; log(obj.greet(), obj.g, obj.computed());
      obj.am().then((v) => log("am", v));
      Object.setPrototypeOf(obj, { greet() { return "other"; }, x: 1, get g() { return "og"; } });
      log(obj.greet(), obj.g, obj.computed());`,
  },
  {
    name: "getters and Proxies in switch discriminants and case tests, with fallthrough",
    source: `
      let reads = 0; const o = { get v() { reads++; log("get v", reads); return reads % 3; } };
      const p = new Proxy({ k: "b" }, { get(t, key) { log("trap", String(key)); return t[key]; } });
      for (let i = 0; i < 4; i++) {
        switch (o.v) { case 0: log("zero"); case 1: log("one"); break; default: log("default"); case 2: log("two"); }
      }
      switch (p.k) { case (log("case a"), "a"): log("A"); case (log("case b"), "b"): log("B"); case (log("case c"), "c"): log("C"); break; }
      switch (true) { case o.v > 0: log("pos"); break; case o.v === 0: log("z"); }
      function sw(x) { switch (x) { case 1: return "r1"; case 2: { if (x) break; } case 3: return "r3"; } return "end"; }
      log(sw(1), sw(2), sw(3), sw(4), reads);`,
  },
  {
    name: "new.target in constructors, Reflect.construct, arrows, eval, class fields and super calls",
    source: `
      function F() { const a = () => new.target; log(new.target === F, a() === new.target, typeof new.target); }
      F(); new F(); Reflect.construct(F, [], Array);
      class A { constructor() { log("A", new.target.name, new.target === B ? "B" : "A"); } field = (() => new.target)(); }
      class B extends A { constructor() { if (new.target === B) log("is B"); super(); log(this.field); } }
      new A(); new B(); Reflect.construct(B, [], Object);
      function G() { return eval("new.target") === G; } log(G(), new G() instanceof G);
      const o = { m() { return new.target; } }; log(o.m());`,
  },
  {
    name: "tagged templates: template object identity per site, raw strings, this of member tags, optional",
    source: `
      const seen = new Set(); function tag(strings, ...values) { seen.add(strings); return [strings.raw.join("|"), Object.isFrozen(strings), ...values, this === o]; }
      const o = { tag };
      for (let i = 0; i < 3; i++) { log(tag\`a\${i}b\\n\${i > 1 ? "x" : "y"}\`); log(o.tag\`m\${i}\`); }
      log(seen.size);
      const t = (s) => s; log(t\`\\unicode and \\xerror\`[0], t\`\\unicode\`.raw[0]);
      const f = () => tag; log(f()\`call \${1}\`, (0, o.tag)\`seq\`);
      log(String.raw\`\${1 === 1}\\t\${[1,2]}\`);`,
  },
  {
    name: "comma and sequence expressions in conditions, loops, returns and arrows",
    source: `
      let i = 0, log2 = [];
      if ((log("c1"), i++, i > 0)) log("then", i);
      while ((log2.push(i), i++ < 3)) {}
      for (let j = (log("init"), 0); (log("test", j), j < 2); j++, log("update", j)) {}
      const f = (a, b) => (a++, b++, a + b); log(f(1, 2), log2);
      const g = () => { return (i = 10), i > 5 ? (log("big"), "B") : "S"; }; log(g());
      do log("do", i--); while ((i > 8, i > 9));
      log((0, eval)("typeof this"), (1, 2, 3));
      const o = { m() { return this; } }; log((0, o.m)() === o, (o.m)() === o);`,
  },
  {
    name: "async arrows and generators in class fields and static fields, with this",
    source: `
      class C {
        name = "c";
        af = async () => { await null; return this.name + (this instanceof C); };
        static sf = async () => { await 0; return this === C; };
        static #p = async () => this.name;
        gen = function* () { yield this; };
        arrow = () => this?.name ?? "none";
        static test() { return C.#p(); }
      }
      const c = new C(); const { af, arrow } = c;
      af().then((v) => log("af", v)); C.sf().then((v) => log("sf", v)); C.test().then((v) => log("p", v));
      log(c.gen().next().value === c, arrow());`,
  },
  {
    name: "delete on optional chains, members, computed keys and non-references",
    source: `
      const o = { a: { b: 1, c: { d: 2 } }, k: "b" }, n = null; let calls = 0;
      log(delete o?.a.b, o.a, delete n?.a.b, delete o.x?.y, delete o?.a?.c.d, o.a, delete o?.[(calls++, "k")], calls, o);
      log(delete 1, delete (0, o.a), typeof o.a, delete o?.a);
      const frozen = Object.freeze({ x: 1 });
      try { log(delete frozen?.x); } catch (e) { log(e); }`,
  },
  {
    name: "delete of sloppy globals and frozen properties",
    shapes: SLOPPY,
    source: `
      var declared = 1; globalThis.implicit = 2; const frozen = Object.freeze({ x: 1 });
      log(delete declared, delete implicit, typeof implicit, delete frozen.x, delete frozen?.x, delete undeclaredThing);`,
  },
  {
    name: "hoisting: function declarations before use, var across blocks, let TDZ in switch and loops",
    source: `
      log(typeof hoisted, hoisted(), typeof v1, v1);
      function hoisted() { return "h"; }
      var v1 = 1;
      { var v2 = 2; } log(v2);
      switch (1) { case 0: let z = 1; case 1: try { log(z); } catch (e) { log(e.constructor.name); } }
      try { (() => { log(tdz); let tdz = 1; })(); } catch (e) { log(e.constructor.name); }
      const fns = []; for (let i = 0; i < 3; i++) fns.push(() => i); log(fns.map((f) => f()));
      const fns2 = []; for (var k = 0; k < 3; k++) fns2.push(() => k); log(fns2.map((f) => f()));
      try { class X extends (log("heritage"), Object) { static y = X.name; } log(X.y); } catch (e) { log(e); }`,
  },
  {
    name: "generators: return values, finally on return, throw into suspended try, yield precedence",
    source: `
      function* g() { try { const x = yield 1; log("got", x); const y = yield x > 1 ? "big" : "small"; return y; } catch (e) { log("caught", e); yield "after"; } finally { log("fin"); } }
      let it = g(); log(it.next(), it.next(2), it.next(3), it.next());
      it = g(); log(it.next(), it.throw("E"), it.next(), it.next());
      it = g(); log(it.next(), it.return(7), it.next());
      function* h() { const r = yield* g(); log("delegated", r); return r ?? "none"; }
      log([...h()]);
      const ao = { *[Symbol.iterator]() { yield* [1, 2]; } }; log([...ao]);`,
  },
  {
    name: "async functions: await order, rejected awaits, thenables and microtask interleaving",
    source: `
      const order = [];
      const thenable = { then(r) { order.push("then"); r(5); } };
      async function a() { order.push("a1"); const x = await thenable; order.push("a2 " + x); if (x > 3) { await null; order.push("a3"); } return x; }
      async function b() { order.push("b1"); try { await Promise.reject(new Error("rej")); } catch (e) { order.push("b " + e.message); } finally { order.push("bf"); } }
      a(); b(); order.push("sync");
      Promise.resolve().then(() => order.push("p1")).then(() => order.push("p2")).then(() => order.push("p3")).then(() => log(order));`,
  },
  {
    name: "labels on loops and blocks, continue in switch inside loops, break from try with finally",
    source: `
      const out = [];
      a: for (let i = 0; i < 3; i++) { b: for (let j = 0; j < 3; j++) { switch (j) { case 1: continue a; case 2: break b; } out.push(i + "" + j); } }
      c: { out.push("c"); if (out.length) break c; out.push("never"); }
      d: try { break d; } finally { out.push("fin"); }
      e: if (true) { out.push("e"); break e; }
      let k = 0; f: do { k++; if (k < 3) continue f; break f; } while (true);
      log(out, k);`,
  },
  {
    name: "directives: use strict in functions, non-directive strings, and functions with only directives",
    shapes: SLOPPY,
    source: `
      function s() { "use strict"; return this; }
      function t() { "not a directive"; "use strict"; return this === undefined; }
      function v() { "use strict" }
      const w = () => { "use strict"; return typeof this; };
      log(s(), t(), v(), w());
      function octal() { "\\x75se strict"; return this === undefined; } log(octal());`,
  },
  {
    name: "getters in comparisons and conditions are read exactly once",
    source: `
      let n = 0; const o = { get x() { n++; return n; }, get s() { n++; return "abc"; } };
      log(o.x === 1, o.x < 5, o.x !== o.x, n);
      log(o.s.startsWith("a"), o.s.includes("b"), o.s.indexOf("c") >= 0, n);
      if (o.x > 2 && o.x < 100) log("in", n);
      log(o.x == "8", o.x >= 9n, n);`,
  },
  {
    name: "class features: accessors, static inheritance, private methods, computed keys order, getters in extends",
    source: `
      const order = []; const key = (k) => (order.push(k), k);
      class A { static [key("s1")] = order.push("init s1"); [key("i1")] = order.push("init i1"); static { order.push("block"); } [key("m")]() { return "m"; } static get [key("g")]() { return "g"; } }
      new A(); log(order, A.g, new A().m());
      class B extends A { #v = 1; get v() { return this.#v; } set v(x) { this.#v = x > 0 ? x : -x; } static create() { return new this(); } #priv() { return #v in this; } check() { return this.#priv(); } }
      const b = B.create(); b.v = -5; log(b.v, b.check(), B.s1, Object.keys(b));
      log(typeof class {}, class { static n = this.name; }.n);`,
  },
  {
    name: "completion values of eval'd code with ifs, loops, switch and try",
    source: `
      log(eval("1; if (true) { 2; }"), eval("3; if (false) { 4; }"), eval("5; switch (1) { case 1: 6; }"), eval("7; try { 8; } finally { 9; }"));
      log(eval("10; for (var i = 0; i < 2; i++) { i; }"), eval("11; while (false) {}"), eval("12; do { 13; } while (false)"), eval("14; l: { 15; break l; }"));
      log(eval("if (true) 16; else 17;"), eval("var q = 1; q > 0 && 18"), eval("19; { }"), eval("20; try { throw 1 } catch (e) { }"));`,
  },
  {
    name: "arguments object: mapped and unmapped, length after defaults, callee in strict throws",
    source: `
      function f(a, b = 2) { a = 9; return [arguments[0], arguments.length, b]; }
      function g(a, ...r) { return [arguments.length, r.length]; }
      function h() { "use strict"; try { return arguments.callee; } catch (e) { return e.constructor.name; } }
      log(f(1), f(1, undefined), g(1, 2, 3), h(), (function () { return typeof arguments; })());
      const arrow = function () { return (() => arguments[0])(); }; log(arrow("outer"));`,
  },
  {
    name: "this in sloppy functions is the global object; primitives are boxed",
    shapes: SLOPPY,
    source: `
      function t() { return this === globalThis; } function typeOfThis() { return typeof this; }
      log(t(), typeOfThis.call(1), typeOfThis.call("s"), typeOfThis.call(null), t.call(undefined));
      var topVar = 5; log(globalThis.topVar, this === globalThis || typeof this);`,
  },
  {
    name: "optional chaining with calls in conditions and short-circuit of whole chains",
    source: `
      let calls = 0; const f = () => (calls++, null); const o = { g: () => ({ h: () => 1 }) };
      if (f()?.x.y.z()) log("never"); if (o.g?.().h?.() === 1) log("yes");
      log(f()?.[calls++], calls, o?.g().h(), o.nope?.().x, (o?.g)?.()?.h());
      while (f()?.a) {}
      log(calls, o?.g?.call(o)?.h?.call(null));`,
  },
  {
    name: "TypeScript: const enums, declare, abstract classes, overloads, satisfies, accessors keyword",
    filename: "snippet.ts",
    shapes: ["module"],
    presets: [TYPESCRIPT],
    source: `
      const enum Flag { A = 1, B = A << 1, C = A | B }
      enum Str { X = "x", Y = "y" }
      enum Mixed { P, Q = 5, R }
      declare const declared: number;
      abstract class Shape { abstract area(): number; describe(): string { return this.area() > 10 ? "big" : "small"; } }
      class Sq extends Shape { constructor(private readonly s: number, public label?: string) { super(); } area() { return this.s ** 2; } }
      function over(x: string): string; function over(x: number): number; function over(x: any) { return x; }
      namespace NS { export const v = 1; export namespace Inner { export function f() { return v + 1; } } }
      namespace NS { export const w = Inner.f(); }
      const cfg = { a: 1 } satisfies Record<string, number>;
      let maybe: string | undefined = undefined;
      log(Flag.C, Str.X, Mixed.R, Mixed[5], new Sq(4, "q").describe(), new Sq(2).label, over(3), NS.Inner.f(), NS.w, cfg.a, maybe!, <number>(1 as unknown));
      switch (Mixed.Q as Mixed) { case Mixed.P: log("P"); break; case Mixed.Q: log("Q"); }`,
  },
  {
    name: "TypeScript: legacy decorators on classes, methods and parameters-free properties",
    filename: "snippet.ts",
    shapes: ["sloppy", "strict"],
    presets: [TYPESCRIPT],
    plugins: [[require.resolve("@babel/plugin-proposal-decorators"), { version: "legacy" }]],
    source: `
      const order: string[] = [];
      function cls(name: string) { order.push("eval " + name); return (t: any) => { order.push("apply " + name); t.tagged = name; }; }
      function meth(target: any, key: string, desc: PropertyDescriptor) { order.push("meth " + key); const orig = desc.value; desc.value = function (this: any, ...a: any[]) { return "wrapped " + orig.apply(this, a); }; }
      @cls("outer") @cls("inner") class K { @meth hello(x: number) { return x > 1 ? "many" : "one"; } }
      log(order, (K as any).tagged, new K().hello(2));`,
  },
];

describeDifferentialCases(CASES);
