// The flush's scan for set counters (runtime/consume-counters.ts, findHitCounters) skips
// counters by groups: eight hit-mode bytes by one Float64 load, count-mode counters by the
// sum of a group, and then one at a time past the last whole group. A scan that misses a
// group's last counter, or the counters after the last whole group, loses coverage
// silently; these tests set every position of files of many lengths, alone and in random
// sets, and require exactly those blocks, with their counts, and the counters cleared.
import fc from "fast-check";
import { Kcov, KCOV_TRACE_PC, type CounterCounts, type KcovFileRecord } from "../runtime";
import { makeRecord, registerRecord, resetRealm } from "./runtime-helpers";

type Layout = "hit, 8-byte aligned" | "hit, unaligned" | "count";
const LAYOUTS: Layout[] = ["hit, 8-byte aligned", "hit, unaligned", "count"];
/** Around every group size the scan may use (4, 8, 16) and past it. */
const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 19, 23, 24, 25, 31, 32, 33, 63, 64, 65];

let kcov: Kcov | undefined;
afterEach(() => kcov?.close());
beforeEach(resetRealm);

/** A file of `length` blocks, each with its own counter, laid out as `layout` says. */
function registerScannedFile(path: string, length: number, layout: Layout): KcovFileRecord {
  const record = makeRecord({
    path,
    regionStart: 0x10000 * (path.length + 1),
    counterMode: layout === "count" ? "count" : "hit",
    blocks: Array.from({ length }, (_, slotOffset) => ({ slotOffset })),
  });
  if (layout === "hit, unaligned") {
    // Counters that do not start on an 8-byte boundary cannot be read as Float64 words.
    record.counters = new Uint8Array(new ArrayBuffer(length + 1), 1, length);
  }
  return registerRecord(record);
}

function openDevice(): Kcov {
  kcov = new Kcov();
  kcov.initTrace(4);
  kcov.mmap();
  kcov.enable(KCOV_TRACE_PC);
  return kcov;
}

/** Sets `hits` (counter -> count) and flushes: the blocks listed and their counts. */
function flush(device: Kcov, file: KcovFileRecord, hits: Map<number, number>, firstBlock = 0): { blocks: number[]; counts: [number, number][] } {
  for (const [counter, count] of hits) file.counters[counter] = file.counters instanceof Float64Array ? count : 1;
  const out = new Uint32Array(firstBlock + file.counters.length + 1);
  const counts: CounterCounts = { counter: new Uint32Array(out.length), value: new Float64Array(out.length), length: 0 };
  const written = device.collectIndices(out, counts);
  return {
    blocks: Array.from(out.subarray(0, written)),
    counts: Array.from(counts.counter.subarray(0, counts.length), (counter, i) => [counter, counts.value[i]]),
  };
}

function expected(file: KcovFileRecord, hits: Map<number, number>, firstBlock = 0) {
  const set = [...hits.keys()].sort((a, b) => a - b);
  return {
    blocks: set.map((counter) => firstBlock + counter),
    counts: file.counters instanceof Float64Array ? set.map((counter): [number, number] => [counter, hits.get(counter)!]) : [],
  };
}

describe.each(LAYOUTS)("%s counters", (layout) => {
  test.each(LENGTHS)("a file of %i counters: each position alone is listed, with its count, and cleared", (length) => {
    const file = registerScannedFile("src/scanned.js", length, layout);
    const device = openDevice();
    for (let position = 0; position < length; position++) {
      const hits = new Map([[position, 2 + (position % 5)]]);
      expect({ position, ...flush(device, file, hits) }).toEqual({ position, ...expected(file, hits) });
      expect(Array.from(file.counters).every((value) => value === 0)).toBe(true);
    }
  });

  test("random sets of counters, in a file after another file's blocks", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LENGTHS),
        fc.array(fc.tuple(fc.nat(64), fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(2 ** 40))), { maxLength: 20 }),
        (length, picks) => {
          resetRealm();
          const before = registerScannedFile("src/a.js", 5, layout);
          const file = registerScannedFile("src/scanned-after.js", length, layout);
          const device = openDevice();
          const hits = new Map(picks.filter(([counter]) => counter < length));
          const { blocks, counts } = flush(device, file, hits, before.blockCount);
          const want = expected(file, hits, before.blockCount);
          device.close();
          kcov = undefined;
          // Counts are reported by registry-wide counter; the first file holds 5.
          expect(blocks).toEqual(want.blocks);
          expect(counts).toEqual(want.counts.map(([counter, count]) => [before.counters.length + counter, count]));
          expect(Array.from(file.counters).every((value) => value === 0)).toBe(true);
        },
      ),
      { numRuns: 300, seed: 20261202 },
    );
  });
});
