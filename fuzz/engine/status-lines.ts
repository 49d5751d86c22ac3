// What the built-in engine prints, in libFuzzer's shapes (FuzzerLoop.cpp: PrintStats,
// PrintFinalStats), so tools that parse libFuzzer logs read ours, plus one summary line a
// person can read. Everything goes to stderr, as libFuzzer's output does.

export interface FuzzStats {
  executions: number;
  /** PCs (blocks) reached at least once. */
  covered: number;
  features: number;
  corpusEntries: number;
  corpusBytes: number;
  registeredBlocks: number;
  newUnits: number;
  elapsedSeconds: number;
  findings: number;
  /** The longest run of one input, in milliseconds. */
  slowestUnitMs: number;
}

export type StatusEvent = "INITED" | "NEW   " | "REDUCE" | "pulse " | "DONE  ";

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function execsPerSecond(stats: Pick<FuzzStats, "executions" | "elapsedSeconds">): number {
  return stats.elapsedSeconds <= 0 ? 0 : Math.floor(stats.executions / stats.elapsedSeconds);
}

/** Peak resident set size of this process in MiB (getrusage, as libFuzzer's GetPeakRSSMb). */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function formatBytes(bytes: number): string {
  if (bytes < 1 << 14) return `${bytes}b`;
  if (bytes < 1 << 24) return `${bytes >> 10}Kb`;
  return `${Math.floor(bytes / (1 << 20))}Mb`;
}

/** `#N\tNEW    cov: X ft: Y corp: A/Bb exec/s: E rss: RMb` (the caller may append ` L: ... MS: ...`). */
export function statusLine(event: StatusEvent, stats: FuzzStats, rssMb: number): string {
  let line = `#${stats.executions}\t${event} cov: ${stats.covered} ft: ${stats.features}`;
  if (stats.corpusEntries > 0) line += ` corp: ${stats.corpusEntries}/${formatBytes(stats.corpusBytes)}`;
  return `${line} exec/s: ${execsPerSecond(stats)} rss: ${rssMb}Mb`;
}

/** libFuzzer's `stat::` lines (-print_final_stats=1). */
export function finalStatsLines(stats: FuzzStats, rssMb: number): string[] {
  return [
    `stat::number_of_executed_units: ${stats.executions}`,
    `stat::average_exec_per_sec:     ${execsPerSecond(stats)}`,
    `stat::new_units_added:          ${stats.newUnits}`,
    // Whole seconds, as libFuzzer prints it (tools parse an integer there).
    `stat::slowest_unit_time_sec:    ${Math.floor(stats.slowestUnitMs / 1000)}`,
    `stat::peak_rss_mb:              ${rssMb}`,
  ];
}

/** The line for people: executions, speed, corpus, PCs covered of registered, findings. */
export function summaryLine(stats: FuzzStats): string {
  const percent = stats.registeredBlocks === 0 ? 0 : (100 * stats.covered) / stats.registeredBlocks;
  return (
    `jskcov fuzz: ${stats.executions} executions in ${stats.elapsedSeconds.toFixed(1)} s (${execsPerSecond(stats)} exec/s); ` +
    `corpus: ${stats.corpusEntries} inputs, ${stats.corpusBytes} bytes; ` +
    `PCs covered: ${stats.covered} of ${stats.registeredBlocks} registered (${percent.toFixed(1)}%); ` +
    `findings: ${stats.findings}`
  );
}

/** libFuzzer's dump of an input: its bytes as `0x..,` then as an escaped string. */
export function describeInput(data: Uint8Array): string[] {
  if (data.length > 256) return [`(input of ${data.length} bytes)`];
  const bytes = Array.from(data, (byte) => `0x${byte.toString(16)},`).join("");
  const ascii = Array.from(data, (byte) =>
    byte === 0x5c ? "\\\\" : byte === 0x22 ? '\\"' : byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`,
  ).join("");
  return [bytes, ascii];
}
