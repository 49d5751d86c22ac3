// What `require("@jazzer.js/core")` / `import ... from "@jazzer.js/core"` gives a fuzz target
// under jskcov when that package is missing or cannot load (see jazzer-compat.ts). It covers
// the part of Jazzer.js's API a target uses while it runs: FuzzedDataProvider and the
// guidance hints. The hints are accepted and ignored: they only steer Jazzer.js's own engine.

export { FuzzedDataProvider } from "./fuzzed-data-provider";

/** Jazzer.js: hints that `current` should become `target`. Ignored here. */
export function guideTowardsEquality(_current: string, _target: string, _id: number): void {}

/** Jazzer.js: hints that `haystack` should come to contain `needle`. Ignored here. */
export function guideTowardsContainment(_needle: string, _haystack: string, _id: number): void {}

/** Jazzer.js: asks the engine to value distinct `state` values at `id`. Ignored here. */
export function exploreState(_state: number, _id: number): void {}

export const jazzer = { guideTowardsEquality, guideTowardsContainment, exploreState };
