// The public API of `babel-plugin-kcov/fuzz`: what a fuzz target imports.
export { FuzzedDataProvider, FloatLengthError } from "./fuzzed-data-provider";
