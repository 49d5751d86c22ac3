// babel-plugin-kcov/runtime: the kcov device a fuzzer opens in the program under test.
// Dependency-free, no effect at load time; see docs/runtime.md.

export { Kcov, type KcovOptions } from "./kcov";
export type { CounterCounts } from "./consume-counters";
export { KcovError, KcovRegistrationError, type KcovErrorCode } from "./errors";
export {
  KCOV_TRACE_PC,
  KCOV_TRACE_CMP,
  KCOV_MODE_DISABLED,
  KCOV_MODE_INIT,
  KCOV_MODE_TRACE_PC,
  KCOV_MODE_TRACE_CMP,
  KCOV_MAX_AREA_WORDS,
  KCOV_MIN_AREA_WORDS,
} from "./constants";
export { symbolize, blocks, blockAtIndex, executedBlocks, formatSymbolized, type SymbolizedBlock, type SourcePosition } from "./symbolize";
export {
  KCOV_CMP_CONST, COMPARE_OPS, STRING_HEADER_BYTES, STRING_RECORD_BYTES, STRING_OPERAND_BYTES, COMPARE_HOOKS_KEY,
} from "./compare-area";
export { REGISTRY_KEY, REGISTRY_VERSION, leaveOutClashingFiles, type KcovRegistry, type KcovFileRecord } from "./registry";
