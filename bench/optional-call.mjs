// What counting an optional call without arguments costs (`f?.()`, `o?.m()`, `o.m?.()`),
// side by side in one process: the plugin's output (a literal [] while the array iterator
// is the built-in one, else the file's own empty iterable: README, "optional chains"),
// against each of its two branches alone and the uninstrumented loop.
//   npm run build && node bench/optional-call.mjs [--rounds 7] [--iterations 2000000]
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const rounds = option("--rounds", 7);
const iterations = option("--iterations", 2_000_000);

const SOURCE = `const o = { m() { return 1; } };
function f() { return 2; }
module.exports = function run(n) { let s = 0; for (let i = 0; i < n; i++) s += f?.() + o?.m() + o.m?.(); return s; };`;

// Timed in a child process: loading Babel makes V8 give up its fast path for spreading
// arrays (its array iterator protector), for every spread in the process.
if (args.includes("--measure")) {
  const sources = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  const load = (code) => {
    const module = { exports: {} };
    new Function("module", "exports", code)(module, module.exports);
    return module.exports;
  };
  const variants = Object.fromEntries(Object.entries(sources).map(([name, code]) => [name, load(code)]));
  const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(variants)) {
      const start = process.hrtime.bigint();
      run(iterations);
      times[name].push(Number(process.hrtime.bigint() - start) / iterations);
    }
  }
  const median = (list) => list.slice().sort((a, b) => a - b)[list.length >> 1];
  const base = median(times["array spread only"]);
  console.log(`ns per iteration (3 optional calls), median of ${rounds} rounds of ${iterations}; ratio to the array spread alone`);
  for (const [name, list] of Object.entries(times)) {
    console.log(`${name.padEnd(20)} ${median(list).toFixed(2).padStart(8)} ns  ${(median(list) / base).toFixed(2)}x`);
  }
} else {
  const babel = require("@babel/core");
  const kcov = require(path.join(repo, "dist/plugin/index.js"));
  const instrumented = babel.transformSync(SOURCE, {
    filename: path.join(repo, "bench/optional-call-input.js"), cwd: repo, babelrc: false, configFile: false,
    plugins: [[kcov, { instrumentationFilter: "**" }]],
  }).code;
  const BRANCH = /__cov_kcov\$[0-9a-f]{8}\$spreadsAsBuiltIn\(\) \? (.*?\[\]\)\)) : (.*?\$none\(\)\)\))/g;
  if ((instrumented.match(BRANCH) ?? []).length !== 3) throw new Error("the plugin's output for optional calls is not the expected branch");
  const sources = {
    "uninstrumented": SOURCE,
    "array spread only": instrumented.replace(BRANCH, "$1"),
    "plugin (branch)": instrumented,
    "own iterable only": instrumented.replace(BRANCH, "$2"),
  };
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--measure", ...args], { input: JSON.stringify(sources), stdio: ["pipe", "inherit", "inherit"] });
  process.exitCode = child.status ?? 1;
}
