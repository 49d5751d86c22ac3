// The corpus directory's files are written off the executing thread (fuzz/engine/corpus-files.ts):
// operations on one path keep their order, flush() waits for all of them, a failure names the
// directory, and what was asked for before the executing thread blocks (a hang) gets written.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CorpusFiles } from "../fuzz/engine/corpus-files";
import { sha1Hex } from "../fuzz/findings";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-corpus-files-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("every write asked for is on disk after flush(), named by its SHA-1, with its bytes", async () => {
  const files = new CorpusFiles(dir);
  const inputs = Array.from({ length: 200 }, (_, i) => Uint8Array.from([i & 0xff, i >> 8, 7]));
  const written = inputs.map((data) => files.write(data));
  await files.flush();
  expect(fs.readdirSync(dir).sort()).toEqual(inputs.map((data) => sha1Hex(data)).sort());
  written.forEach((file, i) => expect(fs.readFileSync(file)).toEqual(Buffer.from(inputs[i])));
  expect(files.failed).toBe(false);
});

test("operations on one path happen in the order asked: write, remove, write again; write then remove", async () => {
  const files = new CorpusFiles(dir);
  const kept = files.write(Buffer.from("kept"));
  files.remove(kept);
  expect(files.write(Buffer.from("kept"))).toBe(kept);
  const gone = files.write(Buffer.from("gone"));
  files.remove(gone);
  await files.flush();
  expect(fs.readdirSync(dir)).toEqual([path.basename(kept)]);
  expect(fs.readFileSync(kept, "utf8")).toBe("kept");
});

test("a failed write: failed is set, and flush() rejects naming the directory", async () => {
  const missing = path.join(dir, "no-such-dir");
  const files = new CorpusFiles(missing);
  files.write(Buffer.from("x"));
  await expect(files.flush()).rejects.toThrow(`cannot write the corpus directory ${missing}: ENOENT`);
  expect(files.failed).toBe(true);
});

test("removing a file that is not there is no failure", async () => {
  const files = new CorpusFiles(dir);
  files.remove(path.join(dir, "never-written"));
  await files.flush();
  expect(files.failed).toBe(false);
});

test("a write asked for just before the executing thread blocks is written while it stays blocked (a hang)", () => {
  const files = new CorpusFiles(dir);
  const file = files.write(Buffer.from("asked for before the hang"));
  // This thread never yields from here on, as in a target stuck in a loop until the watchdog kills it.
  const deadline = Date.now() + 20_000;
  let content = "";
  while (content !== "asked for before the hang" && Date.now() < deadline) {
    try {
      content = fs.readFileSync(file, "utf8");
    } catch {
      // not there yet
    }
  }
  expect(content).toBe("asked for before the hang");
  files.close();
});

test("start() resolves once the writing thread runs, before any write; writes then land as before", async () => {
  const files = new CorpusFiles(dir);
  await files.start();
  // Started, nothing asked for: nothing written.
  expect(fs.readdirSync(dir)).toEqual([]);
  await files.start(); // a second call starts no second thread and resolves too
  const file = files.write(Buffer.from("after start"));
  await files.flush();
  expect(fs.readdirSync(dir)).toEqual([sha1Hex(Buffer.from("after start"))]);
  expect(fs.readFileSync(file, "utf8")).toBe("after start");
  files.close();
});

test("start() on a directory that cannot be written resolves; the failure comes with the first write", async () => {
  const missing = path.join(dir, "no-such-dir");
  const files = new CorpusFiles(missing);
  await files.start();
  expect(files.failed).toBe(false);
  files.write(Buffer.from("x"));
  await expect(files.flush()).rejects.toThrow(`cannot write the corpus directory ${missing}: ENOENT`);
  files.close();
});
