// The executor's side of docs/executor-protocol.md, driven by a driver written here in
// JavaScript (as another fuzzer would drive it): the hello, the exact reply words, and the
// control page of protocol 3, whose spin must fall back to a blocking read, so that an
// executor waiting for a driver that sends nothing sleeps instead of burning a core.

import { spawn, type ChildProcessByStdio } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Readable, Writable } from "node:stream";
import { NativeSession } from "../fuzz/engines/native-session";
import { cleanUp, invocationFor, killAfterTest, requireFuzzBuild, workDir } from "./native-helpers";

jest.setTimeout(60_000);

// The wire's numbers, written out (importing fuzz/executor would start an executor): the
// protocol is the contract, so the test states it, not the implementation's constants.
const HELLO_MAGIC = 0x4b534a4a;
const EXECUTOR_PROTOCOL_VERSION = 3;
const FEATURE_CONTROL_PAGE = 2;
const REQUEST_RUN = 1;
const REQUEST_COLLECT_AGAIN = 2;
const REQUEST_EXIT = 3;
const OUTCOME_OK = 0;
const OUTCOME_CRASH = 1;

beforeAll(requireFuzzBuild);
afterEach(cleanUp);

type ExecutorProcess = ChildProcessByStdio<null, null, null>;

interface Reply {
  outcome: number;
  flags: number;
  leftover: number;
  detail: string;
}

/** A driver of one executor: fd 3 and 4 are socket pairs (the executor reads and writes them like pipes). */
class Driver {
  readonly area: string;
  private received = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | undefined;
  private requestsWritten = 0;
  private readonly controlFd: number | undefined;

  constructor(
    readonly child: ExecutorProcess,
    dir: string,
    control: string | undefined,
  ) {
    this.area = path.join(dir, "area");
    this.controlFd = control === undefined ? undefined : fs.openSync(control, "r+");
    const replies = child.stdio[4] as Readable;
    replies.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake?.();
    });
    replies.on("end", () => {
      this.ended = true;
      this.wake?.();
    });
  }

  async read(length: number): Promise<Buffer> {
    while (this.received.length < length) {
      if (this.ended) throw new Error(`the executor closed fd 4 with ${this.received.length} of ${length} bytes read`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const bytes = this.received.subarray(0, length);
    this.received = this.received.subarray(length);
    return bytes;
  }

  async hello(): Promise<{ words: number[]; layout: string; pcs: number }> {
    const header = await this.read(36);
    const words = Array.from({ length: 9 }, (_, i) => header.readUInt32LE(4 * i));
    const layout = (await this.read(words[4])).toString("utf8");
    await this.read(words[3] * 8);
    return { words, layout, pcs: words[3] };
  }

  /** Sends a request; `announce` = false leaves the control page's count behind (a driver that never updates it). */
  send(kind: number, input: Buffer = Buffer.alloc(0), announce = true): void {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(kind, 0);
    header.writeUInt32LE(input.length, 4);
    (this.child.stdio[3] as Writable).write(Buffer.concat([header, input]));
    if (this.controlFd !== undefined && announce) {
      const count = Buffer.alloc(4);
      count.writeUInt32LE(++this.requestsWritten, 0);
      fs.writeSync(this.controlFd, count, 0, 4, 0);
    }
  }

  /** A run; `reset` = false leaves word 0 of the area file as the last run left it. */
  async run(input: string, announce = true, reset = true): Promise<Reply> {
    if (reset) fs.writeFileSync(this.area, Buffer.alloc(8), { flag: "r+" }); // the reset: word 0 = 0 (r+ does not truncate)
    this.send(REQUEST_RUN, Buffer.from(input, "latin1"), announce);
    return this.reply();
  }

  /** A collect-again request, after a reply with leftover > 0. */
  async collectAgain(): Promise<Reply> {
    this.send(REQUEST_COLLECT_AGAIN);
    return this.reply();
  }

  private async reply(): Promise<Reply> {
    const header = await this.read(16);
    const reply = { outcome: header.readUInt32LE(0), flags: header.readUInt32LE(4), leftover: header.readUInt32LE(8), detail: "" };
    reply.detail = (await this.read(header.readUInt32LE(12))).toString("utf8");
    return reply;
  }

  /** Word 0 of the area after the last run: the number of PCs it produced. */
  pcCount(): number {
    return Number(new BigUint64Array(new Uint8Array(fs.readFileSync(this.area)).buffer)[0]);
  }

  /** The PCs of the last flush: words 1..word 0 of the area file. */
  pcs(): bigint[] {
    const words = new BigUint64Array(new Uint8Array(fs.readFileSync(this.area)).buffer);
    return Array.from(words.subarray(1, 1 + Number(words[0])));
  }

  close(): void {
    if (this.controlFd !== undefined) fs.closeSync(this.controlFd);
  }
}

const drivers: Driver[] = [];
afterEach(() => drivers.splice(0).forEach((driver) => driver.close()));

/** Starts the executor on native-targets/protocol.js, with a control page unless `withControl` is false. */
function startExecutor(withControl = true, areaWords = 4096): Driver {
  const dir = workDir();
  const invocation = invocationFor("protocol.js");
  const env = NativeSession.environmentFor(invocation);
  const [command, ...args] = (env.JSKCOV_EXECUTOR_ARGV ?? "").split("\n");
  const control = withControl ? path.join(dir, "control") : undefined;
  if (control !== undefined) fs.writeFileSync(control, Buffer.alloc(4096)); // the driver creates and sizes it
  const executorEnv: NodeJS.ProcessEnv = { ...env, JSKCOV_EXECUTOR_AREA: path.join(dir, "area"), JSKCOV_EXECUTOR_AREA_WORDS: String(areaWords) };
  delete executorEnv.JSKCOV_EXECUTOR_CONTROL;
  if (control !== undefined) executorEnv.JSKCOV_EXECUTOR_CONTROL = control;
  const child = killAfterTest(spawn(command, args, { env: executorEnv, stdio: ["ignore", "inherit", "inherit", "pipe", "pipe"] })) as unknown as ExecutorProcess;
  const driver = new Driver(child, dir, control);
  drivers.push(driver);
  return driver;
}

/** The scheduler state of a process's main thread (/proc/<pid>/stat): "S" = asleep in a blocking call, "R" = running. */
function schedulerState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

/** The states of `pid` sampled 10 times over 200 ms: an executor that waits by spinning forever is never asleep. */
async function statesWhileIdle(pid: number): Promise<string[]> {
  const states: string[] = [];
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    states.push(schedulerState(pid));
  }
  return states;
}

function exitOf(child: ExecutorProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
}

test("the hello of protocol 3 says the executor reads the control page it was given, and only then", async () => {
  const withControl = startExecutor();
  const withoutControl = startExecutor(false);
  const [hello, plainHello] = await Promise.all([withControl.hello(), withoutControl.hello()]);
  expect(hello.words.slice(0, 3)).toEqual([HELLO_MAGIC, EXECUTOR_PROTOCOL_VERSION, 4096]);
  expect(hello.words[6]).toBe(FEATURE_CONTROL_PAGE); // no comparison areas were asked for
  expect(plainHello.words[6]).toBe(0);
  expect(hello.layout).toBe("full64");
  expect(hello.pcs).toBeGreaterThan(0); // the target's blocks, registered when it loaded
  for (const driver of [withControl, withoutControl]) {
    const exited = exitOf(driver.child);
    driver.send(REQUEST_EXIT);
    expect(await exited).toEqual({ code: 0, signal: null });
  }
});

test("the exact reply words of an ok run, a crash (with its stack), a run past any spin, and runs after it", async () => {
  const driver = startExecutor();
  await driver.hello();
  expect(await driver.run("fine")).toEqual({ outcome: OUTCOME_OK, flags: 0, leftover: 0, detail: "" });
  expect(driver.pcCount()).toBeGreaterThan(0);
  const crash = await driver.run("CRASH");
  expect({ ...crash, detail: "" }).toEqual({ outcome: OUTCOME_CRASH, flags: 0, leftover: 0, detail: "" });
  expect(crash.detail).toMatch(/^Error: protocol test crash\n\s+at (Object\.)?fuzz \(.*native-targets\/protocol\.js:5:31\)/);
  // A slow run outlasts the driver's and the executor's spins; the replies stay exact after it.
  expect(await driver.run("SLOW")).toEqual({ outcome: OUTCOME_OK, flags: 0, leftover: 0, detail: "" });
  for (let i = 0; i < 40; i++) expect(await driver.run(i % 2 === 0 ? "fine" : "CRASH")).toMatchObject({ outcome: i % 2 === 0 ? OUTCOME_OK : OUTCOME_CRASH, flags: 0 });
  const exited = exitOf(driver.child);
  driver.send(REQUEST_EXIT);
  expect(await exited).toEqual({ code: 0, signal: null });
});

test("an executor waiting for the next request stops spinning and sleeps in its read", async () => {
  const driver = startExecutor();
  await driver.hello();
  for (let i = 0; i < 20; i++) await driver.run("fine");
  expect(await statesWhileIdle(driver.child.pid as number)).toEqual(Array(10).fill("S"));
  // It wakes for the next request as it should, after a wait far longer than its spin.
  expect(await driver.run("fine")).toEqual({ outcome: OUTCOME_OK, flags: 0, leftover: 0, detail: "" });
});

test("a driver that never updates the control page still gets every reply (the spin gives up, the read blocks)", async () => {
  const driver = startExecutor();
  await driver.hello();
  for (let i = 0; i < 40; i++) expect(await driver.run(i % 4 === 3 ? "CRASH" : "fine", false)).toMatchObject({ outcome: i % 4 === 3 ? OUTCOME_CRASH : OUTCOME_OK });
  expect(await statesWhileIdle(driver.child.pid as number)).toEqual(Array(10).fill("S"));
});

test("without a control page the executor never spins: it sleeps in its read between requests", async () => {
  const driver = startExecutor(false);
  await driver.hello();
  expect(await driver.run("fine")).toEqual({ outcome: OUTCOME_OK, flags: 0, leftover: 0, detail: "" });
  expect(await statesWhileIdle(driver.child.pid as number)).toEqual(Array(10).fill("S"));
  expect(await driver.run("CRASH")).toMatchObject({ outcome: OUTCOME_CRASH });
});

test("each run's PCs start at word 1 of the area file, also when the driver left the last run's count in word 0", async () => {
  const driver = startExecutor();
  await driver.hello();
  await driver.run("fine");
  const pcs = driver.pcs();
  expect(pcs.length).toBeGreaterThan(0);
  await driver.run("CRASH");
  const crashPcs = driver.pcs();
  expect(crashPcs).not.toEqual(pcs);
  for (const [input, expected] of [["fine", pcs], ["CRASH", crashPcs], ["fine", pcs]] as const) {
    await driver.run(input, true, false);
    expect(driver.pcs()).toEqual(expected);
  }
});

test("blocks that do not fit the area come in collect-again flushes, each flush from word 1, none lost or repeated", async () => {
  const whole = startExecutor(false);
  await whole.hello();
  await whole.run("fine");
  const pcs = whole.pcs();
  const small = startExecutor(false, 3); // two PCs per flush
  await small.hello();
  let reply = await small.run("fine");
  const flushed = small.pcs();
  expect(flushed).toHaveLength(2);
  for (let flushes = 1; reply.leftover > 0 && flushes <= pcs.length; flushes++) {
    reply = await small.collectAgain(); // the driver has read this flush; it need not reset word 0
    expect(small.pcs().length).toBeGreaterThan(0);
    flushed.push(...small.pcs());
  }
  expect(reply.leftover).toBe(0);
  expect([...flushed].sort()).toEqual([...pcs].sort());
  expect(new Set(flushed).size).toBe(flushed.length);
});
