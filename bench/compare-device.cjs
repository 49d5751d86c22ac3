// The KCOV_TRACE_CMP device the comparison benchmarks enable before a workload loads: the
// `kcov cmp` variants' preamble (bench/variants.mjs) requires it, and bench/compare-parts.mjs
// calls it with parts of it turned off. One place, so that both measure the same set-up.
// CommonJS, so that a CommonJS workload can require it and an ES module import it.
"use strict";

const COMPARE_HOOKS_KEY = Symbol.for("babel-plugin-kcov.compare");
/** Where the records written are counted for bench/child.mjs (the Jazzer.js stand-in uses it too). */
const COMPARE_RECORDS_KEY = Symbol.for("kcov-bench.compare-records");

/**
 * Enables a TRACE_CMP device of `runtime` (a dist/runtime/index.js) with a 4096-record
 * Linux area and 4096 string records. A fuzzer resets the areas for every input; here they
 * are reset whenever one is three quarters full (room to spare for a switch's records, one
 * per case), by a wrapper around each recorder the device installed, whose cost the
 * measurement includes, so that records keep being written rather than dropped. The
 * records written are counted at each reset, outside the recorders' own path.
 *
 * `noop`: names of recorders replaced by a function that does nothing (bench/compare-parts.mjs);
 * `wrapNoops`: keep the reset wrapper around those too. Does nothing if a device is enabled
 * in the realm already (one for all of a workload's files).
 */
function enableBenchCompareDevice(runtime, { noop = new Set(), wrapNoops = false } = {}) {
  const installed = globalThis[COMPARE_HOOKS_KEY];
  if (installed && installed.record) return;
  const device = new runtime.Kcov({ stringRecords: 4096 });
  device.initTrace(1 + 4 * 4096);
  const words = new Uint32Array(device.mmap().buffer);
  const strings = new Uint32Array(device.mmapStrings().buffer);
  let written = 0;
  const reset = () => {
    if (words[0] >= 3072) { written += words[0]; words[0] = 0; }
    if (strings[0] >= 3072) { written += strings[0]; strings[0] = 0; }
  };
  globalThis[COMPARE_RECORDS_KEY] = () => written + words[0] + strings[0];
  device.enable(runtime.KCOV_TRACE_CMP);
  const hooks = globalThis[COMPARE_HOOKS_KEY];
  // Every recorder the device installed: the hooks call whichever fits the site.
  for (const name of Object.keys(hooks)) {
    const recorder = hooks[name];
    if (typeof recorder !== "function" || !name.startsWith("record")) continue;
    const nothing = function () {};
    const inner = noop.has(name) ? nothing : recorder;
    hooks[name] = noop.has(name) && !wrapNoops
      ? nothing
      : function (pcLow, pcHigh, a, b, c, d) { reset(); return inner(pcLow, pcHigh, a, b, c, d); };
  }
}

module.exports = { enableBenchCompareDevice, COMPARE_RECORDS_KEY };
