// Start-up cost of `jskcov run` with a warm transform cache, side by side with plain node
// in one run (interleaved, so both see the same machine load):
//   plain node            node main.js
//   preloaded process     node main.js with jskcov's NODE_OPTIONS and JSKCOV_RUN_CONFIG:
//                         what every child process or worker of a covered program pays
//   jskcov run            the whole command: the CLI, the program, the merge at exit
// The script loads 3 small instrumented files; the cache is warmed before measuring, so
// Babel is never loaded. Wall-clock medians; run after `npm run build`:
//   node bench/startup.mjs [--runs N]

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const JSKCOV = path.join(REPO, "dist/cli/jskcov.js");
const PRELOAD = path.join(REPO, "dist/cli/preload.js");
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg === -1 ? 15 : Number(process.argv[runsArg + 1]);

const project = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-startup-"));
fs.mkdirSync(path.join(project, "src"));
for (const name of ["a", "b", "c"]) {
  fs.writeFileSync(path.join(project, "src", `${name}.js`), `exports.${name} = (x) => (x > 1 ? "${name}-big" : "${name}-small");\n`);
}
fs.writeFileSync(path.join(project, "src/main.js"), 'const parts = ["a", "b", "c"].map((n) => require(`./${n}`)[n](2));\nconsole.log(parts.join(" "));\n');
const cacheDir = path.join(project, "cache");
const out = path.join(project, "kcov.out");
const env = { ...process.env, NODE_OPTIONS: "" };
const config = { root: project, filter: ["src/**"], pcSeed: 0, pcSeedByFile: {}, counterMode: "hit", out, cacheDir, progress: false };

const variants = {
  "plain node": () => [process.execPath, ["src/main.js"], env],
  "preloaded process": () => [
    process.execPath,
    ["src/main.js"],
    { ...env, NODE_OPTIONS: `--require "${PRELOAD}" --enable-source-maps`, JSKCOV_RUN_CONFIG: JSON.stringify(config) },
  ],
  "jskcov run": () => [process.execPath, [JSKCOV, "run", "--quiet", "--filter", "src/**", "--cache-dir", cacheDir, "--out", out, "--", "src/main.js"], env],
};

function runOnce(name) {
  const [command, args, variantEnv] = variants[name]();
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: project, env: variantEnv, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 || result.stdout !== "a-big b-big c-big\n") {
    throw new Error(`${name} failed (status ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return ms;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  // Warm the transform cache (and the OS file cache) once per variant.
  for (const name of Object.keys(variants)) runOnce(name);
  const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let run = 0; run < RUNS; run++) for (const name of Object.keys(variants)) times[name].push(runOnce(name));
  const plain = median(times["plain node"]);
  console.log(`start-up, warm transform cache: median wall time of ${RUNS} interleaved runs (${os.cpus()[0].model}, Node ${process.version})`);
  console.log("| variant | median | over plain node | ratio |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [name, values] of Object.entries(times)) {
    const value = median(values);
    console.log(`| ${name} | ${value.toFixed(0)} ms | +${(value - plain).toFixed(0)} ms | ${(value / plain).toFixed(2)}x |`);
  }
} finally {
  fs.rmSync(project, { recursive: true, force: true });
}
