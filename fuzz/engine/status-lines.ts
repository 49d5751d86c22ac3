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

let writeStderr = (text: string): unknown => process.stderr.write(text);

/**
 * Keeps stderr's own write for the engine's lines; the executor calls it before the target
 * loads. A target that silences its logging by replacing `process.stderr.write` (or
 * `console.error`) must not silence the fuzzer, whose findings are reported there
 * (libFuzzer keeps its own output when -close_fd_mask closes the target's).
 */
export function keepStderrFromTarget(): void {
  const write = process.stderr.write.bind(process.stderr);
  writeStderr = (text) => write(text);
}

/** Writes a line to stderr, after the status lines waiting there (logStatus), so the order stays. */
export function log(line: string): void {
  writeStderr(`${takePendingStatus()}${line}\n`);
}

/**
 * Status lines (NEW, REDUCE, pulse) wait up to STATUS_FLUSH_MS and go out together: one
 * write to the supervisor's pipe cost 0.5 ms here at load 8 (a context switch to the
 * reader), and early in a run a NEW comes every few executions (qs: 45 lines in the first
 * 1,500 executions, 25 ms of their 350). Any other line, a finding's report included, is
 * written at once and after them; the executor writes what waits before it ends. What a
 * killed executor loses is its last STATUS_FLUSH_MS of progress lines, never a finding.
 */
const STATUS_FLUSH_MS = 100;
let pendingStatus = "";
let pendingSince = 0;
let flushTimer: ReturnType<typeof setTimeout> | undefined;

/** A status line: written within STATUS_FLUSH_MS (at the next one after that, or by a timer when the loop yields). */
export function logStatus(line: string, now: number = performance.now()): void {
  if (pendingStatus === "") pendingSince = now;
  pendingStatus += `${line}\n`;
  if (now - pendingSince >= STATUS_FLUSH_MS) {
    flushStatusLines();
  } else if (flushTimer === undefined) {
    flushTimer = setTimeout(flushStatusLines, STATUS_FLUSH_MS);
    flushTimer.unref();
  }
}

/** Writes the status lines waiting, if any. */
export function flushStatusLines(): void {
  const lines = takePendingStatus();
  if (lines !== "") writeStderr(lines);
}

function takePendingStatus(): string {
  const lines = pendingStatus;
  pendingStatus = "";
  if (flushTimer !== undefined) {
    clearTimeout(flushTimer);
    flushTimer = undefined;
  }
  return lines;
}

export function execsPerSecond(stats: Pick<FuzzStats, "executions" | "elapsedSeconds">): number {
  return stats.elapsedSeconds <= 0 ? 0 : Math.floor(stats.executions / stats.elapsedSeconds);
}

/** Peak resident set size of this process in MiB (getrusage, as libFuzzer's GetPeakRSSMb). */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * How often the status lines read the peak RSS at most. getrusage is not cheap here: in an
 * executor it took 0.5-1.2 ms a call (it grows with the memory mapped: 170 µs in a bare
 * Node with 200 MB of buffers, on this machine), and early in a run, when a NEW line comes
 * every few executions, that was most of what a NEW cost (qs: 55 ms of the first 1,500
 * executions' 290). The final statistics read it afresh (peakRssMb).
 */
const STATUS_RSS_EVERY_MS = 1000;
let statusRss = { mb: 0, at: -Infinity };

/** peakRssMb() as of at most STATUS_RSS_EVERY_MS ago, for a status line. */
export function statusRssMb(now: number = performance.now()): number {
  if (now - statusRss.at >= STATUS_RSS_EVERY_MS) statusRss = { mb: peakRssMb(), at: now };
  return statusRss.mb;
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
