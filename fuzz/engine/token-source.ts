// Where the Token mutator gets the byte strings it inserts or overwrites: the -dict
// dictionary, and later comparison feedback (trace-cmp: fuzz/engine/compare-feedback.ts).
// This interface is the extension point: a source is registered in
// fuzz/engine/fuzz-process.ts (`tokenSourcesFor`), and the engine calls it; nothing else in
// the engine needs to change.

import type { Random } from "./random";

export interface TokenSource {
  /** Printed in the MS: mutation sequence when one of its tokens is used ("Dict", "CMP"). */
  readonly mutatorName: string;
  /**
   * Called after every execution of the target, before the next input is made: the place
   * to read, e.g., the comparison area of that execution. `input` is the executed input
   * (valid only during the call). Must be cheap: it counts in the engine's per-exec cost.
   */
  afterExecution?(input: Uint8Array): void;
  /**
   * A stage of the source's own (the comparison stage): called before every execution
   * with the corpus input the engine is about to mutate; writes an input of at most
   * `maxSize` bytes into `out` and returns its size, or returns -1 to let the mutators
   * make this execution's input. Must be cheap when it returns -1.
   */
  nextInput?(base: Uint8Array, out: Uint8Array, maxSize: number): number;
  /**
   * A token for the next mutation, or undefined if the source has none now. The engine
   * inserts it or overwrites the input with it at a random position. `input` is the input
   * being mutated, for input-to-state sources that look for an operand's bytes in it:
   * such a source may return `{ token, at }` to ask for the token to overwrite `input` at
   * `at` exactly.
   */
  pickToken(random: Random, input: Uint8Array): Uint8Array | { token: Uint8Array; at: number } | undefined;
}

/** A fixed list of tokens: the -dict dictionary. */
export class DictionaryTokens implements TokenSource {
  readonly mutatorName = "ManualDict";

  constructor(readonly tokens: readonly Uint8Array[]) {}

  pickToken(random: Random): Uint8Array | undefined {
    return this.tokens.length === 0 ? undefined : this.tokens[random.below(this.tokens.length)];
  }
}
