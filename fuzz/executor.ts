// The persistent Node executor that a native fuzzer drives (docs/executor-protocol.md):
// loads the instrumented fuzz target once, then, per request on fd 3, runs one input,
// flushes coverage into the kcov area, copies it to the driver's area file and replies on fd 4. It holds no
// coverage state of its own (PCs are stable across processes), so it may ask to be
// restarted at any time without the engine losing anything.
//
// Started as `node --enable-source-maps --import <jskcov run's preload> executor.js <target>`,
// so the target and what it loads are instrumented exactly as under `jskcov run`.

import * as fs from "node:fs";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { Kcov, KCOV_TRACE_PC, blocks } from "../runtime";
import { readRunConfig } from "../cli/run-config";
import { DEFAULT_COMPARE_AREA_WORDS, DEFAULT_COMPARE_STRING_RECORDS, ExecutorCompareAreas, type CompareAreaRequest } from "./executor-compare";
import { installJazzerCoreFallback } from "./jazzer-compat";
import { targetStack } from "./findings";
import { FuzzTargetError, loadFuzzTarget, runFuzzTarget, type ExecutionOutcome, type FuzzTarget } from "./target";

export const EXECUTOR_PROTOCOL_VERSION = 3;
/** "JJSK" in memory: the first word of the hello. */
export const HELLO_MAGIC = 0x4b534a4a;
export const REQUEST_FD = 3;
export const REPLY_FD = 4;

/** Request kinds (driver -> executor). */
export const REQUEST_RUN = 1;
export const REQUEST_COLLECT_AGAIN = 2;
export const REQUEST_EXIT = 3;
/** Hands afl-fuzz's forkserver exchange to the executor (the direct AFL++ mode); native/afl-direct.h. */
export const REQUEST_SERVE_AFL = 4;
/** The wait status afl-fuzz is told for a JavaScript crash: a SIGABRT death. */
const AFL_CRASH_WAIT_STATUS = 6;
/** Reply outcomes (executor -> driver). */
export const OUTCOME_OK = 0;
export const OUTCOME_CRASH = 1;
export const REPLY_FLAG_RESTART = 1;
/** Hello feature bits (protocol 2, and 3 for the control page). */
export const FEATURE_COMPARE_AREAS = 1;
export const FEATURE_CONTROL_PAGE = 2;

/** The executor's status when the target cannot be loaded (no hello was sent). */
export const LOAD_FAILURE_STATUS = 3;

/**
 * The PC layout the instrumentation used (the plugin's pcLayout, from the preload's
 * configuration; docs/block-table.md), named in the hello so that a driver that decodes
 * PCs knows which formula made them. Drivers that only hash PCs can ignore it.
 */
function pcLayoutName(): string {
  return readRunConfig()?.pcLayout ?? "unknown";
}
export const PC_LAYOUT_VERSION = 1;

export const DEFAULT_AREA_WORDS = 1 << 20;
const DEFAULT_MAX_RSS_MB = 1536;
/** How often (in runs) the resident set is checked; reading it costs a syscall. */
const RSS_CHECK_INTERVAL = 64;
/** How long a wait for the next request polls the control page before it blocks (JSKCOV_SPIN_US). */
export const DEFAULT_SPIN_US = 50;
/** After a wait that had to block, only every this many waits spin (as native/harness.c). */
const SPIN_RETRY_EVERY = 16;

interface ExecutorSettings {
  targetPath: string;
  areaPath: string;
  areaWords: number;
  maxRuns: number;
  maxRssBytes: number;
  /** The comparison areas the driver asked for, if it did. */
  compare: CompareAreaRequest | undefined;
  /** The driver's control page (JSKCOV_EXECUTOR_CONTROL), if it gave one. */
  controlPath: string | undefined;
  spinMicroseconds: number;
}

function positiveIntegerFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number >= 0, got '${text}'`);
  }
  return value;
}

function readSettings(argv: string[]): ExecutorSettings {
  const targetPath = argv[0];
  if (targetPath === undefined) throw new Error("usage: executor.js <fuzz target module> (see docs/executor-protocol.md)");
  const areaPath = process.env.JSKCOV_EXECUTOR_AREA;
  if (areaPath === undefined || areaPath === "") throw new Error("JSKCOV_EXECUTOR_AREA (the kcov area file to create) is not set");
  return {
    targetPath,
    areaPath,
    areaWords: positiveIntegerFromEnv("JSKCOV_EXECUTOR_AREA_WORDS", DEFAULT_AREA_WORDS),
    maxRuns: positiveIntegerFromEnv("JSKCOV_EXECUTOR_MAX_RUNS", 0),
    maxRssBytes: positiveIntegerFromEnv("JSKCOV_EXECUTOR_MAX_RSS_MB", DEFAULT_MAX_RSS_MB) * 1024 * 1024,
    compare: compareRequest(),
    controlPath: process.env.JSKCOV_EXECUTOR_CONTROL || undefined,
    spinMicroseconds: spinMicroseconds(),
  };
}

/**
 * JSKCOV_SPIN_US, but 0 on one CPU (afl-fuzz binds itself and its children to one core by
 * default): there the driver cannot run while we spin, so block at once, as the harness does.
 * Unless the driver says that this one CPU is the executor's own (JSKCOV_EXECUTOR_OWN_CPU=1:
 * the harness placed it there and runs elsewhere).
 */
function spinMicroseconds(): number {
  const given = positiveIntegerFromEnv("JSKCOV_SPIN_US", DEFAULT_SPIN_US);
  return availableParallelism() === 1 && process.env.JSKCOV_EXECUTOR_OWN_CPU !== "1" ? 0 : given;
}

/** JSKCOV_EXECUTOR_CMP_AREA and JSKCOV_EXECUTOR_CMP_STRINGS ask for the comparison areas. */
function compareRequest(): CompareAreaRequest | undefined {
  const areaPath = process.env.JSKCOV_EXECUTOR_CMP_AREA;
  if (areaPath === undefined || areaPath === "") return undefined;
  const stringsPath = process.env.JSKCOV_EXECUTOR_CMP_STRINGS;
  if (stringsPath === undefined || stringsPath === "") throw new Error("JSKCOV_EXECUTOR_CMP_AREA is set without JSKCOV_EXECUTOR_CMP_STRINGS (the string area's file)");
  return {
    areaPath,
    stringsPath,
    words: positiveIntegerFromEnv("JSKCOV_EXECUTOR_CMP_WORDS", DEFAULT_COMPARE_AREA_WORDS),
    stringRecords: positiveIntegerFromEnv("JSKCOV_EXECUTOR_CMP_STRING_RECORDS", DEFAULT_COMPARE_STRING_RECORDS),
  };
}

/**
 * The driver's control page (protocol 3): word 0 is the number of requests it has written
 * whole to fd 3. A read that blocks on an idle core costs the driver a wake-up (on this
 * project's VMs about 20 us), so before blocking, the executor polls that word for a while:
 * once it exceeds the requests read so far, the read will not block. A wait that outlasts
 * the spin makes the next ones block at once (an idle or slow driver), but every 16th; a
 * wait that blocked without spinning and was over within the spin's time makes the next one
 * spin again (one slow run among fast ones), as in native/harness.c.
 */
class ControlPage {
  private readonly fd: number;
  private readonly requestsWritten = new Uint32Array(1);
  private missed = 0;
  /** When a wait that did not spin began (performance.now()); undefined = none. */
  private blockedSince: number | undefined;

  constructor(
    path: string,
    private readonly spinMilliseconds: number,
  ) {
    this.fd = fs.openSync(path, "r");
  }

  /** Returns once the driver has written more than `requestsRead` requests, or the spin is over. */
  spinUntilRequest(requestsRead: number): void {
    if (this.spinMilliseconds === 0) return;
    if (this.missed % SPIN_RETRY_EVERY !== 0) {
      this.missed++;
      this.blockedSince = performance.now();
      return;
    }
    const until = performance.now() + this.spinMilliseconds;
    do {
      fs.readSync(this.fd, this.requestsWritten, 0, 4, 0);
      if (this.requestsWritten[0] !== requestsRead) {
        this.missed = 0;
        return;
      }
    } while (performance.now() < until);
    this.missed++;
  }

  /** After the read that followed spinUntilRequest: a wait without a spin that was over within the spin's time. */
  waitOver(): void {
    if (this.blockedSince === undefined) return;
    if (performance.now() - this.blockedSince <= this.spinMilliseconds) this.missed = 0;
    this.blockedSince = undefined;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/**
 * The requests on fd 3, read with as few system calls as possible: a driver that writes each
 * request whole (as the harness does) costs one read per request, header and input together.
 */
class RequestReader {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private start = 0;
  private end = 0;
  /** Requests returned so far, modulo 2^32 (as the control page counts them). */
  private requestsRead = 0;

  constructor(
    private readonly fd: number,
    private readonly control: ControlPage | undefined,
  ) {}

  /** The next request, or undefined at end of file (the driver is gone). The input is the run's own copy. */
  next(): { kind: number; input: Buffer } | undefined {
    if (!this.fill(8)) return undefined;
    const kind = this.buffer.readUInt32LE(this.start);
    const length = this.buffer.readUInt32LE(this.start + 4);
    if (!this.fill(8 + length)) return undefined;
    const input = Buffer.allocUnsafe(length);
    this.buffer.copy(input, 0, this.start + 8, this.start + 8 + length);
    this.start += 8 + length;
    this.requestsRead = (this.requestsRead + 1) >>> 0;
    return { kind, input };
  }

  /** Makes `count` bytes available from `start`; false at end of file. */
  private fill(count: number): boolean {
    if (this.end - this.start >= count) return true;
    if (count > this.buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(count, this.buffer.length * 2));
      this.buffer.copy(larger, 0, this.start, this.end);
      this.buffer = larger;
    } else {
      this.buffer.copy(this.buffer, 0, this.start, this.end);
    }
    this.end -= this.start;
    this.start = 0;
    this.control?.spinUntilRequest(this.requestsRead);
    while (this.end < count) {
      const got = fs.readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, null);
      if (got === 0) return false;
      this.end += got;
    }
    this.control?.waitOver();
    return true;
  }
}

/**
 * The driver's copy of the kcov area (JSKCOV_EXECUTOR_AREA), created and sized before the
 * hello. The device's own area is a SharedArrayBuffer (JavaScript cannot map a file);
 * each run starts it over at word 1, and after the flush word 0 and the flush's PCs go to
 * the file in one pwrite: the driver reads them only after the reply. (A device with
 * `{ file }` would also pread word 0 for a reset made in the file and write word 0 apart,
 * after the PCs, for readers that look while it runs: three system calls where one does.)
 */
class AreaFile {
  private readonly fd: number;
  private readonly bytes: Uint8Array;

  constructor(
    path: string,
    private readonly area: BigUint64Array,
  ) {
    this.fd = fs.openSync(path, "w+", 0o600);
    fs.fchmodSync(this.fd, 0o600); // openSync's mode applies only when it creates the file
    fs.ftruncateSync(this.fd, area.byteLength);
    this.bytes = new Uint8Array(area.buffer, area.byteOffset, area.byteLength);
  }

  /** Empties the device's area: the next flush appends from word 1, whatever the driver did to the file. */
  startOver(): void {
    this.area[0] = 0n;
  }

  /** Copies word 0 and the `pcs` PCs the flush appended (from word 1) into the file. */
  copyFlush(pcs: number): void {
    fs.writeSync(this.fd, this.bytes, 0, (pcs + 1) * 8, 0);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function writeFully(fd: number, buffer: Buffer): void {
  let done = 0;
  while (done < buffer.length) done += fs.writeSync(fd, buffer, done, buffer.length - done);
}

function helloMessage(areaWords: number, compare: ExecutorCompareAreas | undefined, control: ControlPage | undefined): Buffer {
  const pcs = Array.from(blocks(), (block) => block.pc).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const layout = Buffer.from(pcLayoutName(), "utf8");
  const message = Buffer.alloc(HELLO_HEADER_BYTES + layout.length + pcs.length * 8);
  message.writeUInt32LE(HELLO_MAGIC, 0);
  message.writeUInt32LE(EXECUTOR_PROTOCOL_VERSION, 4);
  message.writeUInt32LE(areaWords, 8);
  message.writeUInt32LE(pcs.length, 12);
  message.writeUInt32LE(layout.length, 16);
  message.writeUInt32LE(PC_LAYOUT_VERSION, 20);
  message.writeUInt32LE((compare === undefined ? 0 : FEATURE_COMPARE_AREAS) | (control === undefined ? 0 : FEATURE_CONTROL_PAGE), 24);
  message.writeUInt32LE(compare?.words ?? 0, 28);
  message.writeUInt32LE(compare?.stringRecords ?? 0, 32);
  layout.copy(message, HELLO_HEADER_BYTES);
  let offset = HELLO_HEADER_BYTES + layout.length;
  for (const pc of pcs) {
    message.writeBigUInt64LE(pc, offset);
    offset += 8;
  }
  return message;
}

/** The hello's fixed part: nine u32 (docs/executor-protocol.md). */
const HELLO_HEADER_BYTES = 36;

/** The reply header, reused: a run that finds nothing allocates nothing for its reply. */
const replyHeader = Buffer.alloc(16);

function sendReply(outcome: number, flags: number, leftover: number, detail: string): void {
  const detailBytes = detail === "" ? undefined : Buffer.from(detail, "utf8");
  replyHeader.writeUInt32LE(outcome, 0);
  replyHeader.writeUInt32LE(flags, 4);
  replyHeader.writeUInt32LE(leftover, 8);
  replyHeader.writeUInt32LE(detailBytes?.length ?? 0, 12);
  writeFully(REPLY_FD, detailBytes === undefined ? replyHeader : Buffer.concat([replyHeader, detailBytes]));
}

function isPromise(value: ExecutionOutcome | Promise<ExecutionOutcome>): value is Promise<ExecutionOutcome> {
  return typeof (value as Promise<ExecutionOutcome>).then === "function";
}

/** native/afl-direct.c's functions (docs/executor-protocol.md, "The direct AFL++ mode"). */
interface AflDirectAddon {
  setup(config: Buffer, area: BigUint64Array, controlPath: string): void;
  next(): Buffer | undefined;
  add(count: number): void;
  report(waitStatus: number, restart: boolean): void;
}

function loadAflDirectAddon(): AflDirectAddon {
  const addonPath = process.env.JSKCOV_AFL_DIRECT_ADDON;
  if (addonPath === undefined || addonPath === "") throw new Error("the harness asked for the direct AFL++ mode, but JSKCOV_AFL_DIRECT_ADDON (the addon's path) is not set");
  const module = { exports: {} };
  process.dlopen(module, addonPath);
  return module.exports as AflDirectAddon;
}

/**
 * The direct AFL++ mode: afl-fuzz's requests, pids and wait statuses, its input and its bitmap
 * go through the addon, without the harness, until afl-fuzz is gone or a restart is due. The
 * harness supervises: it writes what afl-fuzz waits for when this process dies.
 */
async function serveAfl(target: FuzzTarget, kcov: Kcov, config: Buffer, settings: ExecutorSettings): Promise<void> {
  if (settings.controlPath === undefined) throw new Error("the direct AFL++ mode needs the control page (JSKCOV_EXECUTOR_CONTROL)");
  const addon = loadAflDirectAddon();
  const area = kcov.mmap();
  addon.setup(config, area, settings.controlPath);
  let runs = 0;
  for (;;) {
    const input = addon.next();
    if (input === undefined) return; // afl-fuzz is done
    const pending = runFuzzTarget(target, input);
    const outcome = isPromise(pending) ? await pending : pending;
    area[0] = 0n;
    addon.add(kcov.collect());
    while (kcov.leftover > 0) {
      area[0] = 0n;
      addon.add(kcov.collect());
    }
    runs++;
    const crashed = outcome.kind === "crash";
    const restart =
      (settings.maxRuns > 0 && runs >= settings.maxRuns) ||
      ((crashed || runs % RSS_CHECK_INTERVAL === 0) && process.memoryUsage.rss() > settings.maxRssBytes);
    if (crashed) process.stderr.write(`jskcov: the fuzz target threw (JavaScript):\n${targetStack(outcome.stack)}\n`);
    addon.report(crashed ? AFL_CRASH_WAIT_STATUS : 0, restart);
    if (restart) return;
  }
}

/** Serves requests until the driver asks to exit, goes away, or a restart is due. */
async function serve(
  target: FuzzTarget,
  kcov: Kcov,
  areaFile: AreaFile,
  compare: ExecutorCompareAreas | undefined,
  control: ControlPage | undefined,
  settings: ExecutorSettings,
): Promise<void> {
  const requests = new RequestReader(REQUEST_FD, control);
  let runs = 0;
  for (;;) {
    const next = requests.next();
    if (next === undefined) return; // the driver closed the pipe: it is gone
    const { kind: request, input } = next;
    if (request === REQUEST_EXIT) return;
    if (request === REQUEST_SERVE_AFL) return serveAfl(target, kcov, input, settings);
    if (request === REQUEST_COLLECT_AGAIN) {
      areaFile.startOver();
      areaFile.copyFlush(kcov.collect());
      sendReply(OUTCOME_OK, 0, kcov.leftover, "");
      continue;
    }
    if (request !== REQUEST_RUN) throw new Error(`unknown request ${request} on fd ${REQUEST_FD} (protocol ${EXECUTOR_PROTOCOL_VERSION})`);
    compare?.reset();
    const pending = runFuzzTarget(target, input);
    const outcome = isPromise(pending) ? await pending : pending;
    areaFile.startOver();
    areaFile.copyFlush(kcov.collect());
    compare?.collect();
    runs++;
    const crashed = outcome.kind === "crash";
    const restart =
      (settings.maxRuns > 0 && runs >= settings.maxRuns) ||
      ((crashed || runs % RSS_CHECK_INTERVAL === 0) && process.memoryUsage.rss() > settings.maxRssBytes);
    sendReply(crashed ? OUTCOME_CRASH : OUTCOME_OK, restart ? REPLY_FLAG_RESTART : 0, kcov.leftover, crashed ? targetStack(outcome.stack) : "");
    if (restart) return;
  }
}

async function main(): Promise<void> {
  let settings: ExecutorSettings;
  let target: FuzzTarget;
  let compare: ExecutorCompareAreas | undefined;
  let control: ControlPage | undefined;
  let areaFile: AreaFile;
  const kcov = new Kcov();
  try {
    settings = readSettings(process.argv.slice(2));
    kcov.initTrace(settings.areaWords);
    areaFile = new AreaFile(settings.areaPath, kcov.mmap()); // created and sized before the hello
    compare = settings.compare === undefined ? undefined : new ExecutorCompareAreas(settings.compare);
    control = settings.controlPath === undefined ? undefined : new ControlPage(settings.controlPath, settings.spinMicroseconds / 1000);
    installJazzerCoreFallback();
    target = await loadFuzzTarget(settings.targetPath);
  } catch (error) {
    const why = error instanceof FuzzTargetError ? error.message : error instanceof Error ? targetStack(error.stack ?? error.message) : String(error);
    process.stderr.write(`jskcov executor: cannot start: ${why}\n`);
    process.exit(LOAD_FAILURE_STATUS);
  }
  kcov.enable(KCOV_TRACE_PC); // forgets the blocks that ran while the target loaded
  compare?.enable();
  writeFully(REPLY_FD, helloMessage(settings.areaWords, compare, control));
  // A promise of the target's that never settles is a hang for the harness's deadline,
  // not an executor that exits because its event loop emptied (libFuzzer: deadly signal).
  const keepAlive = setInterval(() => {}, 0x7fffffff);
  await serve(target, kcov, areaFile, compare, control, settings);
  clearInterval(keepAlive);
  kcov.close();
  areaFile.close();
  compare?.close();
  control?.close();
  process.exit(0);
}

void main();
