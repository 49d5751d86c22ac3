// Kcov#collectOwnIndices and completeIndices (docs/runtime.md): the first writes each set
// counter's own block only, the second then writes exactly what collectIndices would have
// (same blocks, same order), with the counts consumed once by the first.
import * as path from "node:path";
import fc from "fast-check";
import { Kcov, KCOV_TRACE_PC, REGISTRY_KEY, type KcovRegistry } from "../runtime";
import { decodeTable } from "../runtime/block-table";
import { REPO_ROOT, instrument, loadCommonJs, outcomeOf } from "./helpers/instrument";
import { inputs, programSource, statements } from "./helpers/generated-programs";
import { registerFile, registerLinearFile, registerSharedCounterFile, resetRealm } from "./runtime-helpers";

let kcov: Kcov;

function openDevice(): void {
  kcov = new Kcov();
  kcov.initTrace(8);
  kcov.mmap();
  kcov.enable(KCOV_TRACE_PC);
}

afterEach(() => kcov?.close());

describe("registered tables", () => {
  beforeEach(resetRealm);

  test("own blocks first, then every block in block order; the counters are cleared by the first call", () => {
    registerLinearFile("first.js", 0, 3);
    const file = registerSharedCounterFile();
    openDevice();
    file.counters[0] = 1;
    file.counters[1] = 1;
    const out = new Uint32Array(9);
    expect(kcov.collectOwnIndices(out)).toBe(2);
    expect(Array.from(out.subarray(0, 2))).toEqual([3 + 0, 3 + 1]);
    expect(Array.from(file.counters)).toEqual([0, 0, 0, 0]);
    expect(kcov.indicesComplete).toBe(false);
    expect(kcov.completeIndices(out)).toBe(4);
    expect(Array.from(out.subarray(0, 4))).toEqual([3 + 0, 3 + 1, 3 + 2, 3 + 4]);
    expect(kcov.indicesComplete).toBe(true);
    expect(kcov.leftover).toBe(0);
  });

  test("a block reported by either of two counters comes with either one", () => {
    const file = registerFile({
      path: "src/either.js",
      regionStart: 0x3000,
      counterCount: 3,
      either: [1, 2],
      blocks: [{ slotOffset: 0, counter: 0 }, { slotOffset: 1, counter: 3 }, { slotOffset: 2, counter: 1 }, { slotOffset: 3, counter: 2 }],
    });
    openDevice();
    const out = new Uint32Array(4);
    file.counters[2] = 1;
    expect(kcov.collectOwnIndices(out)).toBe(1);
    expect(out[0]).toBe(3);
    expect(kcov.completeIndices(out)).toBe(2);
    expect(Array.from(out.subarray(0, 2))).toEqual([1, 3]);
  });

  test("count mode: the counts come with the first call, once", () => {
    const file = registerSharedCounterFile("count");
    openDevice();
    const counts = { counter: new Uint32Array(4), value: new Float64Array(4), length: 0 };
    const out = new Uint32Array(6);
    file.counters[1] = 7;
    file.counters[3] = 1;
    expect(kcov.collectOwnIndices(out, counts)).toBe(2);
    expect(Array.from(out.subarray(0, 2))).toEqual([1, 5]);
    expect(Array.from(counts.counter.subarray(0, counts.length))).toEqual([1, 3]);
    expect(Array.from(counts.value.subarray(0, counts.length))).toEqual([7, 1]);
    expect(Array.from(file.counters)).toEqual([0, 0, 0, 0]);
    expect(kcov.completeIndices(out)).toBe(3);
    expect(Array.from(out.subarray(0, 3))).toEqual([1, 4, 5]);
  });

  test("completeIndices after a full flush, or after another flush, is EINVAL", () => {
    const file = registerSharedCounterFile();
    openDevice();
    const out = new Uint32Array(6);
    file.counters[0] = 1;
    kcov.collectIndices(out);
    expect(() => kcov.completeIndices(out)).toThrow(/EINVAL: completeIndices\(\) completes the last flush of collectOwnIndices\(\)/);
    file.counters[0] = 1;
    kcov.collectOwnIndices(out);
    kcov.collect();
    expect(() => kcov.completeIndices(out)).toThrow(/EINVAL/);
  });

  test("where blocks could be left pending, collectOwnIndices is a full flush", () => {
    const file = registerSharedCounterFile();
    openDevice();
    file.counters[0] = 1;
    file.counters[1] = 1;
    const small = new Uint32Array(3);
    expect(kcov.collectOwnIndices(small)).toBe(3);
    expect(Array.from(small)).toEqual([0, 1, 2]);
    expect(kcov.leftover).toBe(1);
    expect(kcov.indicesComplete).toBe(true);
    // Block 4 is pending: the next flush is full too, even with room for every block.
    const out = new Uint32Array(6);
    expect(kcov.collectOwnIndices(out)).toBe(1);
    expect(out[0]).toBe(4);
    expect(kcov.indicesComplete).toBe(true);
  });
});

describe("instrumented programs", () => {
  let files = 0;

  /** Dense index of each block that owns its counter, from the decoded tables of the registered files. */
  function ownBlockIndices(): Set<number> {
    const registry = (globalThis as { [REGISTRY_KEY]?: KcovRegistry })[REGISTRY_KEY]!;
    const own = new Set<number>();
    let first = 0;
    for (const record of registry.files) {
      if (record.leftOut !== undefined) continue;
      for (const block of decodeTable(record).ownBlock) own.add(first + block);
      first += record.blockCount;
    }
    return own;
  }

  test.each(["hit", "count"] as const)("property: generated programs, own blocks then completeIndices give collectIndices' blocks and counts (%s mode)", async (counterMode) => {
    await fc.assert(fc.asyncProperty(statements, fc.constantFrom(...inputs), async (body, input) => {
      const instrumented = instrument(programSource(body), path.join(REPO_ROOT, `generated/collect-own-${counterMode}-${files++}.js`), { counterMode });
      const run = loadCommonJs(instrumented.code);
      const device = new Kcov();
      try {
        device.initTrace(8);
        device.mmap();
        device.enable(KCOV_TRACE_PC);
        const room = () => device.countersRegistered;
        const newCounts = () => ({ counter: new Uint32Array(room()), value: new Float64Array(room()), length: 0 });
        await outcomeOf(run, input);
        const full = new Uint32Array(1 << 16);
        const fullCounts = newCounts();
        const fullCount = device.collectIndices(full, fullCounts);
        await outcomeOf(run, input);
        const out = new Uint32Array(1 << 16);
        const counts = newCounts();
        const ownCount = device.collectOwnIndices(out, counts);
        const owning = ownBlockIndices();
        const expectedOwn = [...full.subarray(0, fullCount)].filter((index) => owning.has(index));
        expect([...out.subarray(0, ownCount)]).toEqual(expectedOwn);
        expect([...counts.counter.subarray(0, counts.length)]).toEqual([...fullCounts.counter.subarray(0, fullCounts.length)]);
        expect([...counts.value.subarray(0, counts.length)]).toEqual([...fullCounts.value.subarray(0, fullCounts.length)]);
        const completed = device.indicesComplete ? ownCount : device.completeIndices(out);
        expect([...out.subarray(0, completed)]).toEqual([...full.subarray(0, fullCount)]);
      } finally {
        device.close();
      }
    }), { numRuns: 40, seed: 20261202 });
  });
});
