// The file-backed area, read through mmap by a C program, as a native fuzzer would.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kcov, KCOV_TRACE_PC } from "../runtime";
import { pcOf, registerLinearFile, resetRealm } from "./runtime-helpers";

// Maps the file, loads word 0 first (acquire), prints the count and the PCs; with
// "reset", then stores 0 into word 0 as a kcov consumer does.
const READER_SOURCE = String.raw`
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  size_t words = strtoull(argv[2], NULL, 10);
  int fd = open(argv[1], O_RDWR);
  if (fd < 0) { perror("open"); return 1; }
  uint64_t *area = mmap(NULL, words * 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (area == MAP_FAILED) { perror("mmap"); return 1; }
  uint64_t count = __atomic_load_n(&area[0], __ATOMIC_ACQUIRE);
  printf("count %" PRIu64 "\n", count);
  for (uint64_t i = 0; i < count && i + 1 < words; i++) printf("0x%" PRIx64 "\n", area[i + 1]);
  if (argc > 3 && strcmp(argv[3], "reset") == 0) __atomic_store_n(&area[0], 0, __ATOMIC_RELEASE);
  munmap(area, words * 8);
  close(fd);
  return 0;
}
`;

const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
if (!hasGcc) console.warn("runtime-file-area: gcc not found on PATH; skipping the C mmap reader test");
const testWithGcc = hasGcc ? test : test.skip;

let workDir: string;
let reader: string;
let kcov: Kcov | undefined;

beforeAll(() => {
  const base = fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
  workDir = fs.mkdtempSync(path.join(base, "kcov-test-"));
  if (hasGcc) {
    const source = path.join(workDir, "reader.c");
    reader = path.join(workDir, "reader");
    fs.writeFileSync(source, READER_SOURCE);
    const build = spawnSync("gcc", ["-O2", "-Wall", "-Werror", "-o", reader, source], { encoding: "utf8" });
    if (build.status !== 0) throw new Error(`gcc failed:\n${build.stderr}`);
  }
});
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));
beforeEach(resetRealm);
afterEach(() => kcov?.close());

function readWithC(file: string, words: number, reset = false): string[] {
  const run = spawnSync(reader, [file, String(words), ...(reset ? ["reset"] : [])], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`reader failed: ${run.stderr}`);
  return run.stdout.trim().split("\n");
}

function hex(pc: bigint): string {
  return `0x${pc.toString(16)}`;
}

test("initTrace creates the file with mode 0600, sized to the area, and zeroed", () => {
  const file = path.join(workDir, "fresh");
  fs.writeFileSync(file, "stale contents that are longer than the area will be......", { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  kcov = new Kcov({ file });
  expect(kcov.file).toBe(file);
  kcov.initTrace(4);
  const stat = fs.statSync(file);
  expect(stat.mode & 0o777).toBe(0o600);
  expect(stat.size).toBe(32);
  expect(Array.from(fs.readFileSync(file))).toEqual(new Array(32).fill(0));
});

test("a file that cannot be created leaves the device DISABLED", () => {
  kcov = new Kcov({ file: path.join(workDir, "missing-dir", "area") });
  expect(() => kcov?.initTrace(4)).toThrow(/ENOENT/);
  expect(kcov.mode).toBe(0);
});

testWithGcc("a C program maps the file and reads count and PCs; its reset is honoured", () => {
  const file = path.join(workDir, "area");
  const counters = registerLinearFile("a.js", 0x3000, 4).counters;
  kcov = new Kcov({ file });
  kcov.initTrace(4); // room for 3 PCs
  const area = kcov.mmap();
  kcov.enable(KCOV_TRACE_PC);

  counters[0] = 1;
  counters[2] = 1;
  kcov.collect();
  expect(readWithC(file, 4)).toEqual(["count 2", hex(pcOf(0x3000)), hex(pcOf(0x3002))]);

  // The native consumer resets through its mapping; the next flush starts over.
  readWithC(file, 4, true);
  counters[3] = 1;
  expect(kcov.collect()).toBe(1);
  expect(readWithC(file, 4)).toEqual(["count 1", hex(pcOf(0x3003))]);
  expect(area[0]).toBe(1n);

  // A reset of the in-memory view counts too.
  area[0] = 0n;
  counters[1] = 1;
  kcov.collect();
  expect(readWithC(file, 4)).toEqual(["count 1", hex(pcOf(0x3001))]);

  // Overflow in the file as in memory: 3 PCs at most, the rest carried over.
  counters.fill(1);
  expect(kcov.collect()).toBe(2);
  expect(kcov.leftover).toBe(2);
  expect(readWithC(file, 4, true)).toEqual([
    "count 3",
    hex(pcOf(0x3001)),
    hex(pcOf(0x3000)),
    hex(pcOf(0x3001)),
  ]);
  expect(kcov.collect()).toBe(2);
  expect(readWithC(file, 4)).toEqual(["count 2", hex(pcOf(0x3002)), hex(pcOf(0x3003))]);
});
