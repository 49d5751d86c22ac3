// The benchmark: instrument each workload's library with each variant, run every
// (workload, variant) pair in a fresh child process, interleaved round-robin over several
// repetitions, check every output against the uninstrumented one, and report medians,
// ratios, transform time, code size, memory per block and the runtime's collect() time.
//
//   npm run bench                  full run; writes bench/results.json and bench/results.md
//   npm run bench:smoke            one small workload, one repetition, outputs checked only
//   node bench/run.mjs --help      options (workloads, variants, repetitions)
//
// Exit status 1 if any variant's output differs from uninstrumented, a child fails, or
// (in smoke mode) a variant is unavailable.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { basename, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { packageFilePath, packageVersion } from "./corpus.mjs";
import { mainThreadCpuMs } from "./cpu-time.mjs";
import { BABEL_VERSION, babelOnly, REPO_ROOT, variants } from "./variants.mjs";
import { SMOKE_WORKLOAD, workloads } from "./workloads.mjs";

const BENCH_DIR = join(REPO_ROOT, "bench");
// One folder per run, so a smoke run cannot pull the files from under a full run.
const WORKDIR = join(BENCH_DIR, "workdir", `run-${process.pid}`);
const SOURCE_ROOT = join(WORKDIR, "src");
const COLLECT_SCRIPTS = ["collect.mjs", "collect.cjs", "collect.js"];

const USAGE = `usage: node bench/run.mjs [--smoke] [--reps N] [--transform-reps N]
                          [--workloads a,b] [--variants none,kcov-hit,...] [--no-write]
workloads: ${workloads.map((w) => w.name).join(", ")}
variants:  ${variants.map((v) => v.id).join(", ")}`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      smoke: { type: "boolean", default: false },
      reps: { type: "string" },
      "transform-reps": { type: "string" },
      workloads: { type: "string" },
      variants: { type: "string" },
      "no-write": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positiveInt = (name, text, fallback) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${text}"`);
    return n;
  };
  const pick = (name, text, all, fallback) => {
    if (text === undefined) return fallback;
    const names = text.split(",").filter(Boolean);
    for (const n of names) if (!all.includes(n)) throw new Error(`--${name}: unknown "${n}"; known: ${all.join(", ")}`);
    return names;
  };
  const smoke = values.smoke;
  const variantIds = pick("variants", values.variants, variants.map((v) => v.id), variants.map((v) => v.id));
  if (!variantIds.includes("none")) variantIds.unshift("none"); // every ratio and check needs it
  return {
    smoke,
    scale: smoke ? "smoke" : "full",
    reps: positiveInt("reps", values.reps, smoke ? 1 : 5),
    transformReps: positiveInt("transform-reps", values["transform-reps"], smoke ? 1 : 7),
    workloadNames: pick("workloads", values.workloads, workloads.map((w) => w.name), smoke ? [SMOKE_WORKLOAD] : workloads.map((w) => w.name)),
    variantIds,
    write: !values["no-write"] && !smoke,
  };
}

const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const geomean = (xs) => Math.exp(xs.reduce((sum, x) => sum + Math.log(x), 0) / xs.length);
/** Wall-clock and main-thread CPU milliseconds of `fn` (cpuMs null where /proc is missing). */
const time = (fn) => {
  const cpuStart = mainThreadCpuMs();
  const start = performance.now();
  const value = fn();
  const ms = performance.now() - start;
  const cpuEnd = mainThreadCpuMs();
  return { value, ms, cpuMs: cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart };
};

/**
 * Instruments every workload file with every transforming variant, timing each transform
 * (interleaved over `transformReps` rounds) against Babel's own parse + generate.
 */
function prepare(options, activeVariants, errors) {
  rmSync(WORKDIR, { recursive: true, force: true });
  const prepared = {};
  for (const name of options.workloadNames) {
    const workload = workloads.find((w) => w.name === name);
    const file = workload.files[0];
    const code = readFileSync(packageFilePath(file.from), "utf8");
    const srcFile = { path: join(SOURCE_ROOT, name, file.id), code, sourceType: file.sourceType };
    mkdirSync(join(SOURCE_ROOT, name), { recursive: true });
    writeFileSync(srcFile.path, code);

    const transforming = activeVariants.filter((v) => v.transform);
    const timings = { babel: [] };
    const cpuTimings = { babel: [] };
    const outputs = {};
    const babelBaseline = { id: "babel", transform: babelOnly };
    const contenders = [babelBaseline, ...transforming];
    for (let rep = 0; rep < options.transformReps; rep++) {
      for (let k = 0; k < contenders.length; k++) {
        const variant = contenders[(k + rep) % contenders.length]; // rotate, so no one is always first (cold)
        if (outputs[variant.id] === null) continue; // failed earlier
        try {
          globalThis.gc?.(); // each transform starts from a collected heap, not the previous output's garbage
          const { value, ms, cpuMs } = time(() => variant.transform(srcFile, { sourceRoot: SOURCE_ROOT }));
          (timings[variant.id] ??= []).push(ms);
          if (cpuMs !== null) (cpuTimings[variant.id] ??= []).push(cpuMs);
          outputs[variant.id] = value;
        } catch (error) {
          errors.push(`${name}/${variant.id}: transform failed: ${error.message.split("\n")[0]}`);
          outputs[variant.id] = null;
        }
      }
    }
    const babelCode = outputs.babel.code;
    const entry = {
      library: `${file.from} (${packageVersion(file.from)})`,
      originalBytes: Buffer.byteLength(code),
      babelBytes: Buffer.byteLength(babelCode),
      babelTransformMs: median(timings.babel),
      babelTransformCpuMs: median(cpuTimings.babel),
      variants: {},
    };
    for (const variant of transforming) {
      const output = outputs[variant.id];
      if (!output) continue;
      const folder = join(WORKDIR, variant.id, name);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, file.id), output.code);
      entry.variants[variant.id] = {
        folder,
        transformMs: median(timings[variant.id]),
        transformCpuMs: median(cpuTimings[variant.id] ?? []),
        bytes: Buffer.byteLength(output.code),
        blocks: output.blocks,
      };
    }
    prepared[name] = entry;
  }
  return prepared;
}

/** Reads the coverage files a NODE_V8_COVERAGE child wrote, to confirm block-count mode. */
function inspectV8Coverage(dir, libraryPath) {
  const summary = { files: 0, functions: 0, blockCoverageFunctions: 0, maxCount: 0, libraryFound: false };
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".json")) continue;
    summary.files++;
    const { result } = JSON.parse(readFileSync(join(dir, name), "utf8"));
    for (const script of result) {
      if (!script.url.endsWith(basename(libraryPath))) continue;
      summary.libraryFound = true;
      for (const fn of script.functions) {
        summary.functions++;
        if (fn.isBlockCoverage) summary.blockCoverageFunctions++;
        for (const range of fn.ranges) summary.maxCount = Math.max(summary.maxCount, range.count);
      }
    }
  }
  // Best-effort coverage reports counts of 0/1 and no blocks; precise-count reports real
  // counts; "detailed" (block) coverage marks functions isBlockCoverage.
  summary.mode =
    summary.blockCoverageFunctions > 0 ? (summary.maxCount > 1 ? "block count (precise, detailed)" : "block binary") : "function granularity";
  return summary;
}

function runChild(workload, variant, folder, scale) {
  const env = { ...process.env };
  delete env.NODE_V8_COVERAGE; // only the V8 variant measures with it
  delete env.NODE_OPTIONS;
  let coverageDir = null;
  if (variant.coverageEnv) {
    coverageDir = mkdtempSync(join(os.tmpdir(), "kcov-bench-v8-"));
    env[variant.coverageEnv] = coverageDir;
  }
  const started = performance.now();
  const child = spawnSync(process.execPath, [join(BENCH_DIR, "child.mjs"), workload.name, folder, scale], {
    env,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: 20 * 60 * 1000,
  });
  const wallMs = performance.now() - started;
  try {
    if (child.status !== 0) {
      const reason = child.error ? child.error.message : (child.stderr || "").trim().split("\n").slice(0, 6).join("\n");
      return { error: `exit ${child.status ?? child.signal}: ${reason}` };
    }
    const lines = child.stdout.trim().split("\n");
    const result = { ...JSON.parse(lines[lines.length - 1]), wallMs };
    if (coverageDir) result.v8Coverage = inspectV8Coverage(coverageDir, workload.files[0].id);
    return result;
  } finally {
    if (coverageDir) rmSync(coverageDir, { recursive: true, force: true });
  }
}

/** Round-robin: every repetition visits every workload and, inside it, every variant, starting one further along each time. */
function measure(options, activeVariants, prepared, errors) {
  const samples = {};
  for (let rep = 0; rep < options.reps; rep++) {
    for (const name of options.workloadNames) {
      const workload = workloads.find((w) => w.name === name);
      const runnable = activeVariants.filter((v) => v.runsFilesOf || prepared[name].variants[v.id]);
      for (let k = 0; k < runnable.length; k++) {
        const variant = runnable[(k + rep) % runnable.length];
        const folder = prepared[name].variants[variant.runsFilesOf ?? variant.id]?.folder;
        if (!folder) continue;
        const result = runChild(workload, variant, folder, options.scale);
        const label = `${name}/${variant.id}`;
        if (result.error) {
          errors.push(`${label} rep ${rep + 1}: ${result.error}`);
        } else {
          process.stderr.write(`  rep ${rep + 1}/${options.reps} ${label.padEnd(26)} ${result.runMs.toFixed(0).padStart(6)} ms\n`);
        }
        ((samples[name] ??= {})[variant.id] ??= []).push(result);
      }
    }
  }
  return samples;
}

/** Every variant's output must equal uninstrumented's; kcov's two modes must see the same blocks. */
function check(samples, errors) {
  for (const [name, byVariant] of Object.entries(samples)) {
    const reference = (byVariant.none || []).find((r) => !r.error)?.outputHash;
    if (!reference) {
      errors.push(`${name}: no uninstrumented output to compare against`);
      continue;
    }
    for (const [variantId, results] of Object.entries(byVariant)) {
      for (const r of results) {
        if (!r.error && r.outputHash !== reference) {
          errors.push(`${name}/${variantId}: OUTPUT MISMATCH (sha256 ${r.outputHash.slice(0, 12)} vs uninstrumented ${reference.slice(0, 12)})`);
        }
      }
    }
    const hitSet = (id) => (byVariant[id] || []).find((r) => !r.error)?.kcov?.[0]?.hitSetHash;
    if (hitSet("kcov-hit") && hitSet("kcov-count") && hitSet("kcov-hit") !== hitSet("kcov-count")) {
      errors.push(`${name}: kcov hit and count modes report different sets of executed blocks`);
    }
  }
}

function runCollectBenchmark() {
  const script = COLLECT_SCRIPTS.map((n) => join(BENCH_DIR, n)).find((p) => existsSync(p));
  if (!script) return { status: "missing", note: `no bench/${COLLECT_SCRIPTS.join("|")} yet (placeholder)` };
  const child = spawnSync(process.execPath, [script], { cwd: REPO_ROOT, encoding: "utf8", timeout: 10 * 60 * 1000 });
  const lines = (child.stdout || "").trim().split("\n").filter(Boolean);
  const last = lines[lines.length - 1] ?? "";
  if (child.status !== 0) {
    const stderr = (child.stderr || last).trim().split("\n");
    const note = stderr.find((line) => /^\w*Error\b/.test(line)) ?? stderr[0];
    return { status: "failed", script: relative(REPO_ROOT, script), note: `${relative(REPO_ROOT, script)} exited ${child.status}: ${note}` };
  }
  try {
    return { status: "ok", script: relative(REPO_ROOT, script), result: JSON.parse(last) };
  } catch {
    return { status: "ok", script: relative(REPO_ROOT, script), output: lines.join("\n") };
  }
}

const fmtMs = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : "–");
const fmtRatio = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : "–");
const fmtPct = (r) => (Number.isFinite(r) ? `${r >= 0 ? "+" : ""}${(r * 100).toFixed(0)}%` : "–");

function markdownTable(header, rows) {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

function summarize(options, activeVariants, unavailable, prepared, samples, collect) {
  const runtime = {};
  for (const name of options.workloadNames) {
    const noneRuns = (samples[name]?.none || []).filter((r) => !r.error);
    const none = median(noneRuns.map((r) => r.runMs));
    const noneCpu = noneRuns.every((r) => r.cpuMs !== null) ? median(noneRuns.map((r) => r.cpuMs)) : NaN;
    runtime[name] = {};
    for (const variant of activeVariants) {
      const ok = (samples[name]?.[variant.id] || []).filter((r) => !r.error);
      if (ok.length === 0) continue;
      const medianMs = median(ok.map((r) => r.runMs));
      const cpuMedianMs = ok.every((r) => r.cpuMs !== null) ? median(ok.map((r) => r.cpuMs)) : NaN;
      runtime[name][variant.id] = {
        medianMs,
        ratio: medianMs / none,
        cpuMedianMs,
        cpuRatio: cpuMedianMs / noneCpu,
        samplesMs: ok.map((r) => Math.round(r.runMs * 10) / 10),
        wallMedianMs: median(ok.map((r) => r.wallMs)),
        loadMedianMs: median(ok.map((r) => r.loadMs)),
        outputHash: ok[0].outputHash,
        ...(ok[0].compareRecords != null ? { compareRecords: ok[0].compareRecords } : {}),
        ...(ok[0].kcov?.length ? { kcov: ok[0].kcov[0] } : {}),
        ...(ok[0].v8Coverage ? { v8Coverage: ok[0].v8Coverage } : {}),
      };
    }
  }
  const geomeans = {};
  const cpuGeomeans = {};
  for (const variant of activeVariants) {
    const ratios = options.workloadNames.map((n) => runtime[n][variant.id]?.ratio).filter(Number.isFinite);
    if (ratios.length === options.workloadNames.length) geomeans[variant.id] = geomean(ratios);
    const cpuRatios = options.workloadNames.map((n) => runtime[n][variant.id]?.cpuRatio).filter(Number.isFinite);
    if (cpuRatios.length === options.workloadNames.length) cpuGeomeans[variant.id] = geomean(cpuRatios);
  }
  const memory = {};
  for (const name of options.workloadNames) {
    for (const id of ["kcov-hit", "kcov-count"]) {
      const record = runtime[name][id]?.kcov;
      const built = prepared[name].variants[id];
      if (!record || !built) continue;
      (memory[name] ??= {})[id] = {
        blocks: record.blockCount,
        hitBlocks: record.hitBlocks,
        counterBytesPerBlock: record.counterBytes / record.blockCount,
        tableBytesPerBlock: record.tableChars / record.blockCount, // ASCII JSON: V8 stores it one byte per char
        codeBytesPerBlock: (built.bytes - prepared[name].babelBytes) / record.blockCount,
      };
    }
  }
  return { runtime, geomeans, cpuGeomeans, memory, collect, unavailable };
}

/**
 * Comparison tracing against Jazzer.js's hooks (main-thread CPU time): each tool's whole
 * fuzzing build (coverage plus comparisons), what the comparisons add to its coverage
 * alone, in uninstrumented run times, and that added time per record written (kcov: both
 * areas; Jazzer.js: calls that reach its addon). The tools hook different sites (kcov
 * every comparison and every case of a switch when it is entered, Jazzer.js only those
 * against a literal, and a switch's cases until one matches), so the records say how much
 * each one records for what it costs; `kcov-cmp-jazzer-sites`, when it ran, is kcov on
 * Jazzer.js's sites only (the same site set), and with $KCOV_BENCH_BASELINE_DIST the
 * baseline build's figures come too; `jazzer-cmp-native`, when it ran, is Jazzer.js with its
 * compare calls crossing into Node-API (bench/jazzer-addon-standin.c). Empty unless the
 * variants it needs ran.
 */
function compareAgainstJazzer(options, runtime, cpuGeomeans) {
  const needed = ["kcov-hit", "kcov-cmp", "jazzer-cov", "jazzer-cmp"];
  const ratio = (name, id) => runtime[name][id]?.cpuRatio;
  if (!options.workloadNames.every((name) => needed.every((id) => Number.isFinite(ratio(name, id))))) return [];
  // Columns of the optional kcov builds, when they ran: on Jazzer.js's sites only, and the baseline build.
  const extras = [["kcov-cmp-jazzer-sites", "kcov on Jazzer.js's sites"], ["kcov-cmp-baseline", "baseline kcov"], ["jazzer-cmp-native", "Jazzer.js, native stand-in"]]
    .filter(([id]) => options.workloadNames.every((name) => Number.isFinite(ratio(name, id))));
  const coverageOf = (id) => (id.startsWith("kcov") ? "kcov-hit" : "jazzer-cov");
  const added = (name, id) => ratio(name, id) - ratio(name, coverageOf(id));
  const records = (name, id) => runtime[name][id]?.compareRecords;
  const nsPerRecord = (name, id) => ((runtime[name][id].cpuMedianMs - runtime[name][coverageOf(id)].cpuMedianMs) * 1e6) / records(name, id);
  const fmtAdded = (x) => `${x >= 0 ? "+" : ""}${x.toFixed(2)}`;
  const fmtRecords = (n) => (Number.isFinite(n) ? `${(n / 1e6).toFixed(1)}M` : "–");
  const fmtNs = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
  const addedGeomean = (id) => geomean(options.workloadNames.map((name) => Math.max(added(name, id), 0.01)));
  // Pooled, not a geomean: the small workloads' 10 ms ticks can make their figure 0.
  const nsPooled = (id) => {
    const addedMs = options.workloadNames.reduce((sum, name) => sum + runtime[name][id].cpuMedianMs - runtime[name][coverageOf(id)].cpuMedianMs, 0);
    return (addedMs * 1e6) / options.workloadNames.reduce((sum, name) => sum + records(name, id), 0);
  };
  const recordsGeomean = (id) => geomean(options.workloadNames.map((name) => records(name, id)));
  const row = (label, whole, add, recs, ns) => [
    label,
    fmtRatio(whole("kcov-cmp")), fmtRatio(whole("jazzer-cmp")), (whole("kcov-cmp") / whole("jazzer-cmp")).toFixed(2),
    fmtAdded(add("kcov-cmp")), fmtAdded(add("jazzer-cmp")), (add("kcov-cmp") / add("jazzer-cmp")).toFixed(2),
    fmtRecords(recs("kcov-cmp")), fmtRecords(recs("jazzer-cmp")), fmtNs(ns("kcov-cmp")), fmtNs(ns("jazzer-cmp")),
    ...extras.flatMap(([id]) => [fmtRatio(whole(id)), fmtAdded(add(id)), fmtRecords(recs(id)), fmtNs(ns(id))]),
  ];
  const rows = options.workloadNames.map((name) => row(name, (id) => ratio(name, id), (id) => added(name, id),
    (id) => records(name, id), (id) => nsPerRecord(name, id)));
  rows.push(row("**geomean**", (id) => cpuGeomeans[id], addedGeomean, recordsGeomean, nsPooled));
  return [
    "\n### Comparison tracing against Jazzer.js's hooks (main-thread CPU time, from the table above). " +
      "Whole build: coverage plus comparisons, ratio to uninstrumented. Added: what the comparisons add to the same tool's coverage " +
      "(kcov cmp − kcov hit, Jazzer.js cmp − Jazzer.js cov), in uninstrumented run times (geomean: added ≥ 0.01). " +
      "Records: comparison records written in the timed runs (kcov: both areas; Jazzer.js: calls reaching its addon); " +
      "ns/record: the added CPU time per record (geomean row: all workloads' added CPU time over all their records)\n",
    markdownTable([
      "workload", "kcov cmp", "Jazzer.js cmp", "kcov / Jazzer.js", "kcov added", "Jazzer.js added", "kcov / Jazzer.js added",
      "kcov records", "Jazzer.js records", "kcov ns/record", "Jazzer.js ns/record",
      ...extras.flatMap(([, label]) => [`${label} cmp`, `${label} added`, `${label} records`, `${label} ns/record`]),
    ], rows),
  ];
}

function render(options, activeVariants, summary, prepared) {
  const { runtime, geomeans, cpuGeomeans, memory, collect, unavailable } = summary;
  const out = [];
  if (Object.keys(cpuGeomeans).length) {
    out.push(`### Run time: main-thread CPU time (median of ${options.reps}; ratio to uninstrumented). The headline: little disturbed by other load\n`);
    const cpuRows = options.workloadNames.map((name) => [
      name,
      ...activeVariants.map((v) => {
        const r = runtime[name][v.id];
        if (!r || !Number.isFinite(r.cpuMedianMs)) return "–";
        return v.id === "none" ? fmtMs(r.cpuMedianMs) : fmtRatio(r.cpuRatio);
      }),
    ]);
    cpuRows.push(["**geomean**", ...activeVariants.map((v) => (v.id === "none" ? "1.00x" : fmtRatio(cpuGeomeans[v.id])))]);
    out.push(markdownTable(["workload", ...activeVariants.map((v) => v.label)], cpuRows));
  }
  out.push(...compareAgainstJazzer(options, runtime, cpuGeomeans));
  out.push(`\n### Run time: wall clock (median of ${options.reps}, timer around the work; ratio to uninstrumented). Swings with other load on the shared cores\n`);
  const header = ["workload", ...activeVariants.map((v) => v.label), ...unavailable.map((u) => u.label)];
  const rows = options.workloadNames.map((name) => [
    name,
    ...activeVariants.map((v) => {
      const r = runtime[name][v.id];
      if (!r) return "failed";
      return v.id === "none" ? fmtMs(r.medianMs) : `${fmtMs(r.medianMs)} (${fmtRatio(r.ratio)})`;
    }),
    ...unavailable.map(() => "n/a"),
  ]);
  rows.push(["**geomean**", ...activeVariants.map((v) => (v.id === "none" ? "1.00x" : fmtRatio(geomeans[v.id]))), ...unavailable.map(() => "n/a")]);
  out.push(markdownTable(header, rows));
  for (const u of unavailable) out.push(`\n${u.label}: not measured: ${u.reason}`);

  const transforming = activeVariants.filter((v) => v.transform && v.id !== "none");
  const transformTable = (title, babelMs, variantMs) => {
    out.push(`\n### Transform time, ${title} (median of ${options.transformReps}; plugin's addition over Babel's own parse + generate, no plugins)\n`);
    out.push(
      markdownTable(
        ["workload", "file", "Babel parse+generate", ...transforming.map((v) => v.label)],
        options.workloadNames.map((name) => {
          const p = prepared[name];
          return [
            name,
            `${(p.originalBytes / 1024).toFixed(0)} kB`,
            fmtMs(babelMs(p)),
            ...transforming.map((v) => {
              const t = p.variants[v.id];
              return t ? `${fmtMs(variantMs(t))} (${fmtPct(variantMs(t) / babelMs(p) - 1)})` : "–";
            }),
          ];
        }),
      ),
    );
  };
  if (Object.values(prepared).every((p) => Number.isFinite(p.babelTransformCpuMs))) {
    transformTable("main-thread CPU (10 ms ticks). The headline: little disturbed by other load", (p) => p.babelTransformCpuMs, (t) => t.transformCpuMs);
  }
  transformTable("wall clock, GC helper threads included. Swings with other load on the shared cores", (p) => p.babelTransformMs, (t) => t.transformMs);

  out.push("\n### Code size (instrumented bytes relative to the original file; Babel-regenerated, no plugin, for reference)\n");
  out.push(
    markdownTable(
      ["workload", "original", "Babel only", ...transforming.map((v) => v.label)],
      options.workloadNames.map((name) => {
        const p = prepared[name];
        return [
          name,
          `${(p.originalBytes / 1024).toFixed(0)} kB`,
          fmtRatio(p.babelBytes / p.originalBytes),
          ...transforming.map((v) => (p.variants[v.id] ? fmtRatio(p.variants[v.id].bytes / p.originalBytes) : "–")),
        ];
      }),
    ),
  );

  const memoryRows = [];
  for (const [name, byMode] of Object.entries(memory)) {
    for (const [id, m] of Object.entries(byMode)) {
      memoryRows.push([
        `${name} (${id})`,
        String(m.blocks),
        String(m.hitBlocks),
        m.counterBytesPerBlock.toFixed(1),
        m.tableBytesPerBlock.toFixed(1),
        (m.counterBytesPerBlock + m.tableBytesPerBlock).toFixed(1),
        m.codeBytesPerBlock.toFixed(1),
      ]);
    }
  }
  out.push("\n### Memory per block (from the registry record each instrumented file registered)\n");
  out.push(
    memoryRows.length
      ? markdownTable(["workload", "blocks", "hit", "counter B/block", "table B/block", "total B/block", "code B/block"], memoryRows)
      : "(no babel-plugin-kcov variant measured)",
  );

  out.push("\n### collect() for 100k registered blocks\n");
  if (collect.status === "ok" && collect.result && Number.isFinite(collect.result.collectMedianNs)) {
    const r = collect.result;
    const us = (ns) => `${(ns / 1000).toFixed(1)} µs`;
    out.push(
      `\`${collect.script}\`: median ${us(r.collectMedianNs)} per collect() over ${r.blocks} registered blocks ` +
        `with ${r.executed} executed` +
        (Number.isFinite(r.idleCollectMedianNs) ? `; ${us(r.idleCollectMedianNs)} with none executed` : "") +
        ` (full output in results.json)`,
    );
  } else if (collect.status === "ok" && collect.result) out.push(`\`${collect.script}\`: ${JSON.stringify(collect.result)}`);
  else if (collect.status === "ok") out.push(`\`${collect.script}\`:\n\n\`\`\`\n${collect.output}\n\`\`\``);
  else out.push(`${collect.status}: ${collect.note}`);

  const v8 = Object.values(runtime).map((r) => r["v8-block"]?.v8Coverage).find(Boolean);
  if (v8) out.push(`\nV8 coverage mode observed in the child's NODE_V8_COVERAGE output: ${v8.mode} (max range count ${v8.maxCount}).`);
  return out.join("\n");
}

function main() {
  const options = parseOptions();
  const errors = [];
  process.on("exit", () => rmSync(WORKDIR, { recursive: true, force: true }));
  const activeVariants = [];
  const unavailable = [];
  for (const id of options.variantIds) {
    const variant = variants.find((v) => v.id === id);
    const reason = variant.availability();
    if (reason) unavailable.push({ id, label: variant.label, reason });
    else activeVariants.push(variant);
  }
  for (const u of unavailable) {
    const message = `${u.id} unavailable: ${u.reason}`;
    if (options.smoke) errors.push(message);
    else process.stderr.write(`warning: ${message}\n`);
  }

  process.stderr.write(`preparing ${options.workloadNames.join(", ")} × ${activeVariants.map((v) => v.id).join(", ")}\n`);
  const prepared = prepare(options, activeVariants, errors);
  process.stderr.write(`running ${options.reps} repetition(s), scale ${options.scale}\n`);
  const samples = measure(options, activeVariants, prepared, errors);
  check(samples, errors);
  const collect = options.smoke ? { status: "skipped", note: "not run in smoke mode" } : runCollectBenchmark();
  const summary = summarize(options, activeVariants, unavailable, prepared, samples, collect);

  const command = ["node", ...process.argv.slice(1).map((a) => relative(REPO_ROOT, a) || a)].join(" ");
  const npmCommand = process.env.npm_lifecycle_event ? `npm run ${process.env.npm_lifecycle_event}` : command;
  const cpus = os.cpus();
  const header = {
    date: new Date().toISOString(),
    machine: { cpu: cpus[0]?.model ?? "unknown", cores: cpus.length, os: `${os.type()} ${os.release()} ${os.arch()}`, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    node: process.version,
    babel: BABEL_VERSION,
    command: npmCommand,
  };
  const table = render(options, activeVariants, summary, prepared);
  const headerLine = `${header.date.slice(0, 10)} · ${header.machine.cpu} (${header.machine.cores} cores) · Node ${header.node} · Babel ${header.babel} · \`${header.command}\``;
  console.log(`\n${headerLine}\n\n${table}\n`);

  if (options.write && errors.length) {
    process.stderr.write("errors: bench/results.json and bench/results.md left as they were\n");
  } else if (options.write) {
    const results = {
      ...header,
      options: { reps: options.reps, transformReps: options.transformReps, scale: options.scale },
      variants: Object.fromEntries(variants.map((v) => [v.id, v.description])),
      workloads: Object.fromEntries(
        options.workloadNames.map((n) => {
          const w = workloads.find((x) => x.name === n);
          const { variants: byVariant, ...rest } = prepared[n];
          const strip = Object.fromEntries(Object.entries(byVariant).map(([id, { folder: _folder, ...v }]) => [id, v]));
          return [n, { description: w.description, iterations: w.iterations[options.scale], ...rest, transforms: strip, runs: summary.runtime[n] }];
        }),
      ),
      geomeanRatio: summary.geomeans,
      geomeanCpuRatio: summary.cpuGeomeans,
      memoryPerBlock: summary.memory,
      collect: summary.collect,
      unavailable: summary.unavailable,
      errors,
    };
    writeFileSync(join(BENCH_DIR, "results.json"), JSON.stringify(results, null, 2) + "\n");
    writeFileSync(join(BENCH_DIR, "results.md"), `${headerLine}\n\n${table}\n`);
    process.stderr.write("wrote bench/results.json and bench/results.md\n");
  }

  if (errors.length) {
    console.error(`\n${errors.length} error(s):\n${errors.map((e) => `  - ${e}`).join("\n")}`);
    process.exit(1);
  }
  if (options.smoke) console.log(`bench smoke: ${activeVariants.length} variants of ${options.workloadNames.join(", ")} produced identical output`);
}

main();
