// The public API of `babel-plugin-kcov/fuzz`: what a fuzz target or an executor imports.
export { FuzzedDataProvider, FloatLengthError } from "./fuzzed-data-provider";
export { installJazzerCoreFallback } from "./jazzer-compat";
