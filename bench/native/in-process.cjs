// Run under `jskcov run`: the executor's per-input work without the harness, i.e. the
// target call and collect() into a file-backed area, in one process. Prints µs/run:
// wall time, then CPU time.
const os = require("node:os");
const path = require("node:path");
const { Kcov, KCOV_TRACE_PC } = require("../../dist/runtime");
const { loadFuzzTarget, runFuzzTarget } = require("../../dist/fuzz/target");

async function main() {
  const runs = Number(process.argv[2]);
  const file = path.join(os.tmpdir(), `jskcov-bench-area-${process.pid}`);
  const kcov = new Kcov({ file });
  kcov.initTrace(1 << 20);
  const area = kcov.mmap();
  const target = await loadFuzzTarget(path.join(__dirname, "empty-target.cjs"));
  kcov.enable(KCOV_TRACE_PC);
  const input = Buffer.alloc(8);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    area[0] = 0n;
    input.writeUInt32LE(i, 0);
    runFuzzTarget(target, Buffer.from(input));
    kcov.collect();
  }
  const microseconds = Number(process.hrtime.bigint() - start) / 1000 / runs;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMicroseconds = (cpu.user + cpu.system) / runs;
  kcov.close();
  require("node:fs").rmSync(file, { force: true });
  process.stdout.write(`${microseconds} ${cpuMicroseconds}\n`);
}
void main();
