// When Babel runs out of stack on a file: Babel's parser, traversal and generator recurse
// once per level of syntactic nesting, so a deep enough chain (`a ? b : c ? d : ...`
// thousands of links long) overflows the stack with a RangeError that names no position.
// This finds the deepest nesting of the file and names it, so the user knows what to
// split. The search parses the file again, which would overflow just the same, so it runs
// in a worker thread with a large stack, waited for synchronously (the require hook that
// needs the answer is synchronous). Only ever used on that error path.

import * as path from "node:path";
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import type { types as T } from "@babel/core";

/** A stack for the search well beyond what any file Babel can compile needs. */
const SEARCH_STACK_MB = 256;
const SEARCH_TIMEOUT_MS = 60_000;

export interface DeepestNesting {
  /** Nodes from the program down to the deepest one. */
  depth: number;
  /** The construct that makes up most of that path, as `ConditionalExpression (?:)`. */
  construct: string;
  /** Where the outermost node of that construct on the path starts (line from 1, column from 0). */
  line: number;
  column: number;
}

export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /Maximum call stack size exceeded/.test(error.message);
}

function constructName(node: T.Node): string {
  if (node.type === "ConditionalExpression") return "ConditionalExpression (?:)";
  if ("operator" in node && typeof node.operator === "string") return `${node.type} (${node.operator})`;
  return node.type;
}

/** The deepest path of `ast`, walked with an explicit stack so that the walk itself cannot overflow. */
export function deepestNesting(ast: T.Node, visitorKeys: Record<string, readonly string[]>): DeepestNesting {
  interface Frame { node: T.Node; parent: Frame | undefined; depth: number }
  let deepest: Frame = { node: ast, parent: undefined, depth: 1 };
  const pending: Frame[] = [deepest];
  while (pending.length > 0) {
    const frame = pending.pop()!;
    if (frame.depth > deepest.depth) deepest = frame;
    for (const key of visitorKeys[frame.node.type] ?? []) {
      const child = (frame.node as unknown as Record<string, unknown>)[key];
      for (const item of Array.isArray(child) ? child : [child]) {
        if (item && typeof (item as T.Node).type === "string") {
          pending.push({ node: item as T.Node, parent: frame, depth: frame.depth + 1 });
        }
      }
    }
  }
  const pathDown: T.Node[] = [];
  for (let frame: Frame | undefined = deepest; frame; frame = frame.parent) pathDown.unshift(frame.node);
  const counts = new Map<string, number>();
  for (const node of pathDown) counts.set(constructName(node), (counts.get(constructName(node)) ?? 0) + 1);
  const construct = [...counts].sort((a, b) => b[1] - a[1])[0][0];
  const outermost = pathDown.find((node) => constructName(node) === construct)!;
  return { depth: deepest.depth, construct, line: outermost.loc?.start.line ?? 0, column: outermost.loc?.start.column ?? 0 };
}

interface SearchRequest {
  /** Tells this module, loaded in some other worker thread, that it is not the search worker. */
  kcovNestingSearch: true;
  source: string;
  filename: string;
  parserPlugins: string[];
  sourceType: "module" | "script" | "unambiguous";
  port: MessagePort;
  signal: SharedArrayBuffer;
}

/** The deepest nesting of `source`, found with a large stack; undefined if even that did not suffice. */
export function findDeepestNesting(source: string, filename: string, options: { typeScript: boolean; sourceType: SearchRequest["sourceType"] }): DeepestNesting | undefined {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const request: SearchRequest = {
    kcovNestingSearch: true, source, filename, sourceType: options.sourceType, parserPlugins: options.typeScript ? ["typescript"] : [], port: port2, signal,
  };
  const worker = new Worker(path.join(__dirname, "nesting-depth.js"), {
    workerData: request, transferList: [port2], resourceLimits: { stackSizeMb: SEARCH_STACK_MB }, stdout: true, stderr: true,
  });
  try {
    Atomics.wait(new Int32Array(signal), 0, 0, SEARCH_TIMEOUT_MS);
    return (receiveMessageOnPort(port1)?.message as DeepestNesting | null | undefined) ?? undefined;
  } finally {
    void worker.terminate();
    port1.close();
  }
}

/** The worker's side: parse, search, answer, wake the waiting thread. */
function answerSearch(request: SearchRequest): void {
  let answer: DeepestNesting | null = null;
  try {
    // Loaded here so that the main thread pays nothing for this module unless it is needed.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const babel = require("@babel/core") as typeof import("@babel/core");
    const ast = babel.parseSync(request.source, {
      filename: request.filename, babelrc: false, configFile: false, sourceType: request.sourceType,
      parserOpts: { plugins: request.parserPlugins as never[], allowReturnOutsideFunction: true, errorRecovery: true },
    });
    if (ast) answer = deepestNesting(ast.program, babel.types.VISITOR_KEYS);
  } catch {
    answer = null;
  }
  request.port.postMessage(answer);
  const flag = new Int32Array(request.signal);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

/** The error `jskcov run` reports instead of Babel's bare RangeError. */
export function nestingTooDeepError(filename: string, source: string, options: { typeScript: boolean; sourceType: SearchRequest["sourceType"] }): Error {
  const found = findDeepestNesting(source, filename, options);
  const where = found
    ? `${filename}:${found.line}:${found.column + 1}: nested too deeply for Babel: a ${found.construct} chain, ` +
      `${found.depth} levels from the top of the file down`
    : `${filename}: nested too deeply for Babel (the position could not be found)`;
  return new Error(`${where}. Babel's parser, traversal and generator recurse once per level and ran out of ` +
    "stack (instrumentation adds no levels per link, so Babel alone fails at about the same depth); " +
    "split the expression, or leave the file out with a '!' glob in --filter.");
}

if (!isMainThread && (workerData as Partial<SearchRequest> | undefined)?.kcovNestingSearch === true) {
  answerSearch(workerData as SearchRequest);
}
