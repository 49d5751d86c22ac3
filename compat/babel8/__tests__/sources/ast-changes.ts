// Constructs whose AST Babel 8 changed (plugin/babel-compat.ts): each must give the same
// blocks, names and PCs under Babel 7 and Babel 8.
enum Level { Low = 1, High = Low > 0 ? 10 : 20 }

class Box<T> {
  constructor(readonly value: T) {}
  0x10n(): string { return "hex bigint key"; }
  1_000n(): string { return "bigint key with separators"; }
}

class Crate extends Box<number> {
  open(): Promise<unknown> {
    return this.value > 0 ? import("node:path") : import("node:fs", { with: {} });
  }
}

const make = <T,>(value: T) => new Box<T>(value);
const boxOfString = make<string>;

export function use(flag: boolean): unknown {
  const crate = new Crate(flag ? Level.High : Level.Low);
  return flag && crate.open() || boxOfString("x") || make(1)["0x10n"]?.();
}
