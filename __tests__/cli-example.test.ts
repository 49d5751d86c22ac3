// The bundled example (npm run example, without its build step): the maze under
// jskcov run, symbolized with source lines, fuzzed in-process, reported.

import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, expectStatus, node, requireBuild } from "./cli-helpers";

beforeAll(requireBuild);

test("examples/maze runs end to end", () => {
  const result = node(REPO, [path.join(REPO, "examples/maze/run-example.js")]);
  expectStatus(result, 0);
  const output = result.stdout;
  // 1. jskcov run: the program's own output.
  expect(output).toMatch(/\$ jskcov run .*maze\.js ETWNNTE\nfound the treasure\n/);
  // 2. symbolized: PC, range, source line.
  expect(output).toMatch(/0x[0-9a-f]{1,16} {2}examples\/maze\/maze\.js:\d+\.\d+,\d+\.\d+ +function walk\(moves\) \{/);
  // 3. the fuzz loop reaches the treasure from the empty input.
  expect(output).toMatch(/The treasure, after \d+ runs: "[NSEWT]+"/);
  // 4. the report.
  expect(output).toMatch(/jskcov report: 1 files, lines \d+\/\d+/);
  expect(fs.existsSync(path.join(REPO, "examples/maze/out/lcov.info"))).toBe(true);
  expect(fs.existsSync(path.join(REPO, "examples/maze/out/html/index.html"))).toBe(true);
});
