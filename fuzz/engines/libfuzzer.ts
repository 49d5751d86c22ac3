// `jskcov fuzz --engine libfuzzer`: the real libFuzzer, linked into native/harness.c,
// fuzzes the target through the persistent executor. Every libFuzzer flag is passed to
// libFuzzer unchanged (-jobs, -workers, -fork, -merge=1, -minimize_crash=1, ...), so its
// output, artifacts (crash-/timeout-<sha1>) and exit statuses are libFuzzer's own.

import { buildHarness } from "./native-build";
import { NativeSession, runEngineProcess, type NativeEngineInvocation } from "./native-session";

/** The one jskcov-only flag libFuzzer does not know: -use_feedback=0 (blind mutation). */
const USE_FEEDBACK = /^--?use_feedback=(\d+)$/;

/** libFuzzer's command line and the harness's extra environment for an invocation. */
export function libFuzzerCommand(invocation: NativeEngineInvocation): { args: string[]; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = {};
  const args: string[] = [];
  for (const arg of invocation.engineArgs) {
    const feedback = USE_FEEDBACK.exec(arg);
    if (feedback !== null) {
      // The harness then sets one constant counter per run: libFuzzer keeps its seeds and
      // mutates them without ever seeing new coverage.
      env.JSKCOV_FEEDBACK = feedback[1] === "0" ? "0" : "1";
    } else {
      args.push(arg);
    }
  }
  return { args: [...args, ...invocation.inputs], env };
}

/** Builds the harness (cached), runs libFuzzer, resolves with libFuzzer's exit status. */
export async function runLibFuzzer(invocation: NativeEngineInvocation): Promise<number> {
  const harness = buildHarness("libfuzzer");
  const session = new NativeSession();
  try {
    const { args, env } = libFuzzerCommand(invocation);
    return await runEngineProcess(harness, args, session.environment(invocation, {}, env));
  } finally {
    session.close();
  }
}
