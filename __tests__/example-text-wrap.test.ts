// examples/text-wrap: an OSS-Fuzz-style target, which takes its FuzzedDataProvider from
// @jazzer.js/core, fuzzed by `jskcov fuzz` unchanged (that package is a devDependency here
// whose native addon may or may not load: either way the target must run). The crash it
// saves must be a real finding, and must mean the same input to Jazzer.js's own provider.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FuzzedDataProvider } from "../fuzz";
import { JSKCOV, REPO, node, requireBuild } from "./cli-helpers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const jazzer = require("@jazzer.js/core/dist/FuzzedDataProvider.js") as { FuzzedDataProvider: typeof FuzzedDataProvider };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { wrapText } = require("../examples/text-wrap/wrap.js") as {
  wrapText: (text: string, options: { width: number; indent: number; hyphenate: boolean }) => string[];
};

const TARGET = path.join(REPO, "examples/text-wrap/wrap.fuzz.js");

/** What wrap.fuzz.js takes from an input, in its order. */
function decode(provider: FuzzedDataProvider) {
  const width = provider.consumeIntegralInRange(8, 40);
  const indent = provider.consumeIntegralInRange(0, 4);
  const hyphenate = provider.consumeBoolean();
  return { width, indent, hyphenate, text: provider.consumeRemainingAsString() };
}

let work: string;
beforeAll(() => {
  requireBuild();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-text-wrap-"));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test("jskcov fuzz finds the planted off-by-one through the provider and saves a crash that means the same to Jazzer.js", () => {
  const corpus = path.join(work, "corpus");
  const artifacts = path.join(work, "artifacts");
  fs.mkdirSync(corpus);
  fs.mkdirSync(artifacts);
  const result = node(REPO, [JSKCOV, "fuzz", TARGET, corpus, "--", "-seed=1", "-runs=200000", `-artifact_prefix=${artifacts}/`]);
  expect([result.status, result.stderr.includes("made a line of")]).toEqual([77, true]);

  const saved = fs.readdirSync(artifacts);
  expect(saved).toHaveLength(1);
  const input = fs.readFileSync(path.join(artifacts, saved[0]));
  expect(saved[0]).toBe(`crash-${createHash("sha1").update(input).digest("hex")}`);

  const ours = decode(new FuzzedDataProvider(input));
  expect(decode(new jazzer.FuzzedDataProvider(input))).toEqual(ours);
  expect(ours.hyphenate).toBe(true);
  const lines = wrapText(ours.text, ours);
  expect(lines.some((line) => line.length > ours.width)).toBe(true);
});
