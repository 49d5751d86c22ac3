// The built-in engine's supervisor and watchdog, in the `jskcov fuzz` process itself
// (docs/fuzzing.md, "Process architecture"). It starts the executor (fuzz-process.ts) with
// `jskcov run`'s preload, watches the shared current-input file, and turns a hang, an
// out-of-memory executor or a dead one into a finding with the input that caused it. With
// -ignore_timeouts/-ignore_ooms/-ignore_crashes, and always in regression mode, it starts
// a new executor, which continues where the last one stopped.

import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { RUN_CONFIG_ENV, type SerializedRunConfig } from "../../cli/run-config";
import type { FuzzerFlags } from "../flags";
import { INTERRUPT_EXIT_CODE, exitStatusFor, sha1Hex, stoppedDedupKeyOf, targetStack, type FindingKind } from "../findings";
import { HEADER, readCurrentInput, type CurrentInputSnapshot } from "./current-input";
import { FindingsRecord } from "./findings-record";
import { CHANNEL_FD, requestStack } from "./hang-stack";
import type { ExecutorConfig } from "./fuzz-loop";
import { isRegularFile, listDirectory } from "./input-files";
import { describeInput, finalStatsLines, log, summaryLine, type FuzzStats } from "./status-lines";

export interface FuzzSession {
  /** How files are instrumented: the configuration `jskcov run` would use. */
  runConfig: SerializedRunConfig;
  target: string;
  /** Corpus directories (fuzzing) or input files and directories (regression). */
  inputs: string[];
  flags: FuzzerFlags;
  /** --regression, or -runs=0 with inputs, or input files given. */
  regression: boolean;
}

/** The marker V8 prints when a heap limit kills the process. */
const V8_HEAP_OOM = /JavaScript heap out of memory|Reached heap limit/;
const STDERR_TAIL_BYTES = 8192;

interface ExecutorEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the watchdog killed it, if it did. */
  killedFor: "timeout" | "oom" | "interrupt" | undefined;
  stderrTail: string;
  peakRssMb: number;
  /** The main thread's stack when it was killed for a timeout or -rss_limit_mb, if it gave one. */
  stack: string | undefined;
}

/** Runs a session; resolves with the exit status of `jskcov fuzz`. */
export async function runBuiltinEngine(session: FuzzSession): Promise<number> {
  const sessionDir = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-fuzz-"));
  const inputDir = memoryDir() ?? sessionDir;
  try {
    return await superviseSession(session, sessionDir, path.join(inputDir, "current-input"));
  } finally {
    fs.rmSync(sessionDir, { recursive: true, force: true });
    if (inputDir !== sessionDir) fs.rmSync(inputDir, { recursive: true, force: true });
  }
}

/** Where Linux keeps a memory file system for anyone: the current-input file's place. */
const MEMORY_FS = "/dev/shm";

/**
 * A new directory on the memory file system, or undefined where there is none. The
 * executor rewrites the current-input file before every execution: on a disk file system
 * each pwrite also updates the file's inode through the journal, and on ext4 it then
 * waits on the journal commits that new corpus files start (bench/fuzz-engine.mjs: 44 µs
 * of the executor's CPU per execution with the file on /tmp, 14 µs on /dev/shm).
 */
export function memoryDir(): string | undefined {
  try {
    return fs.mkdtempSync(path.join(MEMORY_FS, "jskcov-fuzz-"));
  } catch {
    return undefined;
  }
}

/**
 * Whether findings are saved as artifacts: as in libFuzzer, not when every input given is
 * a file (FuzzerDriver.cpp: RunIndividualFiles sets SaveArtifacts = false), where the
 * replayed file is the reproducer already; a corpus directory replayed (-runs=0,
 * --regression) saves them.
 */
function savesArtifacts(inputs: string[]): boolean {
  return !(inputs.length > 0 && inputs.every((input) => !fs.statSync(input).isDirectory()));
}

/** The inputs of regression mode: files as given, directories' files in name order. */
function regressionFiles(inputs: string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    if (!fs.statSync(input).isDirectory()) {
      files.push(input);
      continue;
    }
    for (const name of listDirectory(input)) {
      const file = path.join(input, name);
      // A dangling link is named now, before any input runs.
      if (isRegularFile(file)) files.push(file);
    }
  }
  return files;
}

async function superviseSession(session: FuzzSession, sessionDir: string, currentInputFile: string): Promise<number> {
  const { flags } = session;
  const findings = new FindingsRecord(path.join(sessionDir, "findings.jsonl"));
  const seed = flags.seed !== 0 ? flags.seed : crypto.randomInt(1, 0x7fffffff);
  let corpusDirs = session.inputs;
  let temporaryCorpus = false;
  if (!session.regression && corpusDirs.length === 0) {
    corpusDirs = [path.join(sessionDir, "corpus")];
    fs.mkdirSync(corpusDirs[0]);
    temporaryCorpus = true;
  }
  const regressionInputs = session.regression ? regressionFiles(session.inputs) : null;
  const config: ExecutorConfig = {
    target: session.target,
    flags,
    corpusDirs,
    temporaryCorpus,
    regressionInputs,
    currentInputFile,
    findingsFile: findings.file,
    seed,
    startExecutions: 0,
    startIndex: 0,
    sessionStart: Date.now(),
    countBuckets: session.runConfig.counterMode === "count" && flags.use_counters !== 0,
    skipSeeds: [],
    saveArtifacts: savesArtifacts(session.inputs),
  };
  let firstStatus: number | undefined;
  let lastSnapshot: CurrentInputSnapshot | undefined;
  for (let restart = 0; ; restart++) {
    fs.rmSync(config.currentInputFile, { force: true });
    const end = await runExecutor(session, config, sessionDir, restart);
    const snapshot = readCurrentInput(config.currentInputFile, true);
    if (snapshot === undefined) {
      // It never ran an input: the target did not load, or the executor failed to start.
      if (end.killedFor === "interrupt") return interrupted(lastSnapshot, findings, config);
      return end.code === 0 || end.code === null ? 1 : end.code;
    }
    lastSnapshot = snapshot;
    const endStatus = snapshot.fields[HEADER.endStatus];
    if (end.killedFor === "interrupt") return interrupted(snapshot, findings, config);
    if (endStatus >= 0 && end.killedFor === undefined && end.code === endStatus) {
      return firstStatus ?? endStatus;
    }
    const kind = classifyDeath(end);
    reportDeath(kind, end, snapshot, flags);
    // Deduplicated by the top frames where a stack exists, else by kind alone.
    const dedupKey = end.stack === undefined ? kind : stoppedDedupKeyOf(end.stack);
    const earlier = findings.artifactOf(kind, dedupKey);
    if (earlier === undefined) {
      const replayed = regressionInputs?.[snapshot.fields[HEADER.inputIndex]] ?? "";
      findings.add({ kind, dedupKey, artifact: config.saveArtifacts ? findings.saveArtifact(kind, snapshot.input, flags, log) : replayed });
    } else {
      log(`INFO: jskcov: another ${SUMMARY_NAMES[kind]}${end.stack === undefined ? "" : " with the same top stack frames"}, as ${earlier}; not saved again`);
    }
    const topFrame = end.stack === undefined ? undefined : targetStack(end.stack).split("\n").find((line) => line.trimStart().startsWith("at "));
    log(`SUMMARY: libFuzzer: ${SUMMARY_NAMES[kind]}${topFrame === undefined ? "" : ` ${topFrame.trim()}`}`);
    firstStatus ??= exitStatusFor(kind, flags);
    config.skipSeeds.push(sha1Hex(snapshot.input));
    config.startExecutions = snapshot.fields[HEADER.executions];
    // A hung input ran at least -timeout seconds before the watchdog stopped it.
    const hungMs = kind === "timeout" ? flags.timeout * 1000 : 0;
    config.slowestUnitMs = snapshot.fields[HEADER.slowestUnitMs] = Math.max(snapshot.fields[HEADER.slowestUnitMs], hungMs);
    config.startIndex = snapshot.fields[HEADER.inputIndex] + 1;
    config.fuzzingStart = snapshot.fields[HEADER.fuzzingStart];
    const goOn = session.regression ? config.startIndex < (regressionInputs?.length ?? 0) : ignores(kind, flags) && budgetLeft(config);
    if (!goOn) {
      printSummary(snapshot, findings, config, end.peakRssMb);
      return firstStatus;
    }
    log(`INFO: jskcov: starting a new executor after the ${kind} (the corpus is kept)`);
    config.seed = (seed + restart + 1) >>> 0;
  }
}

function classifyDeath(end: ExecutorEnd): FindingKind {
  if (end.killedFor === "timeout") return "timeout";
  if (end.killedFor === "oom" || V8_HEAP_OOM.test(end.stderrTail)) return "oom";
  if (end.signal !== null) return "deadly-signal";
  return "exited";
}

function reportDeath(kind: FindingKind, end: ExecutorEnd, snapshot: CurrentInputSnapshot, flags: FuzzerFlags): void {
  const pid = process.pid;
  const input = describeInput(snapshot.input);
  switch (kind) {
    case "timeout":
      log(`ALARM: working on the last Unit for ${flags.timeout} seconds`);
      log(`       and the timeout value is ${flags.timeout} (use -timeout=N to change)`);
      for (const line of input) log(line);
      log(`==${pid}== ERROR: libFuzzer: timeout after ${flags.timeout} seconds`);
      logStack(end);
      return;
    case "oom":
      log(`==${pid}== ERROR: libFuzzer: out-of-memory (used: ${end.peakRssMb}Mb; limit: ${flags.rss_limit_mb}Mb)`);
      logStack(end);
      log("   To change the out-of-memory limit use -rss_limit_mb=<N>");
      for (const line of input) log(line);
      return;
    case "deadly-signal":
      log(`==${pid}== ERROR: libFuzzer: deadly signal (the target process died by ${end.signal})`);
      for (const line of input) log(line);
      return;
    default:
      log(`==${pid}== ERROR: libFuzzer: fuzz target exited (status ${end.code})`);
      for (const line of input) log(line);
  }
}

/** The hung (or runaway) code's stack, as libFuzzer prints one on a timeout. */
function logStack(end: ExecutorEnd): void {
  if (end.stack === undefined) {
    log("INFO: jskcov: no JavaScript stack (the executor did not pause: native code, or a V8 heap limit)");
    return;
  }
  const stack = targetStack(end.stack);
  if (stack.trim() === "") {
    log("INFO: jskcov: the main thread was idle, running none of the target's code: a promise of the target's that never settles?");
    return;
  }
  log("The main thread was here when it was stopped:");
  log(stack);
}

const SUMMARY_NAMES: Record<FindingKind, string> = {
  crash: "crash",
  "deadly-signal": "deadly signal",
  exited: "fuzz target exited",
  timeout: "timeout",
  oom: "out-of-memory",
};

function ignores(kind: FindingKind, flags: FuzzerFlags): boolean {
  if (kind === "timeout") return flags.ignore_timeouts !== 0;
  if (kind === "oom") return flags.ignore_ooms !== 0;
  return flags.ignore_crashes !== 0;
}

function budgetLeft(config: ExecutorConfig): boolean {
  const { runs, max_total_time: maxTotalTime } = config.flags;
  if (runs >= 0 && config.startExecutions >= runs) return false;
  return !(maxTotalTime > 0 && Date.now() >= fuzzingStartOf(config) + maxTotalTime * 1000);
}

/** When fuzzing started (ExecutorConfig.fuzzingStart); the session's start before any executor loaded the target. */
function fuzzingStartOf(config: ExecutorConfig): number {
  return config.fuzzingStart ?? config.sessionStart;
}

function statsOf(snapshot: CurrentInputSnapshot | undefined, findings: FindingsRecord, config: ExecutorConfig): FuzzStats {
  const field = (name: keyof typeof HEADER) => snapshot?.fields[HEADER[name]] ?? 0;
  return {
    executions: field("executions"),
    covered: field("covered"),
    features: field("features"),
    corpusEntries: field("corpusEntries"),
    corpusBytes: field("corpusBytes"),
    registeredBlocks: field("registeredBlocks"),
    newUnits: field("newUnits"),
    elapsedSeconds: (Date.now() - fuzzingStartOf(config)) / 1000,
    findings: findings.size,
    slowestUnitMs: field("slowestUnitMs"),
  };
}

function printSummary(snapshot: CurrentInputSnapshot | undefined, findings: FindingsRecord, config: ExecutorConfig, peakRssMb: number): void {
  const stats = statsOf(snapshot, findings, config);
  if (config.flags.print_final_stats !== 0) for (const line of finalStatsLines(stats, peakRssMb)) log(line);
  log(summaryLine(stats));
}

function interrupted(snapshot: CurrentInputSnapshot | undefined, findings: FindingsRecord, config: ExecutorConfig): number {
  log(`==${process.pid}== libFuzzer: run interrupted; exiting`);
  printSummary(snapshot, findings, config, 0);
  return INTERRUPT_EXIT_CODE;
}

/** Resident set size of a process in MiB, from /proc (Linux); undefined elsewhere. */
function rssMbOf(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "latin1");
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match === null ? undefined : Math.round(Number(match[1]) / 1024);
  } catch {
    return undefined;
  }
}

/** Starts one executor and watches it until it exits. */
function runExecutor(session: FuzzSession, config: ExecutorConfig, sessionDir: string, restart: number): Promise<ExecutorEnd> {
  const configFile = path.join(sessionDir, `executor-${restart}.json`);
  fs.writeFileSync(configFile, JSON.stringify(config));
  const preload = pathToFileURL(path.join(__dirname, "..", "..", "cli", "preload.js")).href;
  const { flags } = session;
  const nodeArgs = ["--enable-source-maps"];
  if (flags.rss_limit_mb > 0) nodeArgs.push(`--max-old-space-size=${flags.rss_limit_mb}`);
  // supervisorPid: an executor whose `jskcov fuzz` is gone (SIGKILL) ends itself, and
  // removes the session's temporary directories, which nobody else would.
  const runConfig: SerializedRunConfig = {
    ...session.runConfig, out: path.join(sessionDir, "kcov.out"), progress: false, processDir: null,
    supervisorPid: process.pid, removeWhenOrphaned: [sessionDir, path.dirname(config.currentInputFile)],
  };
  const child = spawn(process.execPath, [...nodeArgs, "--import", preload, path.join(__dirname, "fuzz-process.js"), configFile], {
    // fd 3 (CHANNEL_FD): the channel to the executor's stack reporter (hang-stack.ts).
    stdio: ["ignore", "inherit", "pipe", "pipe"],
    env: { ...process.env, [RUN_CONFIG_ENV]: JSON.stringify(runConfig) },
  });
  let stderrTail = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderrTail = (stderrTail + chunk.toString("latin1")).slice(-STDERR_TAIL_BYTES);
  });

  const channel = child.stdio[CHANNEL_FD] as (Readable & Writable) | null;
  channel?.on("error", () => {});
  let killedFor: ExecutorEnd["killedFor"];
  let peakRssMb = 0;
  let stack: string | undefined;
  const kill = (reason: NonNullable<ExecutorEnd["killedFor"]>) => {
    if (killedFor !== undefined) return;
    killedFor = reason;
    if (reason === "interrupt") {
      child.kill("SIGKILL");
      return;
    }
    // The stack first (the executor pauses where it is), then the kill.
    void requestStack(channel).then((answer) => {
      stack = answer;
      child.kill("SIGKILL");
    });
  };
  const timeoutMs = flags.timeout > 0 ? flags.timeout * 1000 : Infinity;
  const pollMs = Math.max(10, Math.min(250, timeoutMs / 10));
  let lastExecutions = -1;
  let lastChange = Date.now();
  const watchdog = setInterval(() => {
    const rss = child.pid === undefined ? undefined : rssMbOf(child.pid);
    if (rss !== undefined) peakRssMb = Math.max(peakRssMb, rss);
    if (flags.rss_limit_mb > 0 && rss !== undefined && rss > flags.rss_limit_mb) return kill("oom");
    const snapshot = readCurrentInput(config.currentInputFile, false);
    if (snapshot === undefined || snapshot.fields[HEADER.endStatus] >= 0) {
      lastChange = Date.now();
      return;
    }
    const executions = snapshot.fields[HEADER.executions];
    const now = Date.now();
    if (executions !== lastExecutions) {
      lastExecutions = executions;
      lastChange = now;
    } else if (now - lastChange >= timeoutMs) {
      kill("timeout");
    }
  }, pollMs);
  const interrupt = () => kill("interrupt");
  // The reader of our stdout or stderr gone (`| head`): no one reads the session any more, so
  // it ends as an interrupt does, and the executor does not die on the broken pipe it shares
  // (which would leave the session's directories behind).
  const interruptWithoutReader = (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") interrupt();
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  process.stdout.on("error", interruptWithoutReader);
  process.stderr.on("error", interruptWithoutReader);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearInterval(watchdog);
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
      process.stdout.off("error", interruptWithoutReader);
      process.stderr.off("error", interruptWithoutReader);
      resolve({ code, signal, killedFor, stderrTail, peakRssMb, stack });
    });
  });
}
