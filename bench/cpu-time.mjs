// CPU time of this process's main thread, for timings that should not count the time a
// shared machine's other tenants take.
import { readFileSync } from "node:fs";

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, fixed at 100 on Linux for /proc

/**
 * CPU time of this process's main thread in ms (Linux /proc, 10 ms ticks), or null.
 * Unlike the wall-clock timer it leaves out time spent descheduled while other
 * processes use the (shared, 2-core) machine, and the background JIT/GC threads.
 */
export function mainThreadCpuMs() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
