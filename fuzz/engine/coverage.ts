// The engine's feedback: the realm's kcov device, read after every execution with
// collectIndices (dense block indices, no BigInt). This is the same device a native
// fuzzer would open; the engine has no private side channel into the counters.

import { KCOV_TRACE_PC, Kcov, REGISTRY_KEY, type KcovRegistry } from "../../runtime";

export class KcovFeedback {
  readonly #kcov = new Kcov();
  #indices = new Uint32Array(1024);
  #knownFiles = -1;
  #registeredBlocks = 0;

  /** Opens and enables the device: what ran before this call (loading the target) is forgotten. */
  constructor() {
    this.#kcov.initTrace(2);
    this.#kcov.mmap();
    this.#kcov.enable(KCOV_TRACE_PC);
  }

  /** The block indices written by the last `collect()`. */
  get indices(): Uint32Array {
    return this.#indices;
  }

  /** Blocks of every instrumented file loaded so far (PCs registered). */
  get registeredBlocks(): number {
    this.#syncFiles();
    return this.#registeredBlocks;
  }

  /** Consumes the counters of the last execution; returns how many blocks ran. */
  collect(): number {
    this.#syncFiles();
    return this.#kcov.collectIndices(this.#indices);
  }

  close(): void {
    this.#kcov.close();
  }

  /** Files register as they load (lazy requires): keep room for every block. */
  #syncFiles(): void {
    const registry = (globalThis as { [REGISTRY_KEY]?: KcovRegistry })[REGISTRY_KEY];
    const files = registry?.files ?? [];
    if (files.length === this.#knownFiles) return;
    this.#knownFiles = files.length;
    this.#registeredBlocks = files.reduce((sum, file) => sum + file.blockCount, 0);
    if (this.#indices.length < this.#registeredBlocks) this.#indices = new Uint32Array(this.#registeredBlocks);
  }
}
