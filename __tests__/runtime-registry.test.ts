// Adopting the realm's registry and checking registrations: region overlaps, one path
// from two builds, malformed records; files registered before the runtime was used.

import { Kcov, KCOV_TRACE_PC, KcovRegistrationError, REGISTRY_KEY, blocks, leaveOutClashingFiles, symbolize } from "../runtime";
import { makeRecord, registerFile, registerLinearFile, registerRecord, registry, resetRealm, thrownBy } from "./runtime-helpers";

beforeEach(resetRealm);

test("the runtime creates the registry in the contract's shape when no file has loaded", () => {
  new Kcov().close();
  expect(registry()).toEqual({ version: 2, files: [], onRegister: expect.any(Function) });
});

test("the runtime adopts a registry that instrumented files created, keeping their records", () => {
  const record = registerLinearFile("a.js", 0, 1);
  expect(registry().onRegister).toBeNull();
  new Kcov().close();
  expect(registry().files).toEqual([record]);
  expect(registry().onRegister).toEqual(expect.any(Function));
});

test("importing the runtime alone leaves globalThis untouched", () => {
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("../runtime");
  });
  expect(registry()).toBeUndefined();
});

test("leaveOutClashingFiles: a clashing file loads, is reported once, and is left out of flushes and symbolize", () => {
  const reports: string[][] = [];
  registerLinearFile("early.js", 0x1000, 2);
  leaveOutClashingFiles((error, file) => reports.push([...error.files, file.path]));
  const kept = registerLinearFile("kept.js", 0x4000, 2);
  const clashing = registerLinearFile("clashing.js", 0x4000, 3); // same region as kept.js
  const later = registerLinearFile("later.js", 0x8000, 1);
  expect(reports).toEqual([["kept.js", "clashing.js", "clashing.js"]]);
  expect(clashing.leftOut).toMatch(/overlap/);
  expect(registry().files.map((file) => file.path)).toEqual(["early.js", "kept.js", "clashing.js", "later.js"]);
  const kcov = new Kcov(); // adopting the registry again neither throws nor reports again
  kcov.initTrace(16);
  const area = kcov.mmap();
  kcov.enable(KCOV_TRACE_PC);
  kept.counters.fill(1);
  clashing.counters.fill(1);
  later.counters.fill(1);
  expect(kcov.collect()).toBe(3);
  expect(Array.from(area.subarray(1, 4)).map((pc) => symbolize(pc)?.file)).toEqual(["kept.js", "kept.js", "later.js"]);
  expect(Array.from(blocks()).map((block) => block.file)).toEqual(["early.js", "early.js", "kept.js", "kept.js", "later.js"]);
  expect(reports).toHaveLength(1);
  kcov.close();
});

test("a file whose region overlaps a registered one is refused at registration, naming both", () => {
  registerFile({ path: "src/big.js", regionStart: 0x10000, regionSize: 0x10000, blocks: [{ slotOffset: 0 }] });
  new Kcov().close();
  const inside = makeRecord({ path: "src/small.js", regionStart: 0x18000, blocks: [{ slotOffset: 0 }] });
  const error = thrownBy(() => registerRecord(inside));
  expect(error.files).toEqual(["src/big.js", "src/small.js"]);
  expect(error.message).toMatch(/"src\/big.js".*"src\/small.js".*overlap.*`pcSeedByFile: \{ "src\/small.js": <seed> \}`.*`pcSeed`/);
  // The prelude pushes only after onRegister returned: the clashing file is not counted.
  expect(registry().files.map((file) => file.path)).toEqual(["src/big.js"]);
});

test("containment is checked both ways; adjacent regions do not overlap", () => {
  registerFile({ path: "small.js", regionStart: 0x3000, blocks: [{ slotOffset: 0 }] });
  new Kcov().close();
  const containing = makeRecord({ path: "big.js", regionStart: 0, regionSize: 0x4000, blocks: [{ slotOffset: 0 }] });
  expect(thrownBy(() => registerRecord(containing)).files).toEqual(["small.js", "big.js"]);
  registerFile({ path: "next.js", regionStart: 0x4000, blocks: [{ slotOffset: 0 }] });
  registerFile({ path: "previous.js", regionStart: 0x2000, blocks: [{ slotOffset: 0 }] });
  expect(registry().files).toHaveLength(3);
});

test("the same path with another fingerprint is refused", () => {
  registerFile({ path: "a.js", fingerprint: "aaaa", regionStart: 0, blocks: [{ slotOffset: 0 }] });
  new Kcov().close();
  const rebuilt = makeRecord({ path: "a.js", fingerprint: "bbbb", regionStart: 0x8000, blocks: [{ slotOffset: 0 }] });
  const error = thrownBy(() => registerRecord(rebuilt));
  expect(error.message).toMatch(/"a.js" was loaded twice from different builds \(fingerprint aaaa, then bbbb\)/);
});

test("clashes among files registered before the runtime are found by the first Kcov", () => {
  registerFile({ path: "one.js", regionStart: 0, blocks: [{ slotOffset: 0 }] });
  registerFile({ path: "two.js", regionStart: 0, blocks: [{ slotOffset: 1 }] });
  const error = thrownBy(() => new Kcov());
  expect(error.files).toEqual(["one.js", "two.js"]);
  expect(error.message).toMatch(/pcSeed/);
  // Still refused on the next attempt, and by symbolize's entry points too.
  expect(() => new Kcov()).toThrow(KcovRegistrationError);
  expect(() => Array.from(blocks())).toThrow(KcovRegistrationError);
});

test.each([
  [{ regionSize: 3000 }, /regionSize 3000 is not a power of two/],
  [{ regionSize: 2 ** 30 }, /regionSize 1073741824 is not a power of two up to 2\^29/],
  [{ regionPc: "0x0000000000000100" }, /regionPc 0x0000000000000100 is not a multiple of the region's 32768 bytes/],
  [{ regionPc: 4096 }, /regionPc 4096 is not "0x" and 16 lowercase hex digits/],
  [{ regionPc: "0xFFFFFFFF80000000" }, /regionPc "0xFFFFFFFF80000000" is not "0x" and 16/],
  [{ counters: new Uint16Array(1) }, /counters is neither a Uint8Array nor a Float64Array/],
  [{ blockCount: 0 }, /blockCount 0 does not fit its 1 counters/],
  [{ blockCount: 2, counters: new Uint8Array(0) }, /blockCount 2 does not fit its 0 counters/],
  [{ table: 7 }, /table is not a string/],
])("a malformed record %p is refused", (change, message) => {
  new Kcov().close();
  const record = { ...makeRecord({ path: "m.js", regionStart: 0, blocks: [{ slotOffset: 0 }] }), ...change };
  expect(() => registerRecord(record as never)).toThrow(message);
});

test("a registry of another version is refused with advice", () => {
  (globalThis as Record<symbol, unknown>)[REGISTRY_KEY] = { version: 1, files: [], onRegister: null };
  expect(() => new Kcov()).toThrow(/registry has version 1, but this runtime reads version 2/);
});
