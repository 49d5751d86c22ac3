// One dump per process and worker thread of a `jskcov run`: every thread of every Node
// process in the program's tree has its own registry and counters, so each writes its
// own dump into the run's process directory when it exits, and `jskcov run` merges them
// (merge-dumps.ts) when the program has ended. Each thread leaves three files:
//   <id>.kcov              its kcov area (the PCs it ran),
//   <id>.kcov.blocks.json  its block map, so the pair is an ordinary dump for symbolize/report,
//   <id>.process.json      who it was (ProcessRecord): written last, it marks the pair complete.
// <id> is the pid for a main thread and <pid>-worker<threadId> for a worker thread.

import * as fs from "node:fs";
import * as path from "node:path";
import { blockMapOf, encodeArea, executedPcs, readArea, readBlockMap, registeredFiles, type BlockMap } from "./coverage-files";
import { blockMapPathFor } from "./run-config";
import { parseJson, stringifyJson } from "../runtime/own-json";

const DUMP_SUFFIX = ".kcov";
const RECORD_SUFFIX = ".process.json";

/** A Node child process that a thread started, as its ChildProcess saw it. */
export interface StartedChild {
  pid: number;
  command: string;
}

/** Who wrote a per-process dump, and whom it started (to find children that left none). */
export interface ProcessRecord {
  pid: number;
  ppid: number;
  threadId: number;
  argv: string[];
  /** performance.timeOrigin: orders the dumps parent first when they are merged. */
  startedAt: number;
  transformedFiles: number;
  transformedFromCache: number;
  /** Node child processes started from this thread (fork, spawn or exec of node). */
  nodeChildren: StartedChild[];
  /** threadIds of the worker threads started from this thread. */
  workers: number[];
}

export interface ProcessDump {
  record: ProcessRecord;
  dumpPath: string;
  pcs: bigint[];
  map: BlockMap;
}

function dumpId(pid: number, threadId: number): string {
  return threadId === 0 ? `${pid}` : `${pid}-worker${threadId}`;
}

/** Writes this thread's dump, block map and record into `dir`. */
export function writeProcessDump(dir: string, root: string, record: ProcessRecord): void {
  // Not path.join: Node's calls the realm's Array.prototype.push, which the program may have
  // replaced by the time this runs, at its exit (runtime/intrinsics.ts).
  const base = dir + path.sep + dumpId(record.pid, record.threadId);
  const dumpPath = base + DUMP_SUFFIX;
  fs.writeFileSync(blockMapPathFor(dumpPath), stringifyJson(blockMapOf(registeredFiles(), root)) + "\n");
  fs.writeFileSync(dumpPath, encodeArea(executedPcs()));
  fs.writeFileSync(base + RECORD_SUFFIX, stringifyJson(record) + "\n");
}

/** Every complete per-process dump in `dir`, parent processes before the ones they started. */
export function readProcessDumps(dir: string): ProcessDump[] {
  const dumps: ProcessDump[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith(RECORD_SUFFIX)) continue;
    const record = parseJson(fs.readFileSync(path.join(dir, name), "utf8")) as ProcessRecord;
    const dumpPath = path.join(dir, name.slice(0, -RECORD_SUFFIX.length) + DUMP_SUFFIX);
    dumps.push({ record, dumpPath, pcs: readArea(dumpPath), map: readBlockMap(blockMapPathFor(dumpPath), { checkEntries: false }) });
  }
  return dumps.sort((a, b) => a.record.startedAt - b.record.startedAt);
}

/** The per-process dump files in `dir` (for `jskcov merge DIR`). */
export function dumpFilesIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(RECORD_SUFFIX))
    .sort()
    .map((name) => path.join(dir, name.slice(0, -RECORD_SUFFIX.length) + DUMP_SUFFIX));
}

/**
 * Node processes and worker threads that some covered thread started but that left no
 * dump: started with an environment without NODE_OPTIONS or JSKCOV_RUN_CONFIG, killed,
 * or (workers) ended by terminate(). Each as a line for the warning.
 */
export function uncoveredChildren(dumps: readonly ProcessDump[]): string[] {
  const covered = new Set(dumps.map(({ record }) => dumpId(record.pid, record.threadId)));
  const missing: string[] = [];
  for (const { record } of dumps) {
    for (const child of record.nodeChildren) {
      if (!covered.has(dumpId(child.pid, 0))) missing.push(`process ${child.pid} (${child.command}), started by ${record.pid}`);
    }
    for (const threadId of record.workers) {
      if (!covered.has(dumpId(record.pid, threadId))) missing.push(`worker thread ${threadId} of process ${record.pid}`);
    }
  }
  return missing;
}
