// Per-realm coverage: a worker thread has its own registry and device, and an area's
// SharedArrayBuffer can be read from another thread with Atomics.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { Kcov, KCOV_TRACE_PC, REGISTRY_KEY, type KcovRegistry } from "../runtime";
import { encodeBlockFields } from "../plugin/block-table";
import { compileRuntime, pcOf, registerLinearFile, resetRealm } from "./runtime-helpers";

let runtimePath: string;
beforeAll(() => {
  runtimePath = compileRuntime();
});
afterAll(() => fs.rmSync(path.dirname(runtimePath), { recursive: true, force: true }));
beforeEach(resetRealm);

/** Encoded tables of 0..8 blocks on consecutive slots and lines, for the worker's `register`. */
const ENCODED_LINEAR_BLOCKS = Array.from({ length: 9 }, (_, count) =>
  encodeBlockFields(Array.from({ length: count }, (_, i) => [i, i, 0, 0, 0, i + 1, 0, i + 1, 1]).flat()));

/** Runs `body` in a worker that has `runtime` (the compiled runtime) and `register(path, regionStart, count)` (regionStart: a kernel32 slot). */
function runWorker(body: string, workerData: unknown = undefined): Promise<unknown> {
  const source = `
    const { parentPort, workerData } = require("node:worker_threads");
    const runtime = require(${JSON.stringify(runtimePath)});
    function register(path, regionStart, count) {
      const key = Symbol.for("babel-plugin-kcov.registry");
      const registry = globalThis[key] || (globalThis[key] = { version: 2, files: [], onRegister: null });
      const regionPc = "0x" + (0xffffffff80000000n + BigInt(regionStart) * 8n).toString(16);
      const blocks = ${JSON.stringify(ENCODED_LINEAR_BLOCKS)}[count];
      const record = {
        path, fingerprint: "f00d", regionPc, regionSize: 4096, blockCount: count,
        counters: new Uint8Array(count),
        table: JSON.stringify({ version: 1, sources: [path], functions: ["(top level)"], kinds: ["program"], blocks }),
      };
      if (registry.onRegister) registry.onRegister(record);
      registry.files.push(record);
      return record;
    }
    Promise.resolve().then(async () => { ${body} }).then(
      (result) => parentPort.postMessage({ result }),
      (error) => parentPort.postMessage({ error: String(error && error.stack || error) }),
    );`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData });
    worker.once("message", (message: { result?: unknown; error?: string }) => {
      void worker.terminate();
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.result);
    });
    worker.once("error", reject);
  });
}

test("a worker has its own registry and device: both realms enable and collect at once", async () => {
  const mainFile = registerLinearFile("main.js", 0, 2);
  const kcov = new Kcov();
  kcov.initTrace(8);
  const area = kcov.mmap();
  kcov.enable(KCOV_TRACE_PC);
  mainFile.counters[1] = 1;

  const fromWorker = (await runWorker(`
    const registry = globalThis[Symbol.for("babel-plugin-kcov.registry")];
    const before = registry === undefined ? [] : registry.files.map((f) => f.path);
    const file = register("worker.js", 0x1000, 3);
    const kcov = new runtime.Kcov();
    kcov.initTrace(8);
    const area = kcov.mmap();
    kcov.enable(runtime.KCOV_TRACE_PC); // no EBUSY: the main thread's device is another realm's
    file.counters[2] = 1;
    kcov.collect();
    const words = Array.from(area.slice(0, 2), String);
    kcov.close();
    return { before, words };
  `)) as { before: string[]; words: string[] };

  expect(fromWorker.before).toEqual([]);
  expect(fromWorker.words).toEqual(["1", String(pcOf(0x1002))]);
  // The worker's run neither saw nor consumed the main realm's counters.
  expect(Array.from(mainFile.counters)).toEqual([0, 1]);
  const registry = (globalThis as Record<symbol, unknown>)[REGISTRY_KEY] as KcovRegistry;
  expect(registry.files.map((file) => file.path)).toEqual(["main.js"]);
  expect(kcov.collect()).toBe(1);
  expect(Array.from(area.slice(0, 2))).toEqual([1n, pcOf(1)]);
  kcov.close();
});

test("another thread reads the area with Atomics, word 0 first, and resets it", async () => {
  const file = registerLinearFile("main.js", 0x2000, 3);
  const kcov = new Kcov();
  kcov.initTrace(8);
  const area = kcov.mmap();
  kcov.enable(KCOV_TRACE_PC);
  file.counters[0] = 1;
  file.counters[2] = 1;
  kcov.collect();

  const seen = (await runWorker(
    `
    const area = new BigUint64Array(workerData);
    const count = Number(Atomics.load(area, 0));
    const pcs = [];
    for (let i = 1; i <= count; i++) pcs.push(String(area[i]));
    Atomics.store(area, 0, 0n);
    return pcs;
  `,
    area.buffer,
  )) as string[];

  expect(seen).toEqual([String(pcOf(0x2000)), String(pcOf(0x2002))]);
  expect(area[0]).toBe(0n);
  file.counters[1] = 1;
  kcov.collect();
  expect(Array.from(area.slice(0, 2))).toEqual([1n, pcOf(0x2001)]);
  kcov.close();
});

test("without { file } the runtime never loads node:fs", () => {
  const script = `
    const Module = require("node:module");
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (request === "fs" || request === "node:fs") throw new Error("fs was loaded");
      return load.call(this, request, ...rest);
    };
    const runtime = require(${JSON.stringify(runtimePath)});
    const key = Symbol.for("babel-plugin-kcov.registry");
    const kcov = new runtime.Kcov();
    kcov.initTrace(4);
    kcov.mmap();
    kcov.enable(runtime.KCOV_TRACE_PC);
    kcov.collect();
    kcov.close();
    console.log(globalThis[key].version);
  `;
  const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  expect(run.stdout.trim()).toBe("2");
});
