// The interface the fuzzing engines share: the flag table and its parser, artifact names
// and exit statuses, deduplication keys, and running one input of a target.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BUILTIN_ENGINE_FLAGS, FUZZER_FLAGS, FlagError, defaultFlags, formatFlagHelp, parseFuzzerFlags } from "../fuzz/flags";
import { FindingLog, OOM_EXIT_CODE, artifactPath, dedupKeyOf, exitStatusFor, sha1Hex, writeArtifact } from "../fuzz/findings";
import { OK_OUTCOME, crashOutcome, runFuzzTarget, type FuzzTarget } from "../fuzz/target";

describe("engine flags", () => {
  test("defaults are libFuzzer's", () => {
    const flags = defaultFlags();
    expect(flags).toMatchObject({ runs: -1, timeout: 1200, max_len: 0, seed: 0, error_exitcode: 77, timeout_exitcode: 70, rss_limit_mb: 2048, mutate_depth: 5, dict: "" });
  });

  test("-name=value sets a flag; the last one given wins", () => {
    const flags = parseFuzzerFlags(["-runs=100", "-seed=7", "-dict=a.dict", "-runs=5"], BUILTIN_ENGINE_FLAGS, "builtin", () => {});
    expect(flags.runs).toBe(5);
    expect(flags.seed).toBe(7);
    expect(flags.dict).toBe("a.dict");
    expect(flags.timeout).toBe(1200);
  });

  test.each([
    [["-runs"], "is not of the form -name=value"],
    [["-runs=abc"], "-runs takes an integer"],
    [["-seed=-1"], "-seed takes a whole number"],
    [["-dict="], "needs a value"],
    [["-fork=2"], "the builtin engine does not implement it"],
    // libFuzzer ignores "--" flags, so --runs=5 would fuzz without a limit there.
    [["--runs=5"], "engine flag '--runs=5' has two dashes: libFuzzer's flags take one, and libFuzzer ignores flags that start with '--'; did you mean '-runs=5'?"],
    [["-runs=1", "--no_such=1"], "engine flag '--no_such=1' has two dashes"],
  ])("%j is an error naming the flag", (args, message) => {
    expect(() => parseFuzzerFlags(args, BUILTIN_ENGINE_FLAGS, "builtin", () => {})).toThrow(FlagError);
    expect(() => parseFuzzerFlags(args, BUILTIN_ENGINE_FLAGS, "builtin", () => {})).toThrow(message);
  });

  test("a flag not in the table is ignored with libFuzzer's warning naming it, as libFuzzer does (it was an error)", () => {
    const warnings: string[] = [];
    const flags = parseFuzzerFlags(["-runz=3", "-detect_leaks=0", "-runs=2"], BUILTIN_ENGINE_FLAGS, "builtin", (message) => warnings.push(message));
    expect(warnings).toEqual([
      "WARNING: unrecognized flag '-runz=3'; 'jskcov fuzz --help' lists the flags (did you mean -runs?)",
      "WARNING: unrecognized flag '-detect_leaks=0'; 'jskcov fuzz --help' lists the flags",
    ]);
    expect(flags).toEqual({ ...defaultFlags(), runs: 2 });
  });

  test("docs/fuzzing.md documents every flag with its default", () => {
    const docs = fs.readFileSync(path.join(__dirname, "..", "docs", "fuzzing.md"), "utf8");
    for (const [name, definition] of Object.entries(FUZZER_FLAGS)) {
      if (!definition.builtin) {
        expect(docs).toContain(`\`-${name}\``);
        continue;
      }
      const row = docs.split("\n").find((line) => line.startsWith(`| \`-${name}\` |`));
      expect(row).toBeDefined();
      expect(row!.split("|")[2].trim()).toBe(String(definition.default));
    }
  });

  test("help lists every implemented flag with its default, from the table", () => {
    const help = formatFlagHelp();
    for (const [name, definition] of Object.entries(FUZZER_FLAGS)) {
      if (definition.builtin) expect(help).toContain(`-${name}=${definition.default}`);
      else expect(help).not.toContain(`-${name}=`);
    }
  });
});

describe("findings", () => {
  const flags = { ...defaultFlags(), artifact_prefix: "out/" };
  const data = Buffer.from("boom");

  test("artifacts are named as libFuzzer names them", () => {
    const sha1 = "c53d2f1a9a8499bcb477be56c31caa5c76ae60f5";
    expect(sha1Hex(data)).toBe(sha1);
    expect(artifactPath("crash", data, flags)).toBe(`out/crash-${sha1}`);
    expect(artifactPath("deadly-signal", data, flags)).toBe(`out/crash-${sha1}`);
    expect(artifactPath("timeout", data, flags)).toBe(`out/timeout-${sha1}`);
    expect(artifactPath("oom", data, flags)).toBe(`out/oom-${sha1}`);
    expect(artifactPath("oom", data, { ...flags, exact_artifact_path: "x.bin" })).toBe("x.bin");
  });

  test("exit statuses are libFuzzer's and follow the flags", () => {
    expect(exitStatusFor("crash", flags)).toBe(77);
    expect(exitStatusFor("exited", flags)).toBe(77);
    expect(exitStatusFor("timeout", flags)).toBe(70);
    expect(exitStatusFor("oom", flags)).toBe(OOM_EXIT_CODE);
    expect(exitStatusFor("crash", { error_exitcode: 3, timeout_exitcode: 4 })).toBe(3);
    expect(exitStatusFor("timeout", { error_exitcode: 3, timeout_exitcode: 4 })).toBe(4);
  });

  test("writeArtifact writes the bytes and logs libFuzzer's lines", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-findings-"));
    try {
      fs.mkdirSync(path.join(dir, "a"));
      const lines: string[] = [];
      const file = writeArtifact("timeout", data, { artifact_prefix: `${dir}/a/`, exact_artifact_path: "" }, (line) => lines.push(line));
      expect(fs.readFileSync(file)).toEqual(data);
      expect(path.basename(file)).toBe(`timeout-${sha1Hex(data)}`);
      expect(lines).toEqual([`artifact_prefix='${dir}/a/'; Test unit written to ${file}`, "Base64: Ym9vbQ=="]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("dedup keys: top frames without the message or machinery frames", () => {
    const stackA = "Error: bad byte 0x41\n    at parse (/p/src/parse.js:10:5)\n    at walk (/p/src/walk.js:3:1)\n    at node:internal/x:1:1\n    at fuzz (/p/fuzz.js:2:3)\n    at main (/p/fuzz.js:9:9)";
    const stackB = stackA.replace("0x41", "0x42");
    expect(dedupKeyOf(stackA)).toBe(dedupKeyOf(stackB));
    expect(dedupKeyOf(stackA)).toBe("at parse (/p/src/parse.js:10:5)\nat walk (/p/src/walk.js:3:1)\nat fuzz (/p/fuzz.js:2:3)");
    expect(dedupKeyOf(stackA)).not.toBe(dedupKeyOf(stackA.replace("parse.js:10:5", "parse.js:11:5")));
    expect(dedupKeyOf("Uncaught string: 'x'", "string")).toBe("no-stack:string");
    const log = new FindingLog();
    log.record("crash", dedupKeyOf(stackA), "crash-1");
    expect(log.artifactOf("crash", dedupKeyOf(stackB))).toBe("crash-1");
    expect(log.artifactOf("timeout", dedupKeyOf(stackB))).toBeUndefined();
  });
});

describe("running a target", () => {
  const target = (fuzz: FuzzTarget["fuzz"]): FuzzTarget => ({ path: "t.js", fuzz, usesCallback: fuzz.length >= 2 });

  test("sync success is the shared OK outcome, not a promise", () => {
    const seen: string[] = [];
    expect(runFuzzTarget(target((data) => seen.push(data.toString())), Buffer.from("hi"))).toBe(OK_OUTCOME);
    expect(seen).toEqual(["hi"]);
  });

  test("a throw is a crash with its stack and key", () => {
    const outcome = runFuzzTarget(target(() => { throw new RangeError("no"); }), Buffer.alloc(0));
    expect(outcome).toMatchObject({ kind: "crash", error: expect.any(RangeError) });
    if ("then" in outcome || outcome.kind !== "crash") throw new Error("expected a sync crash");
    expect(outcome.stack).toContain("RangeError: no");
    expect(outcome.dedupKey).toContain("fuzz-interface.test.ts");
  });

  test("async: resolution is OK, rejection a crash; non-errors too", async () => {
    await expect(runFuzzTarget(target(async () => {}), Buffer.alloc(0))).resolves.toBe(OK_OUTCOME);
    await expect(runFuzzTarget(target(async () => { throw new Error("late"); }), Buffer.alloc(0))).resolves.toMatchObject({ kind: "crash" });
    await expect(runFuzzTarget(target(() => Promise.reject("str")), Buffer.alloc(0))).resolves.toMatchObject({ kind: "crash", dedupKey: "no-stack:string" });
  });

  test("callback style: done() and done(error)", async () => {
    await expect(runFuzzTarget(target((_data, done) => setImmediate(() => done!())), Buffer.alloc(0))).resolves.toBe(OK_OUTCOME);
    await expect(runFuzzTarget(target((_data, done) => done!(new Error("cb"))), Buffer.alloc(0))).resolves.toMatchObject({ kind: "crash" });
  });

  test("crashOutcome of a thrown object without a stack", () => {
    expect(crashOutcome({ code: 1 })).toMatchObject({ kind: "crash", dedupKey: "no-stack:object" });
  });

});
