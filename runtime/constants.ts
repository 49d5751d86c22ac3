// Numbers shared by the device, the flush loop and symbolize. Values that come from
// Linux's uapi header keep Linux's names; the PC layout comes from docs/block-table.md.

/** KCOV_ENABLE argument: one PC per executed basic block. */
export const KCOV_TRACE_PC = 0;

/**
 * KCOV_ENABLE argument: comparison operands, one record per comparison executed in code
 * instrumented with the plugin option `traceCmp` (docs/compare-area.md).
 */
export const KCOV_TRACE_CMP = 1;

/** Device modes, numbered as Linux's `enum kcov_mode` and KCOV.md's table. */
export const KCOV_MODE_DISABLED = 0;
export const KCOV_MODE_INIT = 1;
export const KCOV_MODE_TRACE_PC = 2;
export const KCOV_MODE_TRACE_CMP = 3;

/**
 * Largest area `initTrace` accepts, in 64-bit words (80 MiB). gVisor's bound; Linux's is
 * INT_MAX / 8 words, far more than a JavaScript heap wants to share.
 */
export const KCOV_MAX_AREA_WORDS = 10 * 1024 * 1024;

/** Smallest area: word 0 plus room for one PC. */
export const KCOV_MIN_AREA_WORDS = 2;

/** High 32 bits of every PC of the kernel32 layout: a 32-bit PC is read as its low half. */
export const KERNEL32_HIGH_WORD = 0xffffffff;
