// The built-in engine's progress lines are batched (each write to the supervisor's pipe
// costs a context switch) and the peak RSS they show is read at most once a second
// (getrusage grows with the memory mapped): neither may reorder or lose a line that
// matters. Clocks are passed in, so nothing here depends on timing.

import { flushStatusLines, log, logStatus, statusRssMb } from "../fuzz/engine/status-lines";

let written: string[];
let writeSpy: jest.SpyInstance;

beforeEach(() => {
  written = [];
  writeSpy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  flushStatusLines();
  writeSpy.mockRestore();
});

test("status lines wait, and any other line is written after them, in one write", () => {
  logStatus("#2\tNEW    a", 1000);
  logStatus("#3\tNEW    b", 1001);
  expect(written).toEqual([]);
  log("==1== ERROR: jskcov: uncaught exception in fuzz target: boom");
  expect(written).toEqual(["#2\tNEW    a\n#3\tNEW    b\n==1== ERROR: jskcov: uncaught exception in fuzz target: boom\n"]);
  log("SUMMARY");
  expect(written[1]).toBe("SUMMARY\n");
});

test("status lines go out once the oldest waiting one is 100 ms old, and flushStatusLines writes what waits", () => {
  logStatus("#2\tNEW    a", 5000);
  logStatus("#3\tNEW    b", 5099);
  expect(written).toEqual([]);
  logStatus("#4\tREDUCE c", 5100);
  expect(written).toEqual(["#2\tNEW    a\n#3\tNEW    b\n#4\tREDUCE c\n"]);
  logStatus("#5\tNEW    d", 5101);
  flushStatusLines();
  expect(written[1]).toBe("#5\tNEW    d\n");
  flushStatusLines();
  expect(written).toHaveLength(2);
});

test("a waiting status line is written by a timer when nothing else comes", () => {
  jest.useFakeTimers();
  try {
    logStatus("#9\tpulse  x");
    expect(written).toEqual([]);
    jest.advanceTimersByTime(100);
    expect(written).toEqual(["#9\tpulse  x\n"]);
  } finally {
    jest.useRealTimers();
  }
});

test("the status lines' RSS is read at most once a second", () => {
  const usage = jest.spyOn(process, "resourceUsage");
  try {
    const first = statusRssMb(1_000_000);
    expect(first).toBeGreaterThan(0);
    expect(statusRssMb(1_000_500)).toBe(first);
    expect(statusRssMb(1_000_999)).toBe(first);
    expect(usage).toHaveBeenCalledTimes(1);
    statusRssMb(1_001_000);
    expect(usage).toHaveBeenCalledTimes(2);
  } finally {
    usage.mockRestore();
  }
});
