// Comparison feedback for the built-in engine, as AFL++'s cmplog (Redqueen) gets it: not on
// every execution, but in a comparison stage. The first time an input is about to be
// mutated (a seed, a new corpus entry, a reduced one), it is run once more with its
// KCOV_TRACE_CMP device enabled (docs/compare-area.md); where that very input holds one
// operand of a comparison it made, the stage runs it with the other operand written there
// (input-to-state: fuzz/engine/input-to-state.ts), before the mutators go on. The operand
// pairs also go into a table of recent compares, as libFuzzer's TORC: the Token mutator
// takes a pair and writes the other operand where the input being mutated holds one, or
// inserts the constant as a dictionary token.
//
// Tracing only in the stage is what keeps comparisons cheap: with the device disabled,
// instrumented code pays one call and a null check per comparison, while recording every
// comparison of every execution halved the engine's exec/s on qs and fast-xml-parser.
//
// It is a token source of the engine (fuzz/engine/token-source.ts): `nextInput` is the
// stage, `afterExecution` reads the traced run, `pickToken` answers the Token mutator.

import { KCOV_CMP_CONST, KCOV_TRACE_CMP, Kcov, STRING_HEADER_BYTES, STRING_RECORD_BYTES } from "../../runtime";
import { sha1Hex } from "../findings";
import { applyReplacement, inputToStateReplacements, integerBytes, type ComparedOperands, type Replacement } from "./input-to-state";

/** What this source needs of the engine's random generator (fuzz/engine/random.ts). */
export interface RandomSource {
  below(n: number): number;
  coin(): boolean;
}

/** One compared pair: operand bytes as the input would hold them. */
export interface ComparePair {
  /** The constant when the comparison had one (KCOV_CMP_CONST), else the left operand. */
  readonly a: Uint8Array;
  readonly b: Uint8Array;
  readonly constant: boolean;
}

/** Entries of the table of recent compares; a new pair replaces the one at its hash. */
const TABLE_SIZE = 512;
/** Records read per traced run at most: the area's capacity. */
const AREA_RECORDS = 4096;
const STRING_RECORDS = 512;

/**
 * Where `needle` first occurs in `haystack` from a random start, wrapping: the first match at
 * or after `start % (last + 1)`, else the first before it; -1 if none.
 */
export function findFrom(haystack: Uint8Array, needle: Uint8Array, start: number): number {
  const last = haystack.length - needle.length;
  if (needle.length === 0 || last < 0) return -1;
  const from = start % (last + 1);
  const after = firstMatchIn(haystack, needle, from, last);
  return after >= 0 ? after : firstMatchIn(haystack, needle, 0, from - 1);
}

/**
 * The first position in [from, to] where `needle` occurs, or -1. The candidates come from
 * the typed array's own indexOf for the needle's first byte: a builtin, as fast in a
 * session's first executions (cold, interpreted code) as later, where a byte-by-byte loop
 * over every position cost a guided run's start several milliseconds.
 */
function firstMatchIn(haystack: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  const lead = needle[0];
  for (let at = haystack.indexOf(lead, from); at >= 0 && at <= to; at = haystack.indexOf(lead, at + 1)) {
    let i = 1;
    while (i < needle.length && haystack[at + i] === needle[i]) i++;
    if (i === needle.length) return at;
  }
  return -1;
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * The table of recent compares. `add` is cheap (a hash and a store); pairs of equal
 * operands are skipped, since the comparison already went the way the input made it go.
 */
export class CompareTable {
  readonly #pairs: (ComparePair | undefined)[] = new Array(TABLE_SIZE);
  /** The filled slots, so that a pick is uniform over the pairs however few there are. */
  readonly #filled: number[] = [];

  get size(): number {
    return this.#filled.length;
  }

  add(hash: number, pair: ComparePair): void {
    if (sameBytes(pair.a, pair.b)) return;
    const slot = (hash >>> 0) % TABLE_SIZE;
    if (this.#pairs[slot] === undefined) this.#filled.push(slot);
    this.#pairs[slot] = pair;
  }

  /** A random pair, or undefined when the table is empty. */
  pick(random: RandomSource): ComparePair | undefined {
    const filled = this.#filled;
    return filled.length === 0 ? undefined : this.#pairs[filled[random.below(filled.length)]];
  }
}

/**
 * The token for a mutation of `input` from `pair`: where the input holds one operand's
 * bytes, the other operand to write exactly there; otherwise a plain token (the constant,
 * or either operand) for the engine to insert or overwrite anywhere.
 */
export function tokenFromPair(pair: ComparePair, input: Uint8Array, random: RandomSource): Uint8Array | { token: Uint8Array; at: number } {
  const start = input.length === 0 ? 0 : random.below(input.length);
  const [first, second] = random.coin() ? [pair.b, pair.a] : [pair.a, pair.b];
  let at = findFrom(input, first, start);
  if (at >= 0 && at + second.length <= input.length) return { token: second, at };
  at = findFrom(input, second, start);
  if (at >= 0 && at + first.length <= input.length) return { token: first, at };
  return pair.constant || random.coin() ? pair.a : pair.b;
}

/**
 * Replacements tried per traced input at most (most bytes matched first). This and the
 * stage's share were chosen on bench/fuzz's libraries (executions to the first finding,
 * 9 seeds): 48 replacements and a quarter of the executions took 1.6x as many on qs.
 */
const REPLACEMENTS_PER_TRACE = 16;
/**
 * The stage's share of the executions at most, beyond its first STAGE_ALLOWANCE: a run
 * whose corpus grows quickly must still spend most of its executions on the mutators.
 */
const STAGE_SHARE = 0.1;
const STAGE_ALLOWANCE = 16;

/** The engine's comparison stage and token source of comparison feedback. */
export class CompareFeedback {
  readonly mutatorName = "CMP";
  readonly table = new CompareTable();
  readonly #kcov: Kcov;
  readonly #words: BigUint64Array;
  readonly #strings: Uint8Array;
  readonly #stringView: DataView;
  /** Inputs traced already (a reduced entry is a new array, so it is traced again). */
  readonly #traced = new WeakSet<Uint8Array>();
  /** The input of the traced run in progress, or undefined. */
  #tracing: Uint8Array | undefined;
  /** The input the pending replacements apply to, and those not run yet. */
  #replacing: Uint8Array | undefined;
  #pending: Replacement[] = [];
  /** Executions the engine asked about, and how many of them were the stage's. */
  #executions = 0;
  #stageRuns = 0;
  #start = 0;
  #maxSize = 0;

  /**
   * SHA-1s of inputs that hung or killed an earlier executor of the session: the stage
   * would make them again at once (it is deterministic), so it leaves them out.
   */
  readonly #skip: ReadonlySet<string>;

  /** Opens the realm's TRACE_CMP device, disabled until a traced run; the engine's TRACE_PC device is another. */
  constructor(skip: readonly string[] = []) {
    this.#skip = new Set(skip);
    this.#kcov = new Kcov({ stringRecords: STRING_RECORDS });
    this.#kcov.initTrace(1 + 4 * AREA_RECORDS);
    this.#words = this.#kcov.mmap();
    this.#strings = this.#kcov.mmapStrings();
    this.#stringView = new DataView(this.#strings.buffer);
  }

  /**
   * The stage: writes the next input into `out` and returns its size, or -1 to leave this
   * execution to the mutators. `base` is the corpus input the engine is about to mutate.
   */
  nextInput(base: Uint8Array, out: Uint8Array, maxSize: number): number {
    this.#executions++;
    this.#maxSize = maxSize;
    if (this.#stageRuns >= STAGE_ALLOWANCE + this.#executions * STAGE_SHARE) return -1;
    for (let replacement = this.#pending.pop(); replacement !== undefined; replacement = this.#pending.pop()) {
      const size = applyReplacement(this.#replacing!, replacement, out);
      if (this.#skip.size > 0 && this.#skip.has(sha1Hex(out.subarray(0, size)))) continue;
      this.#stageRuns++;
      return size;
    }
    if (this.#traced.has(base) || base.length > maxSize) return -1;
    this.#traced.add(base);
    this.#stageRuns++;
    out.set(base);
    this.#tracing = base;
    this.#kcov.enable(KCOV_TRACE_CMP);
    return base.length;
  }

  /**
   * After every execution: nothing, unless it was a traced run; then its records go into
   * the table and give the replacements to run next, and the device is disabled again.
   */
  afterExecution(): void {
    const traced = this.#tracing;
    if (traced === undefined) return;
    this.#tracing = undefined;
    this.#kcov.disable();
    const compared = this.#readRecords();
    const replacements = inputToStateReplacements(traced, compared, this.#maxSize, REPLACEMENTS_PER_TRACE, this.#start++);
    // Popped from the end: the best match runs first.
    this.#pending = replacements.reverse();
    this.#replacing = traced;
  }

  /** The traced run's comparisons (each once), into the table too; resets both areas. */
  #readRecords(): ComparedOperands[] {
    const compared: ComparedOperands[] = [];
    const seen = new Set<string>();
    const words = this.#words;
    const count = Math.min(Number(words[0]), AREA_RECORDS);
    for (let i = 0; i < count; i++) {
      const at = 1 + 4 * i;
      const type = Number(words[at]);
      const width = 1 << ((type >> 1) & 3);
      const arg1 = words[at + 1], arg2 = words[at + 2];
      const key = `${arg1}:${arg2}`;
      if (seen.has(key)) continue;
      seen.add(key);
      compared.push({ kind: "integer", a: arg1, b: arg2, width });
      const constant = (type & KCOV_CMP_CONST) !== 0;
      const hash = Number(words[at + 3] & 0xffffffffn) ^ Number((arg1 ^ (arg2 << 7n)) & 0xffffffffn);
      this.table.add(hash, { a: integerBytes(arg1, width, true), b: integerBytes(arg2, width, true), constant });
      if (width > 1) this.table.add(hash ^ 0x5bd1e995, { a: integerBytes(arg1, width, false), b: integerBytes(arg2, width, false), constant });
    }
    words[0] = 0n;

    const strings = this.#strings;
    const view = this.#stringView;
    const stringCount = Math.min(Number(view.getBigUint64(0, true)), STRING_RECORDS);
    for (let i = 0; i < stringCount; i++) {
      const at = STRING_HEADER_BYTES + STRING_RECORD_BYTES * i;
      const length1 = strings[at + 10], length2 = strings[at + 11];
      const a = strings.slice(at + 16, at + 16 + length1);
      const b = strings.slice(at + 80, at + 80 + length2);
      const key = `${a.join(",")}:${b.join(",")}`;
      if (seen.has(key)) continue;
      seen.add(key);
      compared.push({ kind: "bytes", a, b });
      const hash = view.getUint32(at, true) ^ (length1 << 8) ^ (a[0] ?? 0) ^ ((b[0] ?? 0) << 16);
      this.table.add(hash, { a, b, constant: (strings[at + 8] & KCOV_CMP_CONST) !== 0 });
    }
    view.setBigUint64(0, 0n, true);
    return compared;
  }

  pickToken(random: RandomSource, input: Uint8Array): Uint8Array | { token: Uint8Array; at: number } | undefined {
    const pair = this.table.pick(random);
    return pair === undefined ? undefined : tokenFromPair(pair, input, random);
  }

  close(): void {
    this.#kcov.close();
  }
}
