// The built-in engine's loop (libFuzzer's FuzzerLoop.cpp, in spirit): run the seed
// corpus, then pick an input by weight, stack mutations on a copy, run it, read the kcov
// device, keep the input if it reached a new feature, replace its parent if it is smaller
// and as good. Also the regression mode, which replays inputs (max(1, -runs) times each). Runs inside the
// executor process (fuzz-process.ts); hangs and deaths are the watchdog's business.

import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { FuzzerFlags } from "../flags";
import { exitStatusFor, sha1Hex, targetStack } from "../findings";
import { OK_OUTCOME, crashOutcome, runFuzzTarget, type ExecutionOutcome, type FuzzTarget } from "../target";
import { Corpus } from "./corpus";
import { listDirectory, readInputFile } from "./input-files";
import { CorpusFiles } from "./corpus-files";
import { KcovFeedback } from "./coverage";
import { CurrentInputWriter, HEADER } from "./current-input";
import { FindingsRecord, isReportedRepeat } from "./findings-record";
import { MUTATORS, toAscii, type Mutation } from "./mutators";
import { Random } from "./random";
import { describeInput, finalStatsLines, log, logStatus, peakRssMb, statusLine, statusRssMb, summaryLine, type FuzzStats, type StatusEvent } from "./status-lines";
import type { TokenSource } from "./token-source";

/** What the supervisor hands the executor (as JSON). */
export interface ExecutorConfig {
  target: string;
  flags: FuzzerFlags;
  /** Corpus directories; new inputs go to the first. */
  corpusDirs: string[];
  /** The first corpus directory is the session's temporary one (no corpus was given). */
  temporaryCorpus: boolean;
  /** Regression mode: the input files to replay, in order; null when fuzzing. */
  regressionInputs: string[] | null;
  currentInputFile: string;
  findingsFile: string;
  /** The seed of this executor (the session's seed, plus the restart count). */
  seed: number;
  /** Continuing a session after a restart: executions so far, where regression mode resumes. */
  startExecutions: number;
  startIndex: number;
  /** Epoch milliseconds when the session started (the supervisor's clock). */
  sessionStart: number;
  /**
   * Continuing a session: when the first executor had loaded the target. -max_total_time
   * and exec/s count from there, as libFuzzer's from its Fuzzer's creation: Node's
   * start-up and instrumenting the target's files are not fuzzing time.
   */
  fuzzingStart?: number;
  /** --counter-mode count with -use_counters=1: hit-count buckets are features too. */
  countBuckets: boolean;
  /** SHA-1s of inputs that hung or killed an earlier executor: not run again as seeds. */
  skipSeeds: string[];
  /** Continuing a session: the longest run of one input so far, in milliseconds. */
  slowestUnitMs?: number;
  /** Whether findings are written as artifacts: not when replaying input files (savesArtifacts in supervisor.ts). */
  saveArtifacts: boolean;
}

/** libFuzzer's bounds on the guessed -max_len (kMinDefaultLen, kMaxSaneLen). */
const MIN_DEFAULT_MAX_LEN = 4096;
const MAX_SANE_LEN = 1 << 20;
/** How often a sync target yields to the event loop (timers, signals, escaped errors). */
const YIELD_EVERY_MS = 50;
/** Up to this many bytes, the target's copy of an input is made by a loop (see #targetCopy). */
const SHORT_INPUT = 64;

/**
 * How a batch of the fuzzing loop ended (#fuzzBatch): a yield to the event loop is due, the
 * target returned a promise (PendingRun.promise), the session is over (-runs,
 * -max_total_time), or a finding stops it.
 */
const LOOP_YIELD = 0;
const LOOP_AWAIT = 1;
const LOOP_DONE = 2;
const LOOP_STOP = 3;
type LoopStep = typeof LOOP_YIELD | typeof LOOP_AWAIT | typeof LOOP_DONE | typeof LOOP_STOP;

/** The fuzzing loop's settings, fixed once the seeds have run. */
interface LoopSettings {
  deadline: number;
  runs: number;
  maxLen: number;
  fallback: Uint8Array;
  useFeedback: boolean;
  reduce: boolean;
}

/** The execution that ran last, until what follows its run is done (#afterPendingRun). */
interface PendingRun {
  parent: number;
  base: Uint8Array;
  size: number;
  started: number;
  outcome: ExecutionOutcome;
  /** The outcome of a target that returned a promise (LOOP_AWAIT). */
  promise: Promise<ExecutionOutcome> | undefined;
}

/**
 * Runs `work` after a macrotask of its own (after timers, I/O and escaped errors); resolves
 * with its result, rejects with what it throws (the engine's own failures, which must not
 * reach the uncaughtException handler that is there for the target's).
 *
 * `work` runs from a microtask that macrotask queues, as code after an `await` does: V8
 * runs microtasks inside a v8::TryCatch that captures no message, whereas straight from a
 * macrotask (no TryCatch) every throw, caught or not, first builds a message object for
 * the uncaught case (its source location): 0.4 µs per throw in a micro-benchmark, 1.1 µs
 * per execution of bench/fuzz-engine.mjs's js-yaml target (profiled), which throws on most
 * inputs and catches. The microtask's promise is not awaited, so an Error gets no async frames.
 */
function nextMacrotask<T>(work: () => T): Promise<T> {
  return new Promise((resolve, reject) =>
    setImmediate(() => {
      void Promise.resolve().then(() => {
        try {
          resolve(work());
        } catch (error) {
          reject(error);
        }
      });
    }),
  );
}

export class BuiltinFuzzer {
  readonly #config: ExecutorConfig;
  readonly #flags: FuzzerFlags;
  readonly #target: FuzzTarget;
  readonly #random: Random;
  readonly #corpus = new Corpus();
  readonly #findings: FindingsRecord;
  readonly #tokenSources: readonly TokenSource[];
  #feedback!: KcovFeedback;
  #writer!: CurrentInputWriter;
  readonly #corpusFiles: CorpusFiles;
  #mutation!: Mutation;
  #loop!: LoopSettings;
  readonly #pendingRun: PendingRun = { parent: -1, base: new Uint8Array(0), size: 0, started: 0, outcome: OK_OUTCOME, promise: undefined };
  /** PCs reached at least once, by dense index (also in blind mode, for the report). */
  #seen = new Uint8Array(1024);
  #covered = 0;
  #newUnits = 0;
  /** The executor's first finding decides its exit status. */
  #firstStatus: number | undefined;
  /** An exception or rejection that escaped the target (process handlers set it). */
  #escaped: ExecutionOutcome | undefined;
  #lastYield = 0;
  #slowestMs = 0;
  /**
   * The mutations that made the current input: names[0..count). A fixed array, filled in
   * place: emptying and refilling one (length = 0, push) reallocated its store every execution.
   */
  readonly #mutationNames: string[] = new Array<string>(16).fill(""); // grows past -mutate_depth 16
  #mutationCount = 0;
  /** See ExecutorConfig.fuzzingStart; the target is loaded when this executor is made. */
  readonly #fuzzingStart: number;

  constructor(config: ExecutorConfig, target: FuzzTarget, tokenSources: readonly TokenSource[]) {
    this.#config = config;
    this.#flags = config.flags;
    this.#target = target;
    this.#random = new Random(config.seed);
    this.#findings = new FindingsRecord(config.findingsFile);
    this.#tokenSources = tokenSources;
    this.#corpusFiles = new CorpusFiles(config.corpusDirs[0] ?? ".");
    this.#fuzzingStart = config.fuzzingStart ?? Date.now();
  }

  /** Runs the session; resolves with the exit status (the caller exits with it). */
  async run(): Promise<number> {
    process.on("uncaughtException", (error) => {
      this.#escaped = crashOutcome(error);
    });
    process.on("unhandledRejection", (reason) => {
      this.#escaped = crashOutcome(reason);
    });
    // A promise from the target that never settles, with nothing else pending, would let
    // the event loop empty and the executor exit in the middle of an input ("fuzz target
    // exited"); it is a hang, which the watchdog reports as a timeout after -timeout.
    const keepAlive = setInterval(() => {}, 0x7fffffff);
    try {
      return await (this.#config.regressionInputs !== null ? this.#replay(this.#config.regressionInputs) : this.#fuzz());
    } finally {
      clearInterval(keepAlive);
    }
  }

  // ---- regression mode ----

  async #replay(files: string[]): Promise<number> {
    // As libFuzzer's RunOneTest: a given -max_len cuts each input to that length.
    const maxLen = this.#flags.max_len;
    const inputs = files.map((file) => {
      const data = readInputFile(file) ?? Buffer.alloc(0);
      return maxLen > 0 ? data.subarray(0, maxLen) : data;
    });
    const sizes = inputs.map((data) => data.length);
    this.#open(Math.max(1, ...sizes));
    // libFuzzer runs each input max(1, -runs) times (FuzzerDriver.cpp, RunIndividualFiles).
    const times = Math.max(1, this.#flags.runs);
    // libFuzzer's lines: each input is named before it runs, so a crash's report follows its name.
    if (this.#config.startIndex === 0) log(`jskcov: Running ${files.length} inputs ${times} time(s) each.`);
    for (let index = this.#config.startIndex; index < files.length; index++) {
      log(`Running: ${files[index]}`);
      this.#writer.header[HEADER.inputIndex] = index;
      const data = inputs[index];
      let total = 0;
      let crashed = false;
      for (let time = 0; time < times && !crashed; time++) {
        this.#writer.input.set(data);
        const { outcome, elapsed } = await this.#runAndCollect(data.length);
        total += elapsed;
        // The first crash of an input is its finding; the input is not run again.
        if (outcome.kind === "crash") {
          this.#reportCrash(outcome, data, false, files[index]);
          crashed = true;
        }
      }
      if (!crashed) log(`Executed ${files[index]} in ${Math.round(total)} ms`);
    }
    log("***");
    log("*** NOTE: fuzzing was not performed, you have only");
    log("***       executed the target code on a fixed set of inputs.");
    log("***");
    return this.#finish(this.#firstStatus);
  }

  // ---- fuzzing ----

  async #fuzz(): Promise<number> {
    const flags = this.#flags;
    const seeds = this.#readSeeds();
    const largestSeed = seeds.reduce((max, seed) => Math.max(max, seed.data.length), 0);
    const maxLen = flags.max_len > 0 ? flags.max_len : Math.min(Math.max(MIN_DEFAULT_MAX_LEN, largestSeed), MAX_SANE_LEN);
    this.#open(maxLen);
    log(`INFO: Seed: ${this.#config.seed}`);
    log(`INFO: jskcov: ${this.#feedback.registeredBlocks} PCs registered by the instrumented files loaded so far`);
    if (flags.max_len <= 0) log(`INFO: -max_len is not provided; jskcov will not generate inputs larger than ${maxLen} bytes`);
    if (flags.use_feedback === 0) log("INFO: -use_feedback=0: coverage is ignored, the seed corpus is mutated blind");
    // Guided, new inputs will be written: the writing thread starts while the seeds run.
    const corpusWriter = flags.use_feedback !== 0 ? this.#corpusFiles.start() : undefined;
    // libFuzzer's first execution (ReadAndExecuteSeedCorpora): the empty input, once per
    // session and never a corpus entry, so a target that fails on no data is found at once.
    if (this.#config.startExecutions === 0) {
      const { outcome } = await this.#runAndCollect(0);
      if (outcome.kind === "crash" && this.#reportCrash(outcome, new Uint8Array(0), true)) return this.#finish(this.#firstStatus);
    }
    if (seeds.length === 0) {
      log("INFO: A corpus is not provided, starting from an empty corpus");
      seeds.push({ data: Uint8Array.of(0x0a), file: undefined });
    } else {
      log(`INFO: ${seeds.length} files found in ${this.#config.corpusDirs.join(", ")}`);
    }

    // The seed corpus: kept where it reaches something new (all of it when blind).
    for (const seed of seeds) {
      const data = seed.data.subarray(0, maxLen);
      this.#writer.input.set(data);
      const { outcome, elapsed } = await this.#runAndCollect(data.length);
      if (outcome.kind === "crash") {
        if (this.#reportCrash(outcome, data, true)) return this.#finish(this.#firstStatus);
        continue;
      }
      if (flags.use_feedback === 0 || this.#feedback.reachedNewFeature()) {
        this.#corpus.add(copyBytes(data, data.length), elapsed, this.#feedback.hits, this.#feedback.features, this.#feedback.featureCount, seed.file, false);
        this.#feedback.keep();
      }
    }
    const fallback = copyBytes(seeds[0].data, Math.min(maxLen, seeds[0].data.length));
    await corpusWriter;
    this.#status("INITED");

    this.#loop = {
      deadline: flags.max_total_time > 0 ? this.#fuzzingStart + flags.max_total_time * 1000 : Infinity,
      runs: flags.runs,
      maxLen,
      fallback,
      useFeedback: flags.use_feedback !== 0,
      reduce: flags.reduce_inputs !== 0,
    };
    // Batches of executions, each from a macrotask of its own (see #fuzzBatch); an async
    // target's outcome is awaited here, and the batch goes on from there.
    let step = await nextMacrotask(() => this.#fuzzBatch());
    for (;;) {
      if (step === LOOP_STOP) return this.#finish(this.#firstStatus);
      if (step === LOOP_DONE) break;
      if (step === LOOP_YIELD) {
        step = await nextMacrotask(() => {
          this.#lastYield = performance.now();
          return this.#afterPendingRun() ?? this.#fuzzBatch();
        });
      } else {
        const run = this.#pendingRun;
        run.outcome = await run.promise!;
        run.promise = undefined;
        step = this.#afterPendingRun() ?? this.#fuzzBatch();
      }
    }
    this.#status("DONE  ");
    log(`Done ${this.#writer.header[HEADER.executions]} runs in ${Math.floor(this.#elapsedSeconds())} second(s)`);
    return this.#finish(this.#firstStatus);
  }

  /**
   * Runs executions until one needs the event loop: a yield is due (every YIELD_EVERY_MS),
   * the target returned a promise, or the session ends. It runs from nextMacrotask's
   * microtask (not from an async function's continuation), so that below the target's
   * frames there are only runFuzzTarget and this loop's: a stack trace the target
   * captures (every Error it makes, caught or not) walks up to Error.stackTraceLimit
   * frames, and the engine's own frames and async frames cost it about 0.2 µs each.
   */
  #fuzzBatch(): LoopStep {
    const loop = this.#loop;
    const corpus = this.#corpus;
    const writer = this.#writer;
    for (;;) {
      const executions = writer.header[HEADER.executions];
      if (loop.runs >= 0 && executions >= loop.runs) return LOOP_DONE;
      if (Date.now() >= loop.deadline) return LOOP_DONE;

      const parent = corpus.pick(this.#random);
      const base = parent < 0 ? loop.fallback : corpus.entries[parent].data;
      const size = this.#stagedInput(base) ?? this.#mutate(base);

      const started = performance.now();
      writer.publish(size);
      const outcome = runFuzzTarget(this.#target, this.#targetCopy(size));
      const run = this.#pendingRun;
      run.parent = parent;
      run.base = base;
      run.size = size;
      run.started = started;
      if (outcome instanceof Promise) {
        run.promise = outcome;
        return LOOP_AWAIT;
      }
      run.outcome = outcome;
      // By the time the run started: one clock read fewer per execution.
      if (started - this.#lastYield > YIELD_EVERY_MS) return LOOP_YIELD;
      const step = this.#afterPendingRun();
      if (step !== undefined) return step;
    }
  }

  /**
   * What follows the run of #pendingRun: its time, the kcov device, the novelty check,
   * the corpus. Returns LOOP_STOP or LOOP_DONE to end the session, undefined to go on.
   */
  #afterPendingRun(): LoopStep | undefined {
    const { parent, base, size, started } = this.#pendingRun;
    const outcome = this.#withEscaped(this.#pendingRun.outcome);
    const loop = this.#loop;
    const corpus = this.#corpus;
    const feedback = this.#feedback;
    const input = this.#writer.input;
    const elapsed = performance.now() - started;
    if (elapsed > this.#slowestMs) this.#noteTime(elapsed);
    if (parent >= 0) corpus.noteMutant(parent, elapsed);
    // Owning blocks only: enough for the novelty check, which most executions end with.
    // Whatever needs every block of the execution calls complete() first.
    feedback.collectOwnBlocks();
    for (const source of this.#tokenSources) source.afterExecution?.(input.subarray(0, size));
    if (outcome.kind === "crash") {
      feedback.complete();
      this.#noteCovered();
      return this.#reportCrash(outcome, input.subarray(0, size), true) ? LOOP_STOP : undefined;
    }
    if (!loop.useFeedback) {
      feedback.complete();
      this.#noteCovered();
      return undefined;
    }
    if (this.#corpusFiles.failed) return LOOP_DONE;
    // Guided, only an input with a new feature can reach a new PC (every block is a feature).
    if (feedback.reachedNewFeature()) {
      feedback.complete();
      this.#noteCovered();
      const data = copyBytes(input, size);
      const index = corpus.add(data, elapsed, feedback.hits, feedback.features, feedback.featureCount, undefined, true);
      feedback.keep();
      corpus.entries[index].file = this.#saveToCorpus(data);
      this.#newUnits++;
      this.#status("NEW   ", ` L: ${size}/${loop.maxLen} MS: ${this.#mutationSequence()}`);
    } else if (loop.reduce && parent >= 0 && size < base.length && this.#canReplace(parent, size)) {
      const entry = corpus.entries[parent];
      const previousFile = entry.file;
      const data = copyBytes(input, size);
      corpus.replace(parent, data, elapsed, feedback.hits, feedback.features, feedback.featureCount);
      entry.file = this.#saveToCorpus(data);
      if (entry.writtenBySession && previousFile !== undefined && previousFile !== entry.file) this.#corpusFiles.remove(previousFile);
      entry.writtenBySession = true;
      this.#status("REDUCE", ` L: ${size}/${loop.maxLen} MS: ${this.#mutationSequence()}`);
    } else if (isPowerOfTwo(this.#writer.header[HEADER.executions]) && this.#elapsedSeconds() >= 2) {
      this.#status("pulse ");
    }
    return undefined;
  }

  /** Copies `base` into the input buffer and stacks 1..-mutate_depth mutations; returns the size. */
  #mutate(base: Uint8Array): number {
    const m = this.#mutation;
    const input = this.#writer.input;
    input.set(base);
    m.size = base.length;
    const names = this.#mutationNames;
    let count = 0;
    const depth = 1 + this.#random.below(this.#flags.mutate_depth);
    for (let attempt = 0; count < depth && attempt < depth * 4; attempt++) {
      const mutator = MUTATORS[this.#random.below(MUTATORS.length)];
      m.appliedName = undefined;
      const size = mutator.mutate(m);
      if (size === 0) continue;
      m.size = size;
      const name = m.appliedName ?? mutator.name;
      if (count < names.length) names[count] = name;
      else names.push(name);
      count++;
    }
    this.#mutationCount = count;
    if (this.#flags.only_ascii !== 0) toAscii(input, m.size);
    return m.size;
  }

  /** The mutations of the current input, as libFuzzer prints them after "MS:" ("2 CopyPart-EraseBytes-"). */
  #mutationSequence(): string {
    return `${this.#mutationCount} ${this.#mutationNames.slice(0, this.#mutationCount).join("-")}-`;
  }

  /** An input a token source's stage made from `base` (comparisons: token-source.ts), or undefined. */
  #stagedInput(base: Uint8Array): number | undefined {
    for (const source of this.#tokenSources) {
      const size = source.nextInput?.(base, this.#writer.input, this.#mutation.maxSize) ?? -1;
      if (size < 0) continue;
      this.#mutationNames[0] = source.mutatorName;
      this.#mutationCount = 1;
      if (this.#flags.only_ascii !== 0) toAscii(this.#writer.input, size);
      return size;
    }
    return undefined;
  }

  /** True when the input just run (`size` bytes) can replace entry `parent` (REDUCE): it needs every feature. */
  #canReplace(parent: number, size: number): boolean {
    const feedback = this.#feedback;
    feedback.complete();
    return this.#corpus.canReplace(parent, size, feedback.features, feedback.featureCount);
  }

  /** Keeps the longest run of one input (the header carries it to the watchdog's summary). */
  #noteTime(elapsedMs: number): void {
    if (elapsedMs <= this.#slowestMs) return;
    this.#slowestMs = elapsedMs;
    this.#writer.header[HEADER.slowestUnitMs] = elapsedMs;
  }

  /**
   * Runs the input in the buffer, times it and reads the kcov area: for seeds and replay.
   * The fuzzing loop does the same inline, to keep its sync fast path.
   */
  async #runAndCollect(size: number): Promise<{ outcome: ExecutionOutcome; elapsed: number }> {
    const started = performance.now();
    let outcome = this.#execute(size, started);
    if (outcome instanceof Promise) outcome = await outcome;
    const elapsed = performance.now() - started;
    this.#noteTime(elapsed);
    this.#collect();
    return { outcome, elapsed };
  }

  /**
   * Publishes the input (one pwrite, for the watchdog), then runs a copy of it. Returns
   * the outcome itself when the target returned no promise and no yield to the event
   * loop is due, a promise of it otherwise. `started`: when the run starts (performance.now()).
   */
  #execute(size: number, started: number): ExecutionOutcome | Promise<ExecutionOutcome> {
    this.#writer.publish(size);
    const outcome = runFuzzTarget(this.#target, this.#targetCopy(size));
    if (outcome instanceof Promise) return outcome.then((settled) => this.#withEscaped(settled));
    // By the time the run started: one clock read fewer per execution.
    if (started - this.#lastYield > YIELD_EVERY_MS) return this.#yieldThen(outcome);
    return this.#withEscaped(outcome);
  }

  /**
   * The target's own copy of the input (it may keep it, or write to it). One allocation,
   * from Buffer's pool when small; a short input is copied byte by byte, without the view
   * Buffer#copy makes of its source.
   */
  #targetCopy(size: number): Buffer {
    const data = Buffer.allocUnsafe(size);
    const input = this.#writer.input;
    if (size <= SHORT_INPUT) for (let i = 0; i < size; i++) data[i] = input[i];
    else input.copy(data, 0, 0, size);
    return data;
  }

  /** Lets timers, signals, I/O completions and escaped errors in, then gives the outcome. */
  async #yieldThen(outcome: ExecutionOutcome): Promise<ExecutionOutcome> {
    await new Promise((resolve) => setImmediate(resolve));
    this.#lastYield = performance.now();
    return this.#withEscaped(outcome);
  }

  /** An exception or rejection that escaped the target during its run counts as its outcome. */
  #withEscaped(outcome: ExecutionOutcome): ExecutionOutcome {
    if (this.#escaped !== undefined && outcome.kind === "ok") outcome = this.#escaped;
    this.#escaped = undefined;
    return outcome;
  }

  /** Reads the kcov device; counts PCs never seen before (for the report). */
  #collect(): void {
    this.#feedback.collect();
    this.#noteCovered();
  }

  /** Counts the PCs of the last collect() never seen before (for the report). */
  #noteCovered(): void {
    const count = this.#feedback.blockCount;
    const indices = this.#feedback.blocks;
    let seen = this.#seen;
    for (let i = 0; i < count; i++) {
      const index = indices[i];
      if (index >= seen.length) {
        const grown = new Uint8Array(Math.max(seen.length * 2, index + 1));
        grown.set(seen);
        this.#seen = seen = grown;
      }
      if (seen[index] === 0) {
        seen[index] = 1;
        this.#covered++;
      }
    }
  }

  /**
   * Reports a crash, writes its artifact (unless the same top frames were saved already, or
   * input files are replayed),
   * and says whether to stop: in fuzzing mode without -ignore_crashes=1.
   */
  #reportCrash(outcome: Extract<ExecutionOutcome, { kind: "crash" }>, data: Uint8Array, fuzzing: boolean, replayedFile?: string): boolean {
    const flags = this.#flags;
    const earlier = this.#findings.artifactOf("crash", outcome.dedupKey);
    this.#firstStatus ??= exitStatusFor("crash", flags);
    const stop = fuzzing && flags.ignore_crashes === 0;
    if (earlier !== undefined && !stop) {
      const times = this.#findings.noteRepeat("crash", outcome.dedupKey);
      // Fuzzing, only now and then: a bug hit on every other input must not cost a line each.
      if (!fuzzing || isReportedRepeat(times)) log(`INFO: jskcov: a crash with the same top stack frames as ${earlier}; not saved again (${times} time(s) so far)`);
      return false;
    }
    const firstLine = outcome.stack.split("\n", 1)[0];
    log(`==${process.pid}== ERROR: jskcov: uncaught exception in fuzz target: ${firstLine}`);
    log(targetStack(outcome.stack));
    if (this.#mutationCount > 0 && fuzzing) log(`MS: ${this.#mutationSequence()}`);
    for (const line of describeInput(data)) log(line);
    // Not saved: the replayed file is the reproducer, and stands for the finding.
    const artifact = this.#config.saveArtifacts ? this.#findings.saveArtifact("crash", data, flags, log) : (replayedFile ?? "");
    const topFrame = outcome.dedupKey.split("\n", 1)[0];
    log(`SUMMARY: jskcov: uncaught exception ${topFrame}`);
    this.#findings.add({ kind: "crash", dedupKey: outcome.dedupKey, artifact });
    return stop;
  }

  /** Waits for the corpus files, prints the end of the session, publishes its status. */
  async #finish(status: number | undefined): Promise<number> {
    try {
      await this.#corpusFiles.flush();
    } catch (error) {
      log(`ERROR: ${(error as Error).message}`);
      status ??= 1;
    }
    this.#corpusFiles.close();
    const stats = this.#stats();
    const rss = peakRssMb();
    if (this.#flags.print_final_stats !== 0) for (const line of finalStatsLines(stats, rss)) log(line);
    log(summaryLine(stats));
    this.#publishStats();
    this.#writer.header[HEADER.endStatus] = status ?? 0;
    this.#writer.publishHeader();
    this.#writer.close();
    this.#feedback.close();
    return status ?? 0;
  }

  // ---- plumbing ----

  #open(maxLen: number): void {
    this.#writer = new CurrentInputWriter(this.#config.currentInputFile, maxLen);
    this.#writer.header[HEADER.executions] = this.#config.startExecutions;
    this.#slowestMs = this.#config.slowestUnitMs ?? 0;
    this.#writer.header[HEADER.slowestUnitMs] = this.#slowestMs;
    this.#writer.header[HEADER.fuzzingStart] = this.#fuzzingStart;
    this.#feedback = new KcovFeedback(this.#config.countBuckets);
    const corpus = this.#corpus;
    const random = this.#random;
    const crossOver = this.#flags.cross_over !== 0;
    this.#mutation = {
      data: this.#writer.input,
      size: 0,
      maxSize: maxLen,
      random,
      tokenSources: this.#tokenSources,
      appliedName: undefined,
      crossOverWith: () => {
        if (!crossOver || corpus.activeCount < 2) return undefined;
        const index = corpus.pick(random);
        return index < 0 ? undefined : corpus.entries[index].data;
      },
    };
    this.#lastYield = performance.now();
  }

  #readSeeds(): { data: Uint8Array; file: string | undefined }[] {
    const seeds: { data: Uint8Array; file: string }[] = [];
    const seen = new Set<string>(this.#config.skipSeeds);
    for (const dir of this.#config.corpusDirs) {
      for (const name of listDirectory(dir)) {
        const file = path.join(dir, name);
        const data = readInputFile(file);
        if (data === undefined) continue;
        const hash = sha1Hex(data);
        if (seen.has(hash)) continue;
        seen.add(hash);
        seeds.push({ data, file });
      }
    }
    if (this.#flags.shuffle !== 0) {
      for (let i = seeds.length - 1; i > 0; i--) {
        const j = this.#random.below(i + 1);
        [seeds[i], seeds[j]] = [seeds[j], seeds[i]];
      }
    }
    if (this.#flags.prefer_small !== 0) seeds.sort((a, b) => a.data.length - b.data.length);
    return seeds;
  }

  /** Writes a new corpus input to the first corpus directory, named by its SHA-1 (off this thread). */
  #saveToCorpus(data: Uint8Array): string {
    const file = this.#corpusFiles.write(data);
    if (this.#flags.verbosity >= 2) log(`Written ${data.length} bytes to ${file}`);
    return file;
  }

  #elapsedSeconds(): number {
    return (Date.now() - this.#fuzzingStart) / 1000;
  }

  #stats(): FuzzStats {
    return {
      executions: this.#writer.header[HEADER.executions],
      covered: this.#covered,
      features: this.#corpus.featureCount,
      corpusEntries: this.#corpus.activeCount,
      corpusBytes: this.#corpus.sizeInBytes,
      registeredBlocks: this.#feedback.registeredBlocks,
      newUnits: this.#newUnits,
      elapsedSeconds: this.#elapsedSeconds(),
      findings: this.#findings.size,
      slowestUnitMs: this.#slowestMs,
    };
  }

  /** Copies the statistics into the shared header, for the watchdog's summary. */
  #publishStats(): void {
    const stats = this.#stats();
    const header = this.#writer.header;
    header[HEADER.covered] = stats.covered;
    header[HEADER.features] = stats.features;
    header[HEADER.corpusEntries] = stats.corpusEntries;
    header[HEADER.corpusBytes] = stats.corpusBytes;
    header[HEADER.registeredBlocks] = stats.registeredBlocks;
    header[HEADER.newUnits] = stats.newUnits;
  }

  #status(event: StatusEvent, suffix = ""): void {
    this.#publishStats();
    if (this.#flags.verbosity < 1) return;
    const line = statusLine(event, this.#stats(), statusRssMb()) + suffix;
    // The start and the end at once (a bench times from INITED); progress lines batched.
    if (event === "INITED" || event === "DONE  ") log(line);
    else logStatus(line);
  }
}

/** A copy of bytes[0..length): Buffer's slice() is a view, and the input buffer is reused. */
function copyBytes(bytes: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(bytes.subarray(0, length));
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n < 2 ** 31 ? (n & (n - 1)) === 0 : Number.isInteger(Math.log2(n)));
}
