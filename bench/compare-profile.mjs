// Where a workload's comparison records come from (docs/compare-area.md, "Session 7"): the
// kcov cmp build of one workload, run once (smoke input) with every hook and recorder
// wrapped to count, per kind of record and per site. Counting only: its timings mean nothing.
//
//   node bench/compare-profile.mjs [--workloads a,b] [--top N] [--dist dir] [--jazzer-sites]
//
// --jazzer-sites: only the sites Jazzer.js's compareHooks hooks (the kcov-cmp-jazzer-sites variant).
//
// Kinds: the hook the site calls (ki: against a 32-bit integer constant, ks: a string
// constant, p/q/l: two non-constants, s/si: switches, m: string methods, k/j: other
// constants), and what each record is: a Linux record of width 1/2/4/8 bytes, with or
// without KCOV_CMP_CONST, or a string record.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { packageFilePath } from "./corpus.mjs";
import { onJazzerSitesOnly, REPO_ROOT } from "./variants.mjs";
import { workloads } from "./workloads.mjs";

const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: { workloads: { type: "string" }, top: { type: "string", default: "12" }, dist: { type: "string" }, child: { type: "string" }, "jazzer-sites": { type: "boolean", default: false } },
});
const dist = values.dist ?? join(REPO_ROOT, "dist");
const HOOK_NAMES = ["l", "p", "q", "ki", "ks", "k", "j", "s", "si", "m"];
const RECORDER_NAMES = ["record", "recordInt32", "recordStrings", "recordSwitch", "recordSwitchInt32"];

async function profile(workload) {
  const babel = require("@babel/core");
  const plugin = require(join(dist, "plugin", "index.js"));
  const file = workload.files[0];
  const dir = join(REPO_ROOT, "bench", "workdir", `profile-${process.pid}`, workload.name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file.id);
  const transform = () => babel.transformSync(readFileSync(packageFilePath(file.from), "utf8"), {
    filename: path, sourceType: file.sourceType, configFile: false, babelrc: false, compact: false,
    plugins: [[plugin.default ?? plugin, { instrumentationFilter: ["**"], root: dir, traceCmp: true }]],
  });
  const result = values["jazzer-sites"] ? onJazzerSitesOnly(dist, transform) : transform();
  writeFileSync(path, result.code);
  const sites = new Map(result.metadata.kcov.compares.map((c) => [`0x${c.pc.toString(16)}`, c]));

  const runtime = require(join(dist, "runtime", "index.js"));
  const device = new runtime.Kcov({ stringRecords: 4096 });
  device.initTrace(1 + 4 * 4096);
  const words = new Uint32Array(device.mmap().buffer);
  const strings = new Uint32Array(device.mmapStrings().buffer);
  device.enable(runtime.KCOV_TRACE_CMP);
  const lib = file.id.endsWith(".mjs") ? await import(pathToFileURL(path).href) : createRequire(path)(path);
  const input = workload.input("smoke");

  const h = globalThis[Symbol.for("babel-plugin-kcov.compare")];
  const perSite = new Map();
  let current = null;
  const siteOf = (pc, hi, hook) => {
    const key = `0x${(BigInt(hi) << 32n | BigInt(pc >>> 0)).toString(16)}`;
    let site = perSite.get(key);
    if (!site) perSite.set(key, site = { key, hook, calls: 0, types: new Array(8).fill(0), strings: 0 });
    return site;
  };
  for (const name of HOOK_NAMES) {
    const hook = h[name];
    h[name] = function (pc, hi, ...rest) {
      current = siteOf(pc, hi, name);
      current.calls++;
      return hook.call(this, pc, hi, ...rest);
    };
  }
  for (const name of RECORDER_NAMES) {
    const recorder = h[name];
    h[name] = function (...args) {
      if (words[0] >= 3072) words[0] = 0;
      if (strings[0] >= 3072) strings[0] = 0;
      const before = words[0], stringsBefore = strings[0];
      recorder(...args);
      for (let i = before; i < words[0]; i++) current.types[words[2 + 8 * i]]++;
      current.strings += strings[0] - stringsBefore;
    };
  }
  workload.iterate(lib, input);
  device.disable();
  rmSync(join(REPO_ROOT, "bench", "workdir", `profile-${process.pid}`), { recursive: true, force: true });
  return { sites, perSite: [...perSite.values()] };
}

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
const pct = (n, total) => `${((100 * n) / total).toFixed(0)}%`;

function report(name, { sites, perSite }, top) {
  const records = (s) => s.types.reduce((a, b) => a + b, 0) + s.strings;
  const total = perSite.reduce((sum, s) => sum + records(s), 0);
  const calls = perSite.reduce((sum, s) => sum + s.calls, 0);
  console.log(`\n## ${name}: ${fmt(calls)} hook calls, ${fmt(total)} records, ${perSite.length} sites run of ${sites.size}`);
  const byHook = {};
  for (const s of perSite) {
    const k = (byHook[s.hook] ??= { calls: 0, types: new Array(8).fill(0), strings: 0, sites: 0 });
    k.calls += s.calls; k.strings += s.strings; k.sites++;
    s.types.forEach((n, i) => { k.types[i] += n; });
  }
  console.log("\n| hook | sites | calls | records | w1 | w2 | w4 | w8 | of them CONST | string | share of records |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const [hook, k] of Object.entries(byHook).sort((a, b) => records(b[1]) - records(a[1]))) {
    const w = [0, 1, 2, 3].map((width) => k.types[width << 1] + k.types[(width << 1) | 1]);
    const constant = k.types.filter((_, i) => i & 1).reduce((a, b) => a + b, 0);
    console.log(`| ${hook} | ${k.sites} | ${fmt(k.calls)} | ${fmt(records(k))} | ${w.map(fmt).join(" | ")} | ${fmt(constant)} | ${fmt(k.strings)} | ${pct(records(k), total)} |`);
  }
  const sorted = [...perSite].sort((a, b) => records(b) - records(a));
  let cumulative = 0;
  const shareOfTop = (n) => sorted.slice(0, n).reduce((sum, s) => sum + records(s), 0);
  console.log(`\nTop sites: 10 give ${pct(shareOfTop(10), total)} of the records, 50 give ${pct(shareOfTop(50), total)}, 200 give ${pct(shareOfTop(200), total)}.\n`);
  console.log("| site | hook | function | line | calls | records | cumulative |");
  console.log("| --- | --- | --- | ---: | ---: | ---: | ---: |");
  for (const s of sorted.slice(0, top)) {
    cumulative += records(s);
    const site = sites.get(s.key);
    console.log(`| ${site?.kind ?? s.key} | ${s.hook} | ${site?.functionName ?? "?"} | ${site?.range?.start?.line ?? "?"} | ${fmt(s.calls)} | ${fmt(records(s))} | ${pct(cumulative, total)} |`);
  }
}

const names = values.workloads ? values.workloads.split(",") : workloads.map((w) => w.name);
if (values.child) {
  const workload = workloads.find((w) => w.name === values.child);
  report(workload.name, await profile(workload), Number(values.top));
} else {
  // One process per workload: each gets its own realm's hooks and device.
  const { execFileSync } = await import("node:child_process");
  for (const name of names) {
    if (!workloads.some((w) => w.name === name)) throw new Error(`unknown workload "${name}"`);
    process.stdout.write(execFileSync(process.execPath, [new URL(import.meta.url).pathname, "--child", name, "--top", values.top, "--dist", dist, ...(values["jazzer-sites"] ? ["--jazzer-sites"] : [])], { encoding: "utf8", maxBuffer: 1 << 26 }));
  }
}
