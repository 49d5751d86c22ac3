// Where a hung input was when the watchdog stopped it: the timeout report prints the stack
// of the hung JavaScript (as libFuzzer prints the stack on a timeout), timeouts are
// deduplicated by those top frames, and stat::slowest_unit_time_sec is measured. Real
// processes through the CLI; what is asserted is the log's function names, the artifacts
// saved and the printed statistic (no timing assertions: a slow input is made slow by
// construction, and only a lower bound on its time is checked).

import * as fs from "node:fs";
import * as path from "node:path";
import { expectStatus, jskcov, makeProject, removeProjects, requireBuild } from "./cli-helpers";
import { stoppedDedupKeyOf, targetStack } from "../fuzz/findings";
import { evaluatedStack, formatCallFrames } from "../fuzz/engine/hang-stack";

beforeAll(requireBuild);
afterAll(removeProjects);

/** Three ways to hang, two of them at several positions of one loop body. */
const HANGS = `function spinOnA() {
  let n = 0;
  while (true) {
    n++;
    if (n % 3 === 0) n += 2;
  }
}
function spinOnB(data) {
  for (;;) data.reverse();
}
module.exports.fuzz = function (data) {
  if (data[0] === 0x41) spinOnA();
  if (data[0] === 0x42) spinOnB(data);
};
`;

function timeouts(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.startsWith("timeout-"));
}

describe("the stack of a stopped executor", () => {
  test("a busy while (true) {} loop: the timeout report names the hung function and its caller", () => {
    const dir = makeProject({
      "target.js": "function spinForever() {\n  while (true) {}\n}\nmodule.exports.fuzz = (data) => { if (data[0] === 0x48) spinForever(); };\n",
      "inputs/hang": "H",
    });
    fs.mkdirSync(path.join(dir, "out")); // findings go to an existing directory, as in libFuzzer
    const result = jskcov(dir, ["fuzz", "--regression", "target.js", "inputs", "--", "-timeout=1", "-artifact_prefix=out/"]);
    expectStatus(result, 70);
    expect(timeouts(path.join(dir, "out"))).toHaveLength(1);
    // Source-mapped to the target's own lines, the hung function first.
    expect(result.stderr).toMatch(/ERROR: libFuzzer: timeout after 1 seconds\nThe main thread was here when it was stopped:\n\s+at spinForever \(.*target\.js:2:\d+\)\n\s+at \S+ \(.*target\.js:4:/);
    expect(result.stderr).toMatch(/^SUMMARY: libFuzzer: timeout at spinForever \(.*target\.js:2:\d+\)$/m);
  });

  test("timeouts are deduplicated by their top frames: one artifact per hung function", () => {
    const dir = makeProject({ "target.js": HANGS, "corpus/a1": "A", "corpus/a2": "A2", "corpus/a3": "A33", "corpus/b1": "B", "corpus/b2": "B2" });
    fs.mkdirSync(path.join(dir, "out")); // findings go to an existing directory, as in libFuzzer
    // -runs=6: the empty input libFuzzer runs first, then the 5 seeds.
    const result = jskcov(dir, ["fuzz", "target.js", "corpus", "--", "-seed=1", "-runs=6", "-timeout=1", "-ignore_timeouts=1", "-artifact_prefix=out/"]);
    expectStatus(result, 70);
    const saved = timeouts(path.join(dir, "out")).map((name) => fs.readFileSync(path.join(dir, "out", name), "latin1")[0]);
    expect(saved.sort()).toEqual(["A", "B"]);
    expect(result.stderr.match(/another timeout with the same top stack frames/g)).toHaveLength(3);
    expect(result.stderr).toMatch(/SUMMARY: libFuzzer: timeout at spinOnA /);
    expect(result.stderr).toMatch(/SUMMARY: libFuzzer: timeout at spinOnB /);
  });

  test("stat::slowest_unit_time_sec is the longest input's time, in whole seconds as libFuzzer prints it", () => {
    const dir = makeProject({
      "target.js": "module.exports.fuzz = (data) => {\n  if (data[0] !== 0x53) return;\n  const end = Date.now() + 1200;\n  while (Date.now() < end) {}\n};\n",
      "corpus/slow": "S",
      "corpus/fast": "f",
    });
    const result = jskcov(dir, ["fuzz", "target.js", "corpus", "--", "-seed=1", "-runs=50", "-timeout=20", "-print_final_stats=1"]);
    expectStatus(result, 0);
    const slowest = /^stat::slowest_unit_time_sec:\s+(\d+)$/m.exec(result.stderr);
    expect(slowest).not.toBeNull();
    expect(Number(slowest![1])).toBeGreaterThanOrEqual(1);
  });
});

describe("stack keys", () => {
  test("a stopped stack's key: the top frames by function and file, without positions, machinery and compare hooks", () => {
    const stack = [
      "    at h.l (/p/target.js:36:38)",
      "    at spinOnA (/p/target.js:5:9)",
      "    at module.exports.fuzz (/p/target.js:12:25)",
      "    at runFuzzTarget (" + path.resolve(__dirname, "..", "fuzz", "target.ts") + ":40:10)",
    ].join("\n");
    expect(stoppedDedupKeyOf(stack)).toBe("at spinOnA (/p/target.js)\nat module.exports.fuzz (/p/target.js)");
    expect(stoppedDedupKeyOf(stack.replace(":5:9", ":4:3"))).toBe(stoppedDedupKeyOf(stack));
    expect(stoppedDedupKeyOf(stack.replace("spinOnA", "spinOnB"))).not.toBe(stoppedDedupKeyOf(stack));
    expect(targetStack(stack)).not.toContain("h.l");
  });

  test("the evaluated stack loses the evaluation's own frame; paused frames print as V8 frames", () => {
    const evaluated = "Error: the input timed out here\n    at eval (eval at spin (/p/t.js:2:3), <anonymous>:1:1)\n    at spin (/p/t.js:2:3)";
    expect(evaluatedStack(evaluated)).toBe("    at spin (/p/t.js:2:3)");
    expect(evaluatedStack("Error: x")).toBeUndefined();
    const frames = [{ callFrameId: "1", functionName: "", location: { scriptId: "7", lineNumber: 1, columnNumber: 4 } }];
    expect(formatCallFrames(frames, new Map([["7", "file:///p/t%20x.js"]]))).toBe("    at <anonymous> (/p/t x.js:2:5)");
  });
});
