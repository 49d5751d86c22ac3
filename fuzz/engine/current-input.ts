// The file the executor and its watchdog share (docs/fuzzing.md, "Process architecture"):
// a 128-byte header of float64 fields, then the input being executed. The executor rewrites
// header and input with one pwrite before every execution, so when the target hangs, runs
// out of memory or kills its process, the watchdog still has the input.

import * as fs from "node:fs";

/** Header fields, as float64 indices. */
export const HEADER = {
  /** Executions started so far (the heartbeat the watchdog watches). */
  executions: 0,
  /** Length of the input that follows the header. */
  inputLength: 1,
  /** PCs covered, features, active corpus entries and their bytes (for the summary). */
  covered: 2,
  features: 3,
  corpusEntries: 4,
  corpusBytes: 5,
  registeredBlocks: 6,
  /** The executor's exit status, written just before it exits; -1 while it runs. */
  endStatus: 7,
  /** Regression mode: the index of the input being replayed. */
  inputIndex: 8,
  /** Inputs added to the corpus by this session. */
  newUnits: 9,
  /** The longest run of one input so far, in milliseconds (stat::slowest_unit_time_sec). */
  slowestUnitMs: 10,
  /** Epoch milliseconds when the first executor had loaded the target (-max_total_time counts from it). */
  fuzzingStart: 11,
} as const;
export const HEADER_BYTES = 128;
const FIELD_COUNT = HEADER_BYTES / 8;

/** The executor's side: owns a buffer whose tail is the input the mutators write into. */
export class CurrentInputWriter {
  readonly #fd: number;
  /** Header and input, contiguous, so one pwrite publishes both. */
  readonly frame: Buffer;
  readonly header: Float64Array;
  /** Where the next input is built: frame[HEADER_BYTES..]. */
  readonly input: Buffer;

  constructor(file: string, maxLength: number) {
    this.#fd = fs.openSync(file, "w");
    this.frame = Buffer.alloc(HEADER_BYTES + maxLength);
    this.header = new Float64Array(this.frame.buffer, this.frame.byteOffset, FIELD_COUNT);
    this.input = this.frame.subarray(HEADER_BYTES);
    this.header[HEADER.endStatus] = -1;
  }

  /** Publishes header and `input[0..length)` before an execution: one pwrite. */
  publish(length: number): void {
    this.header[HEADER.executions]++;
    this.header[HEADER.inputLength] = length;
    fs.writeSync(this.#fd, this.frame, 0, HEADER_BYTES + length, 0);
  }

  /** Writes the header only (statistics, the end status). */
  publishHeader(): void {
    fs.writeSync(this.#fd, this.frame, 0, HEADER_BYTES, 0);
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}

/**
 * The executor's last word when the engine itself failed after inputs ran: its exit
 * status as the end status, so the watchdog takes the exit for the engine's and not for
 * the target's (a "fuzz target exited" finding with the last input). Before the first
 * input there is no header to mark, and nothing to mistake.
 */
export function publishEndStatus(file: string, status: number): void {
  let fd: number;
  try {
    fd = fs.openSync(file, "r+");
  } catch {
    return;
  }
  try {
    fs.writeSync(fd, new Float64Array([status]), 0, 8, HEADER.endStatus * 8);
  } finally {
    fs.closeSync(fd);
  }
}

export interface CurrentInputSnapshot {
  fields: Float64Array;
  input: Buffer;
}

/** The watchdog's side: reads the header (often) and the input (after a death). */
export function readCurrentInput(file: string, withInput: boolean): CurrentInputSnapshot | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    if (fs.readSync(fd, head, 0, HEADER_BYTES, 0) < HEADER_BYTES) return undefined;
    const fields = new Float64Array(head.buffer, head.byteOffset, FIELD_COUNT).slice();
    let input = Buffer.alloc(0);
    if (withInput) {
      input = Buffer.alloc(fields[HEADER.inputLength]);
      fs.readSync(fd, input, 0, input.length, HEADER_BYTES);
    }
    return { fields, input };
  } finally {
    fs.closeSync(fd);
  }
}
