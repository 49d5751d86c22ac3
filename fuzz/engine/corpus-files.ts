// The files of the corpus directory the session writes to. They are written and removed
// by a worker thread of their own, off the thread that runs the target: creating a file
// costs tens to hundreds of microseconds of kernel time (0.4 ms on this project's CI disk),
// which a growing corpus would otherwise pay on every new input. One message per file costs
// the executing thread a few microseconds, where fs.writeFile's three thread-pool round
// trips (open, write, close, each a callback on this thread) cost it 10-40 (bench/README.md).
// The worker does the operations in the order they were asked for; `flush()` waits for all
// of them, and the engine calls it before it reports its end, so a session that ends
// normally, or with a finding the executor reports itself, has written every file. An
// executor killed by the watchdog (timeout, OOM) was stopped in the target for at least
// -timeout seconds or far over its memory limit, while the worker went on: the files asked
// for before then are written by the time it is killed.

import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { sha1Hex } from "../findings";

/** What the main thread asks the worker: write `data` to `file`, remove `file`, or answer once all before are done. */
type Request = { op: "write"; file: string; data: Uint8Array } | { op: "remove"; file: string } | { op: "flush" };
/** What the worker answers: a failed operation, or that every request before a flush is done. */
type Answer = { failed: string } | { flushed: true };

/**
 * The worker's code, evaluated (no file to find: the same in dist/ and under ts-jest).
 * Synchronous fs calls: the worker has nothing else to do, and they keep the order.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
parentPort.on("message", (request) => {
  if (request.op === "flush") return parentPort.postMessage({ flushed: true });
  try {
    if (request.op === "write") fs.writeFileSync(request.file, request.data);
    else fs.unlinkSync(request.file); // unlink, not rm({ force }): rm first lstats the path
  } catch (error) {
    if (request.op === "remove" && error.code === "ENOENT") return;
    parentPort.postMessage({ failed: error.message });
  }
});
`;

export class CorpusFiles {
  readonly #dir: string;
  /** Started at the first operation (a session that writes nothing starts no thread). */
  #worker: Worker | undefined;
  /** Resolves the flushes waiting for the worker's answer, in the order they were asked. */
  readonly #flushes: (() => void)[] = [];
  #failure: Error | undefined;
  /** Resolves once the worker runs, or has stopped (see start()). */
  #running: Promise<void> | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * Starts the writing thread now, before it is needed; resolves once it runs (or has
   * failed: then `failed` says so). The engine starts it before the seeds run, so that a
   * thread's start-up (a new V8 isolate: tens of ms of CPU) is not paid inside the fuzzing
   * loop at its first new input, where, on a loaded machine, it competes with the target.
   */
  start(): Promise<void> {
    this.#worker ??= this.#start();
    return this.#running!;
  }

  /** Asks for `data` to be written as <dir>/<its SHA-1>; returns that path. */
  write(data: Uint8Array): string {
    const file = path.join(this.#dir, sha1Hex(data));
    this.#ask({ op: "write", file, data });
    return file;
  }

  /** Asks for `file` to be removed, after what was asked for before (a file that is not there is no failure). */
  remove(file: string): void {
    this.#ask({ op: "remove", file });
  }

  /** True once an operation has failed (the session should end). */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Resolves when every operation asked for is done; rejects with the first that failed. */
  async flush(): Promise<void> {
    const worker = this.#worker;
    if (worker !== undefined) {
      // Referenced while waiting: an unreferenced worker's answer would not keep the process alive.
      worker.ref();
      await new Promise<void>((resolve) => {
        this.#flushes.push(resolve);
        worker.postMessage({ op: "flush" } satisfies Request);
      });
      if (this.#flushes.length === 0) worker.unref();
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Stops the worker (after flush(): what was asked for and not flushed may not be done). */
  close(): void {
    void this.#worker?.terminate();
    this.#worker = undefined;
  }

  #ask(request: Request): void {
    this.#worker ??= this.#start();
    this.#worker.postMessage(request);
  }

  #start(): Worker {
    // No preload (execArgv: []): it loads and instruments nothing, and does not keep the executor alive.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], stdout: true, stderr: true });
    worker.unref();
    this.#running = new Promise((resolve) => {
      worker.once("online", () => resolve());
      worker.once("error", () => resolve());
      worker.once("exit", () => resolve());
    });
    worker.on("message", (answer: Answer) => {
      if ("failed" in answer) this.#fail(answer.failed);
      else this.#flushes.shift()?.();
    });
    worker.on("error", (error) => this.#fail(error.message));
    // Stopped by an error, or by close(): no answer will come for the flushes waiting.
    worker.on("exit", () => {
      if (this.#flushes.length > 0) this.#fail("the thread writing it stopped");
      for (const resolve of this.#flushes.splice(0)) resolve();
    });
    return worker;
  }

  #fail(message: string): void {
    this.#failure ??= new Error(`jskcov fuzz: cannot write the corpus directory ${this.#dir}: ${message}`);
  }
}
