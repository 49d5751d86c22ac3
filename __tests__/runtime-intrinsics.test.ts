// The runtime shares its realm with the program under test, and a program may replace
// built-ins after the runtime loaded (runtime/intrinsics.ts). The registration of an
// instrumented file, the kcov calls, the flushes into the area and its file, symbolize and
// the comparison recorders must then give exactly what they give in an untouched realm,
// and never call the program's replacements.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, instrument } from "./helpers/instrument";
import { compileRuntime } from "./runtime-helpers";

/** Blocks that run, blocks that share counters (joins), a switch; and cold functions, so that a flush skips idle words. */
const TARGET = `
function work(x, s) {
  let total = 0;
  for (let i = 0; i < 3; i++) {
    if ((x + i) % 3 === 0) total += i; else if ((x + i) % 5 === 0) total -= 1; else total ^= i;
    switch ((x * 7 + i) % 4) { case 0: total++; break; case 1: total--; break; default: total += 3; }
  }
  const f = x & 1 ? () => 1 : () => 2;
  return total + f() + (s === "abc" ? 1 : s.startsWith("ab") ? 2 : 0) + (x > 5n ? 1 : 0);
}
${Array.from({ length: 12 }, (_, k) => `function cold${k}(x) { if (x) return ${k}; return -${k}; }`).join("\n")}
module.exports = { work };
`;

/**
 * Built-ins the runtime might be tempted to call, as [name, holder expression, key
 * expression]. Replaced before the instrumented files load, except those of LATER.
 */
const REPLACED: [string, string, string][] = [
  ["Atomics.load", "Atomics", '"load"'],
  ["Atomics.store", "Atomics", '"store"'],
  ["Math.min", "Math", '"min"'],
  ["Math.max", "Math", '"max"'],
  ["Math.floor", "Math", '"floor"'],
  ...["push", "every", "some", "filter", "map", "forEach", "sort", "slice", "fill", "indexOf", "reduce", "includes"]
    .map((key): [string, string, string] => [`Array.prototype.${key}`, "Array.prototype", `"${key}"`]),
  ["Array.prototype[Symbol.iterator]", "Array.prototype", "Symbol.iterator"],
  ["%ArrayIteratorPrototype%.next", "Object.getPrototypeOf([][Symbol.iterator]())", '"next"'],
  ["Array.isArray", "Array", '"isArray"'],
  ...["fill", "slice", "set", "subarray", "copyWithin", "some", "every"]
    .map((key): [string, string, string] => [`TypedArray.prototype.${key}`, "Object.getPrototypeOf(Uint8Array.prototype)", `"${key}"`]),
  ["TypedArray.prototype[Symbol.iterator]", "Object.getPrototypeOf(Uint8Array.prototype)", "Symbol.iterator"],
  ...["keys", "freeze", "entries", "fromEntries", "assign", "getPrototypeOf", "getOwnPropertyDescriptor"]
    .map((key): [string, string, string] => [`Object.${key}`, "Object", `"${key}"`]),
  ["Number", "globalThis", '"Number"'],
  ["Number.isInteger", "Number", '"isInteger"'],
  ["Number.isSafeInteger", "Number", '"isSafeInteger"'],
  ["Number.isNaN", "Number", '"isNaN"'],
  ["BigInt", "globalThis", '"BigInt"'],
  ["BigInt.asUintN", "BigInt", '"asUintN"'],
  ["parseInt", "globalThis", '"parseInt"'],
  ["String.prototype.slice", "String.prototype", '"slice"'],
  ["String.prototype.charCodeAt", "String.prototype", '"charCodeAt"'],
  ["RegExp.prototype.exec", "RegExp.prototype", '"exec"'],
  ["RegExp.prototype.test", "RegExp.prototype", '"test"'],
  ["Map.prototype.get", "Map.prototype", '"get"'],
  ["Map.prototype.set", "Map.prototype", '"set"'],
  ["WeakMap.prototype.get", "WeakMap.prototype", '"get"'],
  ["WeakMap.prototype.set", "WeakMap.prototype", '"set"'],
  ["ArrayBuffer.isView", "ArrayBuffer", '"isView"'],
  ["Function.prototype.call", "Function.prototype", '"call"'],
  ["Function.prototype.apply", "Function.prototype", '"apply"'],
  ["JSON.parse", "JSON", '"parse"'],
  ["JSON.stringify", "JSON", '"stringify"'],
  ...["Uint8Array", "Uint32Array", "Float64Array", "BigUint64Array", "SharedArrayBuffer", "Map", "WeakMap"]
    .map((key): [string, string, string] => [key, "globalThis", `"${key}"`]),
  ...["openSync", "readSync", "writeSync", "closeSync", "ftruncateSync", "fchmodSync"]
    .map((key): [string, string, string] => [`fs.${key}`, 'require("node:fs")', `"${key}"`]),
];

/**
 * Replaced later: the typed arrays once the instrumented files have made their counters
 * (the plugin's prelude makes them with the realm's constructors, and runs uncounted
 * without them: hostile-globals.test.ts), node:fs once the runtime has loaded it, at the
 * first device with a file (it loads no fs before, so it keeps the functions it found then).
 */
const LATER: Record<string, "loaded" | "fs"> = {
  Uint8Array: "loaded", Float64Array: "loaded",
  ...Object.fromEntries(REPLACED.filter(([name]) => name.startsWith("fs.")).map(([name]) => [name, "fs"])),
};

let runtimePath: string;
let dir: string;
beforeAll(() => {
  runtimePath = compileRuntime();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcov-intrinsics-"));
});
afterAll(() => {
  fs.rmSync(path.dirname(runtimePath), { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * The program, in a child process: it loads the runtime, then (with `replace`) swaps every
 * built-in of REPLACED for one that throws ("throw") or counts its calls and does what the
 * original does ("count"). Only then do its instrumented files load, and a TRACE_PC device
 * with a file, then a TRACE_CMP device with a file, run and flush them. Prints what the
 * devices gave (read with the originals, after they are back) and the replacements' calls.
 */
function programSource(replace: "none" | "throw" | "count"): string {
  const filename = (mode: string) => path.join(REPO_ROOT, `intrinsics/${mode}.js`);
  const files = {
    hit: instrument(TARGET, filename("hit"), {}, { sourceType: "script" }).code,
    count: instrument(TARGET, filename("count"), { counterMode: "count" }, { sourceType: "script" }).code,
    cmp: instrument(TARGET, filename("cmp"), { traceCmp: true }, { sourceType: "script" }).code,
  };
  const replaced = REPLACED.map(([name, holder, key]) => `[${JSON.stringify(name)}, ${holder}, ${key}, ${JSON.stringify(LATER[name] ?? "start")}]`)
    .join(",\n      ");
  return `
    "use strict";
    const runtime = require(${JSON.stringify(runtimePath)});
    const fs = require("node:fs");
    const files = ${JSON.stringify(files)};
    const area = ${JSON.stringify(path.join(dir, `area-${replace}`))};
    const { apply, construct, defineProperty, getOwnPropertyDescriptor } = Reflect;
    const stringify = JSON.stringify, ProxyOf = Proxy, ErrorOf = Error, FunctionOf = Function, ArrayFrom = Array.from, readFileSync = fs.readFileSync;
    const U32 = Uint32Array, F64 = Float64Array;
    const replaced = [
      ${replaced}
    ];
    const calls = {};
    const originals = [];
    function replaceAll(when) {
      if (${JSON.stringify(replace)} === "none") return;
      for (let i = 0; i < replaced.length; i++) {
        if (replaced[i][3] !== when) continue;
        const name = replaced[i][0], holder = replaced[i][1], key = replaced[i][2];
        const original = holder[key];
        originals[i] = getOwnPropertyDescriptor(holder, key);
        calls[name] = 0;
        const replacement = ${JSON.stringify(replace)} === "throw"
          ? function () { throw new ErrorOf("the program's " + name); }
          : new ProxyOf(original, {
            apply(target, self, args) { calls[name]++; return apply(target, self, args); },
            construct(target, args, newTarget) { calls[name]++; return construct(target, args, newTarget); },
          });
        defineProperty(holder, key, { value: replacement, writable: true, configurable: true, enumerable: originals[i].enumerable });
      }
    }
    function restoreAll() {
      for (let i = replaced.length - 1; i >= 0; i--) if (originals[i] !== undefined) defineProperty(replaced[i][1], replaced[i][2], originals[i]);
    }
    function load(code) {
      const module = { exports: {} };
      new FunctionOf("module", "exports", "require", code)(module, module.exports, require);
      return module.exports;
    }
    const out = {};
    let words, indices, strings, pcs, symbolized, blocks;
    replaceAll("start");
    try {
      const hit = load(files.hit), count = load(files.count), cmpFile = load(files.cmp);
      replaceAll("loaded");
      const kcov = new runtime.Kcov({ file: area });
      kcov.initTrace(64);
      replaceAll("fs");
      const view = kcov.mmap();
      kcov.enable(runtime.KCOV_TRACE_PC);
      hit.work(4, "abc"); count.work(7, "abd");
      const first = kcov.collect();
      hit.work(9, "xy");
      const second = kcov.collect();
      words = [first, second];
      for (let i = 0; i < 1 + first + second; i++) words[words.length] = String(view[i]);
      view[0] = 0n;
      // Overflow: a small area, then the pending blocks drain.
      const small = new runtime.Kcov();
      kcov.disable();
      small.initTrace(4);
      const smallView = small.mmap();
      small.enable(runtime.KCOV_TRACE_PC);
      hit.work(5, "ab"); count.work(5, "ab");
      small.collect();
      for (let i = 0; i < 4; i++) words[words.length] = String(smallView[i]);
      const out1 = new U32(256);
      const countsOut = { counter: new U32(small.countersRegistered), value: new F64(small.countersRegistered), length: 0 };
      indices = [small.collectIndices(out1, countsOut), small.leftover];
      for (let i = 0; i < indices[0]; i++) indices[indices.length] = out1[i];
      for (let i = 0; i < countsOut.length; i++) indices[indices.length] = countsOut.counter[i] + ":" + countsOut.value[i];
      hit.work(6, "ab"); count.work(8, "ab");
      const own = small.collectOwnIndices(out1, countsOut);
      indices[indices.length] = "own " + own + " complete " + small.indicesComplete;
      const all = small.indicesComplete ? own : small.completeIndices(out1);
      for (let i = 0; i < all; i++) indices[indices.length] = out1[i];
      hit.work(2, "q");
      pcs = [String(runtime.blockAtIndex(3).pc), runtime.symbolize(runtime.blockAtIndex(3).pc).kind, runtime.executedBlocks().length];
      blocks = 0;
      for (const block of runtime.blocks()) blocks++;
      small.close();
      kcov.enable(runtime.KCOV_TRACE_PC);
      kcov.collect();
      kcov.close();
      // Comparisons, into an area with a file.
      const cmp = new runtime.Kcov({ file: area + ".cmp" });
      cmp.initTrace(64);
      const cmpView = cmp.mmap();
      const stringView = cmp.mmapStrings();
      cmp.enable(runtime.KCOV_TRACE_CMP);
      cmpFile.work(3, "abd");
      strings = [cmp.collect(), cmp.droppedComparisons];
      for (let i = 0; i < 1 + 4 * 12; i++) strings[strings.length] = String(cmpView[i]);
      strings[strings.length] = stringView[0];
      cmp.close();
      symbolized = runtime.formatSymbolized(runtime.symbolize(cmpView[4]) ?? runtime.blockAtIndex(0));
    } catch (error) {
      out.error = String(error && error.stack);
    }
    restoreAll();
    const bytes = (file) => fs.existsSync(file) ? ArrayFrom(readFileSync(file)).join(",") : "missing";
    Object.assign(out, { words, indices, strings, pcs, symbolized, blocks, area: bytes(area), cmpArea: bytes(area + ".cmp"), calls });
    process.stdout.write(stringify(out));
  `;
}

function runProgram(replace: "none" | "throw" | "count"): Record<string, unknown> {
  const script = path.join(dir, `program-${replace}.js`);
  fs.writeFileSync(script, programSource(replace));
  const run = spawnSync(process.execPath, [script], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe("a program that replaces built-ins after the runtime loaded, then loads instrumented files and flushes them", () => {
  let expected: Record<string, unknown>;
  beforeAll(() => {
    expected = runProgram("none");
  });

  test("the untouched run works (the reference)", () => {
    expect(expected.error).toBeUndefined();
    expect((expected.words as unknown[]).length).toBeGreaterThan(6);
    expect((expected.strings as number[])[0]).toBeGreaterThan(0);
    expect(expected.blocks).toBeGreaterThan(30);
    if (process.env.SHOW) console.log(JSON.stringify(expected));
  });

  test("replacements that throw: registration, collect, the indices, symbolize, the comparison areas and their files are unchanged", () => {
    const { calls: _calls, ...got } = runProgram("throw");
    const { calls: _expectedCalls, ...want } = expected;
    expect(got).toEqual(want);
  });

  test("replacements that count their calls: the runtime never calls one", () => {
    const got = runProgram("count");
    const { calls, ...rest } = got;
    const { calls: _expectedCalls, ...want } = expected;
    expect(rest).toEqual(want);
    const called = Object.entries(calls as Record<string, number>).filter(([, n]) => n !== 0);
    expect(called).toEqual([]);
  });
});
