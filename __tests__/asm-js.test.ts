// "use asm" functions are left uninstrumented, everything in them included: V8 validates
// an asm.js module against the asm.js grammar, and a counter anywhere inside makes it
// reject the module ("Invalid asm.js" on stderr) and run it as plain JavaScript. Each
// program runs in its own node with V8's %IsAsmWasmCode, which says whether the module
// was validated and compiled as asm.js.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { instrument } from "./helpers/instrument";

const MODULE_SOURCE = `
function outside(n) {
  return n > 10 ? "big" : "small";
}
function makeModule() {
  return function AsmModule(stdlib, foreign, heap) {
    "use asm";
    var imul = stdlib.Math.imul;
    function fib(n) {
      n = n | 0;
      var a = 0, b = 1, t = 0, i = 0;
      if ((n | 0) < 2) return n | 0;
      for (i = 1; (i | 0) < (n | 0); i = (i + 1) | 0) {
        t = (a + b) | 0;
        a = b;
        b = t;
      }
      return b | 0;
    }
    function pick(x) {
      x = x | 0;
      return ((x | 0) > 3 ? imul(x, 2) | 0 : (x + 1) | 0) | 0;
    }
    return { fib: fib, pick: pick };
  };
}
module.exports = { AsmModule: makeModule(), outside: outside };
`;

const DRIVER = `
const { AsmModule, outside } = require(process.argv[2]);
const m = AsmModule(globalThis, {}, new ArrayBuffer(0x10000));
console.log(JSON.stringify({ fib: m.fib(25), pick: [m.pick(2), m.pick(9)], outside: outside(11), asm: %IsAsmWasmCode(AsmModule) }));
`;

function runInNode(dir: string, name: string, code: string) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, code);
  const result = spawnSync(process.execPath, ["--allow-natives-syntax", path.join(dir, "driver.js"), file], { encoding: "utf8" });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

test("an asm.js module stays valid asm.js and computes the same; the code around it is still counted", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kcov-asm-"));
  try {
    fs.writeFileSync(path.join(dir, "driver.js"), DRIVER);
    const original = runInNode(dir, "original.js", MODULE_SOURCE);
    expect(original.status).toBe(0);
    expect(JSON.parse(original.stdout).asm).toBe(true); // the oracle: V8 validates the original

    const { code, metadata } = instrument(MODULE_SOURCE, "asm-module.js", { instrumentationFilter: "**" }, { sourceType: "script" });
    const instrumented = runInNode(dir, "instrumented.js", code);
    expect(instrumented.stderr).not.toMatch(/asm\.js/);
    expect(instrumented.stdout).toBe(original.stdout);

    // No block inside the module (lines 7 to 26); the functions around it keep theirs.
    const asmLines = { first: 7, last: 26 };
    const inside = metadata.blocks.filter((b) => b.range.start.line >= asmLines.first && b.range.start.line <= asmLines.last);
    expect(inside).toEqual([]);
    expect(metadata.blocks.map((b) => b.functionName)).toEqual(expect.arrayContaining(["outside", "makeModule"]));
    expect(metadata.blocks.filter((b) => b.functionName === "outside").map((b) => b.kind).sort())
      .toEqual(["conditional-alternate", "conditional-consequent", "function"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
