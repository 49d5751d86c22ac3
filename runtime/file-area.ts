// A file that mirrors the kcov area, so that a native fuzzer in another process can mmap
// it and read it as it reads Linux's /sys/kernel/debug/kcov area. JavaScript cannot map
// a file into memory without a native addon, so the area stays a SharedArrayBuffer and
// every collect() copies what changed into the file with pwrite.

import { HIGH_HALF, LOW_HALF } from "./consume-counters";
import { OwnUint32Array, OwnUint8Array } from "./intrinsics";

type NodeFs = Pick<typeof import("node:fs"), "openSync" | "fchmodSync" | "ftruncateSync" | "closeSync" | "readSync" | "writeSync">;
let nodeFs: NodeFs | undefined;

/**
 * node:fs's functions, loaded on first use so the rest of the runtime runs where there is
 * no fs, and kept then (as intrinsics.ts keeps the built-ins): a program that replaces
 * fs.writeSync afterwards is not called by collect().
 */
function fs(): NodeFs {
  if (nodeFs === undefined) {
    // A static import would load fs in every program under test, even without a file area.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { openSync, fchmodSync, ftruncateSync, closeSync, readSync, writeSync } = require("node:fs") as typeof import("node:fs");
    nodeFs = { openSync, fchmodSync, ftruncateSync, closeSync, readSync, writeSync };
  }
  return nodeFs;
}

/**
 * The file copy of an area. Word 0 lives in both places; the consumer may reset either
 * copy, so `readCount` takes the smaller of the two (a consumer only ever lowers it).
 */
export class FileArea {
  readonly path: string;
  private readonly fd: number;
  private readonly areaBytes: Uint8Array;
  private readonly word0Bytes = new OwnUint8Array(8);
  private readonly word0Halves = new OwnUint32Array(this.word0Bytes.buffer);

  /** Creates or truncates `path` with mode 0600 and sizes it to the area. */
  constructor(path: string, area: SharedArrayBuffer) {
    const fs_ = fs();
    const fd = fs_.openSync(path, "w+", 0o600);
    try {
      fs_.fchmodSync(fd, 0o600); // openSync's mode applies only when it creates the file
      fs_.ftruncateSync(fd, area.byteLength);
    } catch (error) {
      fs_.closeSync(fd);
      throw error;
    }
    this.path = path;
    this.fd = fd;
    this.areaBytes = new OwnUint8Array(area);
  }

  /** Word 0 of the file copy, or Infinity if its high half is set (treated as full). */
  readCount(): number {
    fs().readSync(this.fd, this.word0Bytes, 0, 8, 0);
    return this.word0Halves[HIGH_HALF] === 0 ? this.word0Halves[LOW_HALF] : Infinity;
  }

  /**
   * Copies words [fromWord, toWord) from the area, then word 0: a reader that loads
   * word 0 first never sees an unwritten PC slot.
   */
  write(fromWord: number, toWord: number): void {
    const fs_ = fs();
    if (toWord > fromWord) {
      fs_.writeSync(this.fd, this.areaBytes, fromWord * 8, (toWord - fromWord) * 8, fromWord * 8);
    }
    fs_.writeSync(this.fd, this.areaBytes, 0, 8, 0);
  }

  /** Closes the descriptor; the file stays, since another process may still map it. */
  close(): void {
    fs().closeSync(this.fd);
  }
}
