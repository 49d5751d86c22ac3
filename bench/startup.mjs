// Start-up cost of `jskcov run` with a warm transform cache, side by side with plain node
// in one run (interleaved, so both see the same machine load):
//   plain node            node main.js
//   preloaded process     node main.js with jskcov's NODE_OPTIONS and JSKCOV_RUN_CONFIG:
//                         what every child process or worker of a covered program pays
//   jskcov run            the whole command: the CLI, the program (in jskcov's own
//                         process), the merge at exit
//   jskcov run --spawn    the same with the program in a child process: two Node start-ups
// The script loads 3 small instrumented files; the cache is warmed before measuring, so
// Babel is never loaded. Medians of wall-clock time and of CPU time (user + system of
// the process and everything it started, every thread: /proc/self/stat's children
// times, in 10 ms ticks), which leaves out the time a loaded machine keeps the
// processes waiting. Run after `npm run build`:
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
  "jskcov run --spawn": () => [process.execPath, [JSKCOV, "run", "--quiet", "--spawn", "--filter", "src/**", "--cache-dir", cacheDir, "--out", out, "--", "src/main.js"], env],
};

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, fixed at 100 on Linux for /proc

/** CPU ms of the children this process has waited for (cutime + cstime). */
function childrenCpuMs() {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function runOnce(name) {
  const [command, args, variantEnv] = variants[name]();
  const cpuBefore = childrenCpuMs();
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: project, env: variantEnv, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpuMs = childrenCpuMs() - cpuBefore;
  if (result.status !== 0 || result.stdout !== "a-big b-big c-big\n") {
    throw new Error(`${name} failed (status ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return { ms, cpuMs };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  // Warm the transform cache (and the OS file cache) once per variant.
  for (const name of Object.keys(variants)) runOnce(name);
  const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let run = 0; run < RUNS; run++) for (const name of Object.keys(variants)) times[name].push(runOnce(name));
  const column = (name, key) => median(times[name].map((sample) => sample[key]));
  const plainWall = column("plain node", "ms");
  const plainCpu = column("plain node", "cpuMs");
  console.log(`start-up, warm transform cache: medians of ${RUNS} interleaved runs (${os.cpus()[0].model}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}, Node ${process.version})`);
  console.log("| variant | wall | over plain node | ratio | CPU | over plain node | ratio |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const name of Object.keys(times)) {
    const [wall, cpu] = [column(name, "ms"), column(name, "cpuMs")];
    console.log(
      `| ${name} | ${wall.toFixed(0)} ms | +${(wall - plainWall).toFixed(0)} ms | ${(wall / plainWall).toFixed(2)}x ` +
        `| ${cpu.toFixed(0)} ms | +${(cpu - plainCpu).toFixed(0)} ms | ${(cpu / plainCpu).toFixed(2)}x |`,
    );
  }
} finally {
  fs.rmSync(project, { recursive: true, force: true });
}
