// A fuzz target, as Jazzer.js (and so the JavaScript projects of OSS-Fuzz) write them:
// a module exporting `fuzz(data: Buffer)`, sync or async. This file loads one and runs one
// input, and says what happened. Every engine (built-in, libFuzzer, AFL++) goes through it.
//
// Interface (the contract between the fuzzing engines):
//
//   loadFuzzTarget(modulePath: string): Promise<FuzzTarget>
//     Loads the module with import(), so in a process started with `jskcov run`'s preload
//     the module and what it loads are instrumented (CJS, ESM and TypeScript alike). The
//     function is the first of: the named export `fuzz`, `module.exports.fuzz` (i.e.
//     `default.fuzz`), a default export that is a function. Throws FuzzTargetError with
//     the path when the module has none.
//
//   runFuzzTarget(target, data): ExecutionOutcome | Promise<ExecutionOutcome>
//     Calls fuzz(data) once. Sync fast path: when fuzz() returns a non-thenable, the
//     outcome is returned directly (no promise, no allocation on success). When it
//     returns a thenable, or takes a second parameter (Jazzer.js's `fuzz(data, done)`
//     callback style), a promise of the outcome. Never throws and never rejects: an
//     exception or rejection is the outcome `{ kind: "crash" }`, with the stack and the
//     key that deduplicates it (findings.ts). Timeouts and process death are not seen
//     here: the watchdog outside the target's process reports those.

import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { inspect, types } from "node:util";
import { dedupKeyOf, targetStack } from "./findings";

export type FuzzFunction = (data: Buffer, done?: (error?: unknown) => void) => unknown;

export interface FuzzTarget {
  /** Absolute path of the module. */
  readonly path: string;
  readonly fuzz: FuzzFunction;
  /** fuzz(data, done): the input is finished when done() is called. */
  readonly usesCallback: boolean;
}

export type ExecutionOutcome =
  | { kind: "ok" }
  | { kind: "crash"; error: unknown; stack: string; dedupKey: string };

/** The one success outcome: shared, so the fast path allocates nothing. */
export const OK_OUTCOME: ExecutionOutcome = Object.freeze({ kind: "ok" });

export class FuzzTargetError extends Error {
  override name = "FuzzTargetError";
}

/**
 * What an engine prints when loadFuzzTarget failed: the target's own error with the
 * target's frames (a throwing getter of `fuzz` is called from jskcov's, which would only
 * hide the user's), a FuzzTargetError by its message alone (its stack would be jskcov's).
 */
export function describeLoadFailure(modulePath: string, error: unknown): string {
  if (error instanceof FuzzTargetError) return error.message;
  const stack = (error as Error)?.stack;
  return `cannot load the fuzz target ${modulePath}:\n${typeof stack === "string" ? targetStack(stack) : String(error)}`;
}

/**
 * Node's own import(): TypeScript compiles `import()` to `require()` under "module":
 * "commonjs", which cannot load ES modules and bypasses the import hooks.
 */
const nativeImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, unknown>>;

export async function loadFuzzTarget(modulePath: string): Promise<FuzzTarget> {
  const absolute = path.resolve(modulePath);
  // An ES module whose top-level await never settles leaves nothing for the event loop:
  // the process would exit 0 in the middle of loading, without a word ("beforeExit": the
  // loop ran dry). A target that calls process.exit() while it loads ends it too ("exit"
  // without "beforeExit"), with its own status; each is said as what it is.
  let ranOutOfWork = false;
  const neverLoaded = (): void => {
    ranOutOfWork = true;
    process.stderr.write(`jskcov fuzz: the fuzz target ${modulePath} never finished loading: ` +
      "the process ran out of work first (a top-level await that never settles?)\n");
    if (!process.exitCode) process.exitCode = 1;
  };
  const exitedWhileLoading = (code: number): void => {
    if (!ranOutOfWork) process.stderr.write(`jskcov fuzz: the fuzz target ${modulePath} called process.exit(${code}) while loading, before any input ran\n`);
  };
  process.once("beforeExit", neverLoaded);
  process.once("exit", exitedWhileLoading);
  let namespace: Record<string, unknown>;
  try {
    namespace = await nativeImport(pathToFileURL(absolute).href);
  } finally {
    process.off("beforeExit", neverLoaded);
    process.off("exit", exitedWhileLoading);
  }
  const fuzz = findFuzzFunction(namespace);
  if (fuzz === undefined) {
    throw new FuzzTargetError(
      `the fuzz target ${modulePath} exports no fuzz function: write 'module.exports.fuzz = (data) => {...}' ` +
        `or 'export function fuzz(data) {...}' (Jazzer.js's convention)`,
    );
  }
  // Calling a generator function only creates the generator: the target's body would
  // never run, and every input would pass without a word.
  if (types.isGeneratorFunction(fuzz)) {
    throw new FuzzTargetError(
      `the fuzz target ${modulePath} exports fuzz as a generator function (function* or async function*): calling it only creates a generator, ` +
        `so its body would never run; export a plain or async function`,
    );
  }
  return { path: absolute, fuzz, usesCallback: fuzz.length >= 2 };
}

function findFuzzFunction(namespace: Record<string, unknown>): FuzzFunction | undefined {
  if (typeof namespace.fuzz === "function") return namespace.fuzz as FuzzFunction;
  const fallback = namespace.default;
  if (fallback !== null && (typeof fallback === "object" || typeof fallback === "function")) {
    const inner = (fallback as Record<string, unknown>).fuzz;
    if (typeof inner === "function") return inner as FuzzFunction;
  }
  if (typeof fallback === "function") return fallback as FuzzFunction;
  return undefined;
}

export function runFuzzTarget(target: FuzzTarget, data: Buffer): ExecutionOutcome | Promise<ExecutionOutcome> {
  if (target.usesCallback) return runWithCallback(target, data);
  let result: unknown;
  let thenable: boolean;
  try {
    result = target.fuzz(data);
    // Reading `then` runs the target's code (a getter, a Proxy's trap): a throw is its crash,
    // as `await result` would reject with it.
    thenable = isThenable(result);
  } catch (error) {
    return crashOutcome(error);
  }
  if (thenable) return Promise.resolve(result).then(() => OK_OUTCOME, crashOutcome);
  return OK_OUTCOME;
}

function runWithCallback(target: FuzzTarget, data: Buffer): Promise<ExecutionOutcome> {
  return new Promise<ExecutionOutcome>((resolve) => {
    let settled = false;
    const done = (error?: unknown) => {
      if (settled) return;
      settled = true;
      resolve(error === undefined || error === null ? OK_OUTCOME : crashOutcome(error));
    };
    try {
      const result = target.fuzz(data, done);
      if (isThenable(result)) {
        done(new FuzzTargetError("a fuzz(data, done) target must not also return a promise: call done() or return a promise, not both"));
      }
    } catch (error) {
      done(error);
    }
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";
}

/** The crash outcome of a thrown or rejected value. */
export function crashOutcome(error: unknown): ExecutionOutcome {
  const { stack, name } = describeThrown(error);
  return { kind: "crash", error, stack, dedupKey: dedupKeyOf(stack, name) };
}

/**
 * The stack and name of a thrown value. Reading them runs the target's code when they are
 * getters (a `stack` or `message` getter, a Proxy's traps, which `instanceof` runs too), and
 * that code may throw: the value is then described without it, since the input still crashed
 * the target (before, the engine stopped as if it had failed itself).
 */
function describeThrown(error: unknown): { stack: string; name: string } {
  try {
    const isError = error instanceof Error || (error !== null && typeof error === "object" && typeof (error as Error).stack === "string");
    if (isError) {
      const { stack, name } = error as Error;
      return { stack: typeof stack === "string" ? stack : String(error), name: String(name) };
    }
  } catch {
    // Described below, without reading its properties.
  }
  let shown: string;
  try {
    shown = inspect(error, { depth: 2 });
  } catch {
    shown = "(a value that cannot be shown: reading it throws)";
  }
  return { stack: `Uncaught ${typeof error}: ${shown}`, name: typeof error };
}
