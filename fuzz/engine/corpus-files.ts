// The files of the corpus directory the session writes to. They are written and removed
// by libuv's thread pool, off the thread that runs the target: creating a file costs tens
// to hundreds of microseconds of kernel time (0.4 ms on this project's CI disk), which a
// growing corpus would otherwise pay on every new input. Operations on one path happen in
// the order they were asked for; `flush()` waits for all of them, and the engine calls it
// before it reports its end, so a session that ends normally, or with a finding the
// executor reports itself, has written every file. An executor killed by the watchdog
// (timeout, OOM) was stopped in the target for at least -timeout seconds or far over its
// memory limit; the files asked for before then are written by the time it is killed.

import * as fs from "node:fs";
import * as path from "node:path";
import { sha1Hex } from "../findings";

export class CorpusFiles {
  readonly #dir: string;
  /** The last operation asked for on each path that is still in progress. */
  readonly #inFlight = new Map<string, Promise<void>>();
  #failure: Error | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Asks for `data` to be written as <dir>/<its SHA-1>; returns that path. `data` must not change afterwards. */
  write(data: Uint8Array): string {
    const file = path.join(this.#dir, sha1Hex(data));
    this.#after(file, (done) => fs.writeFile(file, data, done));
    return file;
  }

  /** Asks for `file` to be removed, after what was asked for on it before. */
  remove(file: string): void {
    // unlink, not rm({ force }): rm first lstats the path, a second thread-pool round trip.
    this.#after(file, (done) => fs.unlink(file, (error) => done(error?.code === "ENOENT" ? null : error)));
  }

  /** True once an operation has failed (the session should end). */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Resolves when every operation asked for is done; rejects with the first that failed. */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Runs `operation` on `file` after the one in progress on it, if any (callbacks: a third of the main-thread cost of fs.promises). */
  #after(file: string, operation: (done: (error: Error | null) => void) => void): void {
    const previous = this.#inFlight.get(file);
    const run = (): Promise<void> =>
      new Promise((resolve) =>
        operation((error) => {
          if (error !== null) this.#failure ??= new Error(`jskcov fuzz: cannot write the corpus directory ${this.#dir}: ${error.message}`);
          resolve();
        }),
      );
    // Started now when nothing is in progress on the path: the thread pool works while the target runs.
    const done: Promise<void> = (previous === undefined ? run() : previous.then(run)).then(() => {
      if (this.#inFlight.get(file) === done) this.#inFlight.delete(file);
    });
    this.#inFlight.set(file, done);
  }
}
