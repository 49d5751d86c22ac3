// The executor's stack reporter, a worker thread (started by hang-stack.ts). When the
// watchdog is about to kill a hung executor it writes a byte to the channel (fd 3); this
// thread then pauses the main thread through the inspector and answers with its stack.
// The pause works in a busy `while (true) {}`: V8 services it at the loop's interrupt
// check, where a JavaScript signal handler (Node's --report-on-signal) would never run.

import { Session } from "node:inspector";
import * as net from "node:net";
import { workerData } from "node:worker_threads";
import { STACK_END, evaluatedStack, formatCallFrames, type PausedFrame } from "./hang-stack";

/** Run in the paused top frame: V8's own stack string, source-mapped by --enable-source-maps. */
const STACK_EXPRESSION = "new Error('the input timed out here').stack";

function mainThreadStack(): Promise<string> {
  const session = new Session();
  session.connectToMainThread();
  const urls = new Map<string, string>();
  session.on("Debugger.scriptParsed", ({ params }) => urls.set(params.scriptId, params.url));
  return new Promise((resolve) => {
    session.once("Debugger.paused", ({ params }) => {
      const frames = params.callFrames as PausedFrame[];
      const fallback = formatCallFrames(frames, urls);
      if (frames.length === 0) return resolve(fallback);
      session.post(
        "Debugger.evaluateOnCallFrame",
        { callFrameId: frames[0].callFrameId, expression: STACK_EXPRESSION, returnByValue: true, silent: true },
        (error, result) => {
          const value: unknown = error === null ? result?.result?.value : undefined;
          resolve(typeof value === "string" ? evaluatedStack(value) ?? fallback : fallback);
        },
      );
    });
    session.post("Debugger.enable");
    session.post("Debugger.pause");
  });
}

const channel = new net.Socket({ fd: (workerData as { fd: number }).fd, readable: true, writable: true });
channel.on("error", () => {});
channel.once("data", () => {
  void mainThreadStack().then((stack) => channel.write(stack + STACK_END));
});
