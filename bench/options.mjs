// Option checks shared by the fuzzing benchmarks (bench/fuzz/run.mjs, bench/magic/run.mjs),
// on the values of node:util's parseArgs.

/** `--name` as a positive integer (`fallback` when absent); throws naming the option. */
export function positiveOption(values, name, fallback) {
  const text = values[name] ?? fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${text}"`);
  return n;
}

/** `--name a,b` as a list of names out of `known` (`fallback` when absent); throws on an unknown one. */
export function listOption(values, name, known, fallback = known) {
  if (values[name] === undefined) return fallback;
  const names = values[name].split(",").filter(Boolean);
  for (const n of names) if (!known.includes(n)) throw new Error(`--${name}: unknown "${n}"; known: ${known.join(", ")}`);
  return names;
}
