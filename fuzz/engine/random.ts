// The engine's only source of randomness: a seeded xoshiro128** generator, so a run with
// a given -seed makes the same inputs in the same order (for a deterministic target).

export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    // splitmix32 spreads the seed over the state; an all-zero state would stay zero.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next() | 1;
  }

  /** A uniformly random 32-bit unsigned integer. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** An integer in [0, n), for 0 < n <= 2^32 (n = 0 gives 0). */
  below(n: number): number {
    return Math.floor((this.next() / 0x100000000) * n);
  }

  /** A float in [0, 1). */
  fraction(): number {
    return this.next() / 0x100000000;
  }

  /** True with probability 1/2. */
  coin(): boolean {
    return (this.next() & 0x80000000) !== 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
