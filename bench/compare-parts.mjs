// What each part of comparison tracing costs on a workload (docs/compare-area.md,
// "Session 7"), and A/B rounds of two builds: fresh processes, alternated, main-thread CPU
// of the workload's smoke iteration, medians.
//
//   node bench/compare-parts.mjs --workloads esprima --modes hit,off,hooks,no-int,no-str,full --rounds 5
//   node bench/compare-parts.mjs --workloads esprima,babel-parser --modes full --dist-b ../main/dist --rounds 5
//
// Modes (each on the kcov cmp build, its device as bench/compare-device.cjs enables it for bench/variants.mjs,
// reset-when-full wrapper included):
//   hit     the kcov hit build (no traceCmp): the base the comparisons add to
//   off     traceCmp, no device enabled (each site: its hook call and one check)
//   hooks   a device enabled, every recorder replaced by a no-op: the hooks and their type checks
//   reset   as hooks, with the bench's reset-when-full wrapper still around each no-op (its own cost)
//   no-int  the integer recorders (recordInt32, recordSwitchInt32) no-ops
//   no-str  the string recorders (recordStrings, recordSwitch) no-ops
//   full    the device as it is
// --jazzer-sites: the traceCmp builds trace only the sites Jazzer.js's compareHooks hooks.
// With --dist-b every mode runs on both builds (A = --dist, default this checkout's dist/),
// A then B in odd rounds, B then A in even ones.

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { mainThreadCpuMs } from "./cpu-time.mjs";
import { packageFilePath } from "./corpus.mjs";
import { COMPARE_DEVICE, onJazzerSitesOnly, REPO_ROOT } from "./variants.mjs";
import { workloads } from "./workloads.mjs";

const require = createRequire(import.meta.url);
const { enableBenchCompareDevice, COMPARE_RECORDS_KEY } = require(COMPARE_DEVICE);
const { values } = parseArgs({
  options: {
    workloads: { type: "string", default: "esprima" }, modes: { type: "string", default: "hit,off,hooks,no-int,no-str,full" },
    rounds: { type: "string", default: "5" }, dist: { type: "string" }, "dist-b": { type: "string" },
    child: { type: "string" }, "jazzer-sites": { type: "boolean", default: false }, file: { type: "string" }, mode: { type: "string" },
  },
});
const MODES = ["hit", "off", "hooks", "reset", "no-int", "no-str", "full"];

async function child() {
  const workload = workloads.find((w) => w.name === values.child);
  const dist = resolve(values.dist);
  const mode = values.mode;
  let counted = () => 0;
  if (mode !== "hit" && mode !== "off") {
    // The device as the kcov cmp variants enable it, with this mode's part turned off.
    const noop = new Set(mode === "hooks" || mode === "reset" ? ["record", "recordInt32", "recordStrings", "recordSwitch", "recordSwitchInt32"]
      : mode === "no-int" ? ["recordInt32", "recordSwitchInt32"] : mode === "no-str" ? ["recordStrings", "recordSwitch"] : []);
    enableBenchCompareDevice(require(join(dist, "runtime", "index.js")), { noop, wrapNoops: mode === "reset" });
    counted = globalThis[COMPARE_RECORDS_KEY];
  }
  const file = values.file;
  const lib = file.endsWith(".mjs") ? await import(pathToFileURL(file).href) : createRequire(file)(file);
  const input = workload.input("smoke");
  globalThis.gc?.();
  const start = mainThreadCpuMs();
  workload.iterate(lib, input);
  const cpuMs = mainThreadCpuMs() - start;
  console.log(JSON.stringify({ cpuMs, records: counted() }));
}

function build(workload, dist, traceCmp, dir) {
  const babel = require("@babel/core");
  const plugin = require(join(dist, "plugin", "index.js"));
  const file = workload.files[0];
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file.id);
  const options = traceCmp ? { instrumentationFilter: ["**"], root: dir, traceCmp: true } : { instrumentationFilter: ["**"], root: dir, counterMode: "hit" };
  const transform = () => babel.transformSync(readFileSync(packageFilePath(file.from), "utf8"), {
    filename: path, sourceType: file.sourceType, configFile: false, babelrc: false, compact: false,
    plugins: [[plugin.default ?? plugin, options]],
  });
  const result = traceCmp && values["jazzer-sites"] ? onJazzerSitesOnly(dist, transform) : transform();
  writeFileSync(path, result.code);
  return path;
}

function main() {
  const modes = values.modes.split(",");
  for (const m of modes) if (!MODES.includes(m)) throw new Error(`--modes: unknown "${m}"; known: ${MODES.join(", ")}`);
  const builds = [["A", resolve(values.dist ?? join(REPO_ROOT, "dist"))]];
  if (values["dist-b"]) builds.push(["B", resolve(values["dist-b"])]);
  const rounds = Number(values.rounds);
  const root = join(REPO_ROOT, "bench", "workdir", `parts-${process.pid}`);
  process.on("exit", () => rmSync(root, { recursive: true, force: true }));
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  for (const name of values.workloads.split(",")) {
    const workload = workloads.find((w) => w.name === name);
    if (!workload) throw new Error(`unknown workload "${name}"`);
    const files = {};
    for (const [id, dist] of builds) {
      files[id] = {
        cmp: build(workload, dist, true, join(root, id, "cmp", name)),
        hit: modes.includes("hit") ? build(workload, dist, false, join(root, id, "hit", name)) : undefined,
      };
    }
    const samples = {};
    for (let round = 0; round < rounds; round++) {
      const line = [];
      // Every other round runs B first: the first of two runs in a row read faster here by a few
      // per cent (the same build as A and B, session 8), so a fixed order would favour A.
      const order = round % 2 === 0 ? builds : [...builds].reverse();
      for (const mode of modes) {
        for (const [id, dist] of order) {
          const file = mode === "hit" ? files[id].hit : files[id].cmp;
          const out = execFileSync(process.execPath, ["--expose-gc", new URL(import.meta.url).pathname, "--child", name, "--file", file, "--mode", mode, "--dist", dist], { encoding: "utf8" });
          const { cpuMs, records } = JSON.parse(out.trim().split("\n").pop());
          (samples[`${mode} ${id}`] ??= []).push({ cpuMs, records });
          line.push(`${mode}${builds.length > 1 ? ` ${id}` : ""} ${cpuMs}`);
        }
      }
      console.log(`${name} round ${round + 1}: ${line.join(", ")}`);
    }
    console.log(`${name} medians (main-thread CPU ms; records written):`);
    for (const [key, xs] of Object.entries(samples)) {
      console.log(`  ${key.padEnd(9)} ${String(median(xs.map((x) => x.cpuMs))).padStart(6)} ms  ${xs[0].records} records`);
    }
  }
}

if (values.child) await child();
else main();
