// The executor's comparison areas (docs/executor-protocol.md, "Comparison areas"): when the
// driver asks for them, a second kcov device, enabled with KCOV_TRACE_CMP, keeps each run's
// comparison records in two files the driver maps: Linux's TRACE_CMP area and the string
// area (docs/compare-area.md). The driver passes them on to its engine (native/compare-bridge.c).
// Without the request nothing here runs, so a run costs what it cost before.

import { Kcov, KCOV_TRACE_CMP } from "../runtime";

/** Linux-area words when the driver names none: word 0 and 4096 records of 4 words. */
export const DEFAULT_COMPARE_AREA_WORDS = 1 + 4 * 4096;
export const DEFAULT_COMPARE_STRING_RECORDS = 1024;

/** What the driver asked for (its environment; docs/executor-protocol.md). */
export interface CompareAreaRequest {
  /** The Linux comparison area's file (`/proc/self/fd/N` for a descriptor the driver passes). */
  areaPath: string;
  /** The string area's file. */
  stringsPath: string;
  words: number;
  stringRecords: number;
}

export class ExecutorCompareAreas {
  readonly words: number;
  readonly stringRecords: number;
  readonly #device: Kcov;
  /** Word 0 of each area, as 32-bit halves: a reset allocates no BigInt. */
  readonly #count: Uint32Array;
  readonly #stringCount: Uint32Array;

  /** Creates both files, sized, before the hello; records start with `enable()`. */
  constructor(request: CompareAreaRequest) {
    this.words = request.words;
    this.stringRecords = request.stringRecords;
    this.#device = new Kcov({ file: request.areaPath, stringFile: request.stringsPath, stringRecords: request.stringRecords });
    this.#device.initTrace(request.words);
    this.#count = new Uint32Array(this.#device.mmap().buffer, 0, 2);
    this.#stringCount = new Uint32Array(this.#device.mmapStrings().buffer, 0, 2);
  }

  enable(): void {
    this.#device.enable(KCOV_TRACE_CMP);
  }

  /**
   * Before each run: the previous run's records are dropped from memory, so every run has
   * the whole area. Enabling again restarts the file copy at the area's count, now 0 (the
   * device could not tell this reset from new records otherwise), and the drop counters.
   */
  reset(): void {
    this.#count[0] = this.#count[1] = 0;
    this.#stringCount[0] = this.#stringCount[1] = 0;
    this.#device.disable();
    this.#device.enable(KCOV_TRACE_CMP);
  }

  /** After each run: copies this run's records and counts into the files. */
  collect(): void {
    this.#device.collect();
  }

  close(): void {
    this.#device.close();
  }
}
