// The stack of a hung (or runaway) executor, as libFuzzer prints the stack on a timeout.
// The executor starts a worker thread (hang-stack-worker.ts) listening on CHANNEL_FD; the
// watchdog, before it kills the executor for a timeout or for -rss_limit_mb, asks it for
// the main thread's stack and waits a little for the answer. A V8 heap out-of-memory
// aborts the process by itself and has no stack to give (Node's fatal-error report says
// "No stack." too).

import type { Readable, Writable } from "node:stream";
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";

/** The executor's fd for the channel: spawn's stdio[3]. */
export const CHANNEL_FD = 3;
/** Ends an answer on the channel. */
export const STACK_END = "\0";
/** How long the watchdog waits for a stack before it kills without one. */
export const STACK_WAIT_MS = 2000;

/** What the inspector's Debugger.paused gives per frame (the part used here). */
export interface PausedFrame {
  callFrameId: string;
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber?: number };
}

/**
 * In the executor: starts the stack reporter when the watchdog gave it the channel. The
 * worker runs no preload (execArgv: []), so it loads and instruments nothing, and does not
 * keep the executor alive.
 */
export function startStackReporter(): void {
  try {
    if (!fs.fstatSync(CHANNEL_FD).isSocket()) return;
  } catch {
    return; // started by something other than the watchdog
  }
  const worker = new Worker(path.join(__dirname, "hang-stack-worker.js"), { execArgv: [], workerData: { fd: CHANNEL_FD }, stdout: true, stderr: true });
  worker.on("error", () => {});
  worker.unref();
}

/**
 * In the watchdog: asks the executor for its main thread's stack; resolves with the
 * frames ("    at fn (file:line:col)" lines), or undefined if none came within `waitMs`
 * (the executor is stuck in native code, or already gone).
 */
export function requestStack(channel: (Readable & Writable) | null | undefined, waitMs = STACK_WAIT_MS): Promise<string | undefined> {
  if (channel === null || channel === undefined || channel.destroyed) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let answer = "";
    const done = (stack: string | undefined) => {
      clearTimeout(timer);
      channel.off("data", onData);
      channel.off("close", onClose);
      resolve(stack === undefined || stack.trim() === "" ? undefined : stack);
    };
    const onData = (chunk: Buffer) => {
      answer += chunk.toString("utf8");
      const end = answer.indexOf(STACK_END);
      if (end >= 0) done(answer.slice(0, end));
    };
    const onClose = () => done(undefined);
    const timer = setTimeout(() => done(undefined), waitMs);
    channel.on("data", onData);
    channel.on("close", onClose);
    channel.write("s");
  });
}

/** The frames of a V8 stack string evaluated in the paused frame, without the evaluation's own. */
export function evaluatedStack(stack: string): string | undefined {
  const frames = stack.split("\n").filter((line) => line.trimStart().startsWith("at ") && !line.includes("(eval at ") && !line.includes("<anonymous>:1:"));
  return frames.length === 0 ? undefined : frames.join("\n");
}

/** The paused frames as V8 prints frames (generated positions: no source maps here). */
export function formatCallFrames(frames: readonly PausedFrame[], urls: ReadonlyMap<string, string>): string {
  return frames
    .map((frame) => {
      const { scriptId, lineNumber, columnNumber = 0 } = frame.location;
      const url = urls.get(scriptId) ?? `<script ${scriptId}>`;
      const file = url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
      return `    at ${frame.functionName || "<anonymous>"} (${file}:${lineNumber + 1}:${columnNumber + 1})`;
    })
    .join("\n");
}
