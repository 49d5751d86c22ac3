// The device's state machine and every error path (KCOV.md, "The state machine").

import {
  Kcov,
  KcovError,
  KCOV_MAX_AREA_WORDS,
  KCOV_MODE_DISABLED,
  KCOV_MODE_INIT,
  KCOV_MODE_TRACE_CMP,
  KCOV_MODE_TRACE_PC,
  KCOV_TRACE_CMP,
  KCOV_TRACE_PC,
} from "../runtime";
import { resetRealm } from "./runtime-helpers";

const devices: Kcov[] = [];
function device(): Kcov {
  const kcov = new Kcov();
  devices.push(kcov);
  return kcov;
}
function enabledDevice(words = 16): Kcov {
  const kcov = device();
  kcov.initTrace(words);
  kcov.mmap();
  kcov.enable(KCOV_TRACE_PC);
  return kcov;
}

beforeEach(resetRealm);
afterEach(() => {
  for (const kcov of devices.splice(0)) kcov.close();
});

function expectKcovError(call: () => unknown, code: string, errno: number, mentions: RegExp): void {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(KcovError);
  const error = thrown as KcovError;
  expect(error.code).toBe(code);
  expect(error.errno).toBe(errno);
  expect(error.message).toMatch(mentions);
}

describe("transitions", () => {
  test("DISABLED -> INIT -> TRACE_PC -> INIT -> TRACE_PC -> closed", () => {
    const kcov = device();
    expect(kcov.mode).toBe(KCOV_MODE_DISABLED);
    kcov.initTrace(8);
    expect(kcov.mode).toBe(KCOV_MODE_INIT);
    const area = kcov.mmap();
    expect(area).toBeInstanceOf(BigUint64Array);
    expect(area.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(area.length).toBe(8);
    kcov.enable(KCOV_TRACE_PC);
    expect(kcov.mode).toBe(KCOV_MODE_TRACE_PC);
    kcov.disable();
    expect(kcov.mode).toBe(KCOV_MODE_INIT);
    // As in Linux, the area stays mapped after DISABLE, so ENABLE may follow directly.
    kcov.enable(KCOV_TRACE_PC);
    expect(kcov.mode).toBe(KCOV_MODE_TRACE_PC);
    kcov.close();
    expect(kcov.mode).toBe(KCOV_MODE_DISABLED);
  });

  test("mmap can be repeated and views the same memory; the length is checked", () => {
    const kcov = device();
    kcov.initTrace(4);
    const first = kcov.mmap();
    const second = kcov.mmap(32);
    expect(second.buffer).toBe(first.buffer);
  });

  test("the smallest and largest sizes are accepted", () => {
    device().initTrace(2);
    device().initTrace(KCOV_MAX_AREA_WORDS);
  });

  test("a size need not be a multiple of the page size (Linux, not gVisor)", () => {
    const kcov = device();
    kcov.initTrace(3);
    expect(kcov.mmap().length).toBe(3);
  });

  test("close releases the realm, so another device can enable", () => {
    const first = enabledDevice();
    first.close();
    enabledDevice();
  });

  test("close is idempotent and leaves the mapped view readable", () => {
    const kcov = enabledDevice(4);
    const area = kcov.mmap();
    area[1] = 5n;
    kcov.close();
    kcov.close();
    expect(area[1]).toBe(5n);
  });
});

describe("errors", () => {
  test.each([
    [1, "too small"],
    [0, "zero"],
    [-4, "negative"],
    [2.5, "not whole"],
    [Number.NaN, "NaN"],
    [KCOV_MAX_AREA_WORDS + 1, "too large"],
  ])("initTrace(%p) is EINVAL (%s) and leaves the device DISABLED", (words) => {
    const kcov = device();
    expectKcovError(() => kcov.initTrace(words), "EINVAL", 22, /initTrace\(words\) needs a whole number/);
    expect(kcov.mode).toBe(KCOV_MODE_DISABLED);
  });

  test("initTrace twice is EBUSY, also when enabled", () => {
    const kcov = device();
    kcov.initTrace(8);
    expectKcovError(() => kcov.initTrace(8), "EBUSY", 16, /create a new Kcov/);
    kcov.mmap();
    kcov.enable(KCOV_TRACE_PC);
    expectKcovError(() => kcov.initTrace(8), "EBUSY", 16, /cannot be resized/);
  });

  test("mmap before initTrace is EINVAL", () => {
    expectKcovError(() => device().mmap(), "EINVAL", 22, /call initTrace\(words\) first/);
  });

  test("mmap with a length other than words * 8 is EINVAL", () => {
    const kcov = device();
    kcov.initTrace(8);
    expectKcovError(() => kcov.mmap(4096), "EINVAL", 22, /64 bytes .*got 4096/);
  });

  test("enable before initTrace is EINVAL", () => {
    expectKcovError(() => device().enable(KCOV_TRACE_PC), "EINVAL", 22, /call initTrace\(words\), then mmap\(\)/);
  });

  test("enable before mmap is EINVAL (gVisor's rule)", () => {
    const kcov = device();
    kcov.initTrace(8);
    expectKcovError(() => kcov.enable(KCOV_TRACE_PC), "EINVAL", 22, /call mmap\(\) first/);
    expect(kcov.mode).toBe(KCOV_MODE_INIT);
  });

  test("enable twice is EINVAL", () => {
    const kcov = enabledDevice();
    expectKcovError(() => kcov.enable(KCOV_TRACE_PC), "EINVAL", 22, /call disable\(\) first/);
  });

  test("an unknown mode is EINVAL and the device stays INIT; KCOV_TRACE_CMP gives mode TRACE_CMP", () => {
    const kcov = device();
    kcov.initTrace(8);
    kcov.mmap();
    expectKcovError(() => kcov.enable(7), "EINVAL", 22, /unknown trace mode 7/);
    expect(kcov.mode).toBe(KCOV_MODE_INIT);
    kcov.enable(KCOV_TRACE_CMP);
    expect(kcov.mode).toBe(KCOV_MODE_TRACE_CMP);
    expectKcovError(() => kcov.enable(KCOV_TRACE_PC), "EINVAL", 22, /call disable\(\) first/);
    expectKcovError(() => kcov.collectIndices(new Uint32Array(4)), "EINVAL", 22, /KCOV_TRACE_PC, not KCOV_TRACE_CMP/);
    kcov.disable();
    expect(kcov.mode).toBe(KCOV_MODE_INIT);
    kcov.enable(KCOV_TRACE_PC);
  });

  test("a second enabled device of the same mode in the realm is EBUSY; a TRACE_PC and a TRACE_CMP device coexist", () => {
    const owner = enabledDevice();
    const other = device();
    other.initTrace(8);
    other.mmap();
    expectKcovError(() => other.enable(KCOV_TRACE_PC), "EBUSY", 16, /disable\(\) on that device/);
    other.enable(KCOV_TRACE_CMP);
    const third = device();
    third.initTrace(8);
    third.mmap();
    expectKcovError(() => third.enable(KCOV_TRACE_CMP), "EBUSY", 16, /KCOV_TRACE_CMP in this realm/);
    owner.disable();
    third.enable(KCOV_TRACE_PC);
    other.disable();
    third.disable();
    owner.enable(KCOV_TRACE_CMP);
  });

  test("two copies of the runtime in one realm share the enabled slot", () => {
    enabledDevice();
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const copy = require("../runtime") as typeof import("../runtime");
      const other = new copy.Kcov();
      other.initTrace(8);
      other.mmap();
      expect(() => other.enable(copy.KCOV_TRACE_PC)).toThrow(/EBUSY/);
      other.close();
    });
  });

  test("disable, collect and collectIndices on a device that is not enabled are EINVAL", () => {
    const kcov = device();
    expectKcovError(() => kcov.disable(), "EINVAL", 22, /mode DISABLED: call initTrace/);
    expectKcovError(() => kcov.collect(), "EINVAL", 22, /collect\(\) needs an enabled device/);
    kcov.initTrace(8);
    kcov.mmap();
    expectKcovError(() => kcov.collectIndices(new Uint32Array(4)), "EINVAL", 22, /mode INIT: call enable/);
    kcov.enable(KCOV_TRACE_PC);
    kcov.disable();
    expectKcovError(() => kcov.disable(), "EINVAL", 22, /enable\(KCOV_TRACE_PC\) first/);
  });

  test("every call but close on a closed device is EBADF", () => {
    const kcov = enabledDevice();
    kcov.close();
    for (const call of [
      () => kcov.initTrace(8),
      () => kcov.mmap(),
      () => kcov.enable(KCOV_TRACE_PC),
      () => kcov.collect(),
      () => kcov.collectIndices(new Uint32Array(1)),
      () => kcov.disable(),
    ]) {
      expectKcovError(call, "EBADF", 9, /closed device; create a new Kcov/);
    }
  });

  test("a bad file option is a TypeError", () => {
    expect(() => new Kcov({ file: "" })).toThrow(TypeError);
  });
});
