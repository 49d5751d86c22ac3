// The flush: byte-exact area contents, consumer reset, overflow and carry-over, enable
// clearing, lazy registration, count-mode counters and the dense-index extension.

import { Kcov, KCOV_TRACE_PC, executedBlocks } from "../runtime";
import {
  areaBytes,
  littleEndianBytes,
  makeRecord,
  pcOf,
  registerFile,
  registerLinearFile,
  registerRecord,
  resetRealm,
} from "./runtime-helpers";

let kcov: Kcov;
let area: BigUint64Array;

function openDevice(words: number): void {
  kcov = new Kcov();
  kcov.initTrace(words);
  area = kcov.mmap();
  kcov.enable(KCOV_TRACE_PC);
}

beforeEach(resetRealm);
afterEach(() => kcov?.close());

test("the area holds the count, then each hit block's PC once, in file then block order", () => {
  // Two files; block order differs from slot order in the first, to show PCs come from
  // the table and the order from the blocks.
  const first = registerFile({
    path: "src/first.js",
    regionStart: 0x1000,
    blocks: [{ slotOffset: 7 }, { slotOffset: 3 }, { slotOffset: 12 }],
  });
  const second = registerFile({
    path: "src/second.js",
    regionStart: 0x4000,
    blocks: [{ slotOffset: 0 }, { slotOffset: 1 }],
  });
  openDevice(8);
  second.counters[1] = 1;
  first.counters[2] = 1;
  first.counters[0] = 1;

  expect(kcov.collect()).toBe(3);
  expect(areaBytes(area)).toEqual(
    littleEndianBytes([3n, pcOf(0x1007), pcOf(0x100c), pcOf(0x4001), 0n, 0n, 0n, 0n]),
  );
  // The PCs are exactly the contract's numbers.
  expect(area[1]).toBe(0xffffffff80008038n);
  // The counters were consumed.
  expect(Array.from(first.counters)).toEqual([0, 0, 0]);
  expect(Array.from(second.counters)).toEqual([0, 0]);
  expect(kcov.leftover).toBe(0);
});

test("a second flush appends after the current count; a block that ran again appears again", () => {
  const file = registerLinearFile("a.js", 0, 4);
  openDevice(8);
  file.counters[1] = 1;
  kcov.collect();
  file.counters[1] = 1;
  file.counters[3] = 1;
  expect(kcov.collect()).toBe(2);
  expect(areaBytes(area)).toEqual(littleEndianBytes([3n, pcOf(1), pcOf(1), pcOf(3), 0n, 0n, 0n, 0n]));
  expect(kcov.collect()).toBe(0);
  expect(area[0]).toBe(3n);
});

test("the consumer resets by storing 0 in word 0; the flush re-reads it", () => {
  const file = registerLinearFile("a.js", 0, 4);
  openDevice(8);
  file.counters[0] = 1;
  file.counters[1] = 1;
  kcov.collect();
  area[0] = 0n;
  file.counters[2] = 1;
  expect(kcov.collect()).toBe(1);
  // Word 1 is overwritten, the stale word 2 stays beyond the count.
  expect(areaBytes(area)).toEqual(littleEndianBytes([1n, pcOf(2), pcOf(1), 0n, 0n, 0n, 0n, 0n]));
});

test("a consumer may also rewind to a non-zero count", () => {
  const file = registerLinearFile("a.js", 0, 4);
  openDevice(8);
  file.counters.fill(1);
  kcov.collect();
  area[0] = 1n;
  file.counters[3] = 1;
  kcov.collect();
  expect(Array.from(area.slice(0, 3))).toEqual([2n, pcOf(0), pcOf(3)]);
});

test("overflow: never writes past the end; blocks that did not fit are pending and come next", () => {
  const file = registerLinearFile("a.js", 0x2000, 5);
  openDevice(3); // room for 2 PCs
  const guard = new BigUint64Array(area.buffer); // the whole SharedArrayBuffer
  expect(guard.length).toBe(3);
  file.counters.fill(1);
  expect(kcov.collect()).toBe(2);
  expect(kcov.leftover).toBe(3);
  expect(areaBytes(area)).toEqual(littleEndianBytes([2n, pcOf(0x2000), pcOf(0x2001)]));
  // The counters are consumed; blocks 2-4 are pending in the flush, not in the counters.
  expect(Array.from(file.counters)).toEqual([0, 0, 0, 0, 0]);

  // Full: nothing is appended, nothing is lost.
  file.counters[0] = 1;
  expect(kcov.collect()).toBe(0);
  expect(kcov.leftover).toBe(4);
  expect(area[0]).toBe(2n);

  area[0] = 0n;
  expect(kcov.collect()).toBe(2);
  expect(Array.from(area)).toEqual([2n, pcOf(0x2000), pcOf(0x2002)]);
  area[0] = 0n;
  expect(kcov.collect()).toBe(2);
  expect(Array.from(area)).toEqual([2n, pcOf(0x2003), pcOf(0x2004)]);
  expect(kcov.leftover).toBe(0);
});

test("a count the area cannot hold appends nothing and is left alone", () => {
  const file = registerLinearFile("a.js", 0, 2);
  openDevice(4);
  area[0] = 1n << 40n;
  file.counters[0] = 1;
  expect(kcov.collect()).toBe(0);
  expect(area[0]).toBe(1n << 40n);
  expect(kcov.leftover).toBe(1);
  area[0] = 3n;
  expect(kcov.collect()).toBe(0);
  area[0] = 0n;
  expect(kcov.collect()).toBe(1);
});

test("enable clears coverage gathered before it; the area itself is not reset", () => {
  const file = registerLinearFile("a.js", 0, 3);
  file.counters[0] = 1; // ran before any device existed
  openDevice(8);
  expect(kcov.collect()).toBe(0);
  file.counters[1] = 1;
  kcov.collect();
  kcov.disable();
  file.counters[2] = 1; // ran while disabled
  kcov.enable(KCOV_TRACE_PC);
  expect(kcov.collect()).toBe(0);
  expect(Array.from(area.slice(0, 2))).toEqual([1n, pcOf(1)]);
});

test("files that register after enable take part, after earlier files in the order", () => {
  const early = registerLinearFile("early.js", 0x1000, 2);
  openDevice(8);
  const late = registerLinearFile("late.js", 0, 2); // lower region, registered later
  late.counters[0] = 1; // its top level ran while loading
  early.counters[1] = 1;
  expect(kcov.collect()).toBe(2);
  expect(Array.from(area.slice(0, 3))).toEqual([2n, pcOf(0x1001), pcOf(0)]);
});

test("a file evaluated again reuses its record, so nothing is counted twice", () => {
  const first = registerLinearFile("a.js", 0, 2);
  openDevice(8);
  const again = registerLinearFile("a.js", 0, 2);
  expect(again).toBe(first);
  again.counters[0] = 1;
  expect(kcov.collect()).toBe(1);
});

test("count-mode counters (Float64Array) report a block once however often it ran", () => {
  const file = registerFile({
    path: "count.js",
    regionStart: 0,
    counterMode: "count",
    blocks: [{ slotOffset: 0 }, { slotOffset: 1 }],
  });
  openDevice(8);
  file.counters[1] = 41;
  expect(kcov.collect()).toBe(1);
  expect(Array.from(area.slice(0, 2))).toEqual([1n, pcOf(1)]);
  expect(Array.from(file.counters)).toEqual([0, 0]);
});

test("collectIndices fills dense block indices, leaves the area alone and carries over", () => {
  const a = registerLinearFile("a.js", 0x1000, 3);
  const b = registerLinearFile("b.js", 0, 2);
  openDevice(8);
  a.counters[2] = 1;
  b.counters[0] = 1;
  b.counters[1] = 1;
  const out = new Uint32Array(2);
  expect(kcov.collectIndices(out)).toBe(2);
  expect(Array.from(out)).toEqual([2, 3]);
  expect(kcov.leftover).toBe(1);
  expect(kcov.collectIndices(out)).toBe(1);
  expect(out[0]).toBe(4);
  expect(area[0]).toBe(0n);
});

test("collectIndices' counts: each non-zero count-mode counter's index and value, across files, before it is cleared", () => {
  const hit = registerLinearFile("hit.js", 0x1000, 2);
  const a = registerFile({ path: "a.js", regionStart: 0x2000, counterMode: "count", blocks: [{ slotOffset: 0 }, { slotOffset: 1 }, { slotOffset: 2 }] });
  const b = registerFile({ path: "b.js", regionStart: 0x3000, counterMode: "count", blocks: [{ slotOffset: 0 }, { slotOffset: 1 }] });
  openDevice(8);
  expect(kcov.countersRegistered).toBe(7);
  const counts = { counter: new Uint32Array(7), value: new Float64Array(7), length: 99 };
  const out = new Uint32Array(8);
  hit.counters[1] = 1;
  a.counters[0] = 3;
  a.counters[2] = 1;
  b.counters[1] = 2 ** 40;
  expect(kcov.collectIndices(out, counts)).toBe(4);
  expect(Array.from(out.subarray(0, 4))).toEqual([1, 2, 4, 6]);
  // Counter indices count every earlier file's counters, hit-mode ones too; hit files give no counts.
  expect(counts.length).toBe(3);
  expect(Array.from(counts.counter.subarray(0, 3))).toEqual([2, 4, 6]);
  expect(Array.from(counts.value.subarray(0, 3))).toEqual([3, 1, 2 ** 40]);
  expect([...a.counters, ...b.counters]).toEqual([0, 0, 0, 0, 0]);
  expect(kcov.collectIndices(out, counts)).toBe(0);
  expect(counts.length).toBe(0);
});

test("collectIndices' counts are reported when blocks overflow too, once, with the flush that consumes the counter", () => {
  const file = registerFile({ path: "a.js", regionStart: 0, counterMode: "count", blocks: [{ slotOffset: 0 }, { slotOffset: 1 }, { slotOffset: 2 }] });
  openDevice(8);
  const counts = { counter: new Uint32Array(3), value: new Float64Array(3), length: 0 };
  const out = new Uint32Array(2);
  file.counters.set([5, 6, 7]);
  expect(kcov.collectIndices(out, counts)).toBe(2);
  expect(Array.from(counts.value.subarray(0, counts.length))).toEqual([5, 6, 7]);
  // The pending block comes next; a counter set again in between is counted with this flush.
  file.counters[0] = 9;
  expect(kcov.collectIndices(out, counts)).toBe(2);
  expect(Array.from(out)).toEqual([0, 2]);
  expect(Array.from(counts.counter.subarray(0, counts.length))).toEqual([0]);
  expect(Array.from(counts.value.subarray(0, counts.length))).toEqual([9]);
});

test("collectIndices' counts must have room for every registered counter", () => {
  registerFile({ path: "a.js", regionStart: 0, counterMode: "count", blocks: [{ slotOffset: 0 }, { slotOffset: 1 }] });
  openDevice(8);
  const small = { counter: new Uint32Array(1), value: new Float64Array(2), length: 0 };
  expect(() => kcov.collectIndices(new Uint32Array(4), small)).toThrow("of at least 2 entries, one per registered counter");
});

test("a table that breaks the contract is reported when its file is first flushed", () => {
  const file = registerLinearFile("bad.js", 0, 2);
  file.table = JSON.stringify({ version: 1, sources: [], functions: [], kinds: [], blocks: [0] });
  openDevice(4);
  file.counters[0] = 1;
  expect(() => kcov.collect()).toThrow(/block table of "bad.js" does not hold 2 well-formed blocks/);
});

test("hits anywhere in a large file come out in block order, whatever the counters' alignment", () => {
  const aligned = registerLinearFile("aligned.js", 0, 37);
  const unaligned = makeRecord({
    path: "unaligned.js",
    regionStart: 0x1000,
    blocks: Array.from({ length: 9 }, (_, slotOffset) => ({ slotOffset })),
  });
  unaligned.counters = new Uint8Array(16).subarray(3, 12); // byteOffset 3
  registerRecord(unaligned);
  openDevice(16);
  for (const block of [0, 3, 4, 17, 35, 36]) aligned.counters[block] = 1;
  for (const block of [0, 5, 8]) unaligned.counters[block] = 1;
  expect(kcov.collect()).toBe(9);
  expect(Array.from(area.slice(1, 10))).toEqual(
    [0, 3, 4, 17, 35, 36, 0x1000, 0x1005, 0x1008].map(pcOf),
  );
  expect(aligned.counters.every((counter) => counter === 0)).toBe(true);
  expect(unaligned.counters.every((counter) => counter === 0)).toBe(true);
});

describe("blocks that share a counter (counter sharing in the plugin)", () => {
  // Blocks 2 and 4 are joins that share the counters of blocks 0 and 1.
  const sharedFile = () => registerFile({
    path: "src/shared.js",
    regionStart: 0x2000,
    blocks: [
      { slotOffset: 0, counter: 0 }, { slotOffset: 1, counter: 1 }, { slotOffset: 2, counter: 0 },
      { slotOffset: 3, counter: 2 }, { slotOffset: 4, counter: 1 }, { slotOffset: 5, counter: 3 },
    ],
  });

  test("a set counter reports every block that shares it, all in block order", () => {
    const file = sharedFile();
    expect(file.counters).toHaveLength(4);
    openDevice(8);
    file.counters[0] = 1;
    file.counters[2] = 1;
    expect(kcov.collect()).toBe(3);
    expect(areaBytes(area)).toEqual(littleEndianBytes([3n, pcOf(0x2000), pcOf(0x2002), pcOf(0x2003), 0n, 0n, 0n, 0n]));
    expect(Array.from(file.counters)).toEqual([0, 0, 0, 0]);
  });

  test("a counter whose blocks did not all fit: the next flush reports only the blocks that did not, once", () => {
    const file = sharedFile();
    openDevice(3); // room for 2 PCs
    file.counters[0] = 1;
    file.counters[1] = 1;
    // Block order: 0 (c0), 1 (c1), 2 (c0), 4 (c1): only blocks 0 and 1 fit.
    expect(kcov.collect()).toBe(2);
    expect(kcov.leftover).toBe(2);
    expect(Array.from(area)).toEqual([2n, pcOf(0x2000), pcOf(0x2001)]);
    expect(Array.from(file.counters)).toEqual([0, 0, 0, 0]);
    area[0] = 0n;
    expect(kcov.collect()).toBe(2);
    expect(Array.from(area)).toEqual([2n, pcOf(0x2002), pcOf(0x2004)]);
    expect(kcov.leftover).toBe(0);
    // Nothing ran since: the next flush is empty.
    area[0] = 0n;
    expect(kcov.collect()).toBe(0);
  });

  test("a pending block that runs again before the next flush is still reported once", () => {
    const file = sharedFile();
    openDevice(3);
    file.counters[0] = 1;
    file.counters[1] = 1;
    kcov.collect(); // blocks 0 and 1; 2 and 4 pending
    file.counters[0] = 1; // blocks 0 and 2 ran again
    area[0] = 0n;
    expect(kcov.collect()).toBe(2);
    expect(Array.from(area)).toEqual([2n, pcOf(0x2000), pcOf(0x2002)]);
    area[0] = 0n;
    expect(kcov.collect()).toBe(1);
    expect(Array.from(area.slice(0, 2))).toEqual([1n, pcOf(0x2004)]);
    expect(kcov.leftover).toBe(0);
  });

  test("enable() forgets pending blocks, as it forgets counters", () => {
    const file = sharedFile();
    openDevice(3);
    file.counters.fill(1);
    kcov.collect();
    expect(kcov.leftover).toBeGreaterThan(0);
    kcov.disable();
    kcov.enable(KCOV_TRACE_PC);
    area[0] = 0n;
    expect(kcov.collect()).toBe(0);
    expect(kcov.leftover).toBe(0);
  });

  test("executedBlocks lists every block of a set counter in block order, and clears nothing", () => {
    const file = sharedFile();
    file.counters[1] = 1;
    file.counters[3] = 1;
    expect(executedBlocks().map((block) => block.pc)).toEqual([pcOf(0x2001), pcOf(0x2004), pcOf(0x2005)]);
    expect(Array.from(file.counters)).toEqual([0, 1, 0, 1]);
  });

  test("collectIndices gives the dense index of every block of a set counter", () => {
    registerLinearFile("first.js", 0, 3);
    const file = sharedFile();
    openDevice(8);
    file.counters[1] = 1;
    const out = new Uint32Array(8);
    expect(kcov.collectIndices(out)).toBe(2);
    expect(Array.from(out.subarray(0, 2))).toEqual([3 + 1, 3 + 4]);
  });
});

describe("a block reported by either of two counters", () => {
  // Block 1 (a function entry, say) is reported when counter 1 or counter 2 is set: the
  // two outcomes of its leading if, blocks 2 and 3.
  const eitherFile = () => registerFile({
    path: "src/either.js",
    regionStart: 0x3000,
    counterCount: 3,
    either: [1, 2],
    blocks: [{ slotOffset: 0, counter: 0 }, { slotOffset: 1, counter: 3 }, { slotOffset: 2, counter: 1 }, { slotOffset: 3, counter: 2 }],
  });

  test.each([[1, [0x3001, 0x3002]], [2, [0x3001, 0x3003]]])("counter %d set: the block and the outcome, in block order", (counter, slots) => {
    const file = eitherFile();
    openDevice(8);
    file.counters[counter] = 1;
    expect(kcov.collect()).toBe(2);
    expect(Array.from(area.subarray(0, 3))).toEqual([2n, ...slots.map(pcOf)]);
    expect(executedBlocks().length).toBe(0);
  });

  test("when the outcome does not fit after the either block, the next flush reports the outcome alone", () => {
    const file = eitherFile();
    openDevice(2); // room for 1 PC
    file.counters[2] = 1;
    expect(kcov.collect()).toBe(1);
    expect(kcov.leftover).toBe(1);
    expect(Array.from(area)).toEqual([1n, pcOf(0x3001)]);
    area[0] = 0n;
    expect(kcov.collect()).toBe(1);
    expect(Array.from(area)).toEqual([1n, pcOf(0x3003)]);
    expect(kcov.leftover).toBe(0);
  });

  test("executedBlocks reports the either block too", () => {
    const file = eitherFile();
    file.counters[1] = 1;
    expect(executedBlocks().map((block) => block.pc)).toEqual([pcOf(0x3001), pcOf(0x3002)]);
  });
});
