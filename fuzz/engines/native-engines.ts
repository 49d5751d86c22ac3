// The native engines by name, for the `--engine` dispatch of `jskcov fuzz`.

import { runAfl } from "./afl";
import { runLibFuzzer } from "./libfuzzer";
import type { NativeEngineInvocation } from "./native-session";

export const NATIVE_ENGINES = ["libfuzzer", "afl"] as const;
export type NativeEngineName = (typeof NATIVE_ENGINES)[number];

export function isNativeEngine(name: string): name is NativeEngineName {
  return (NATIVE_ENGINES as readonly string[]).includes(name);
}

/**
 * Runs a native engine; resolves with its exit status. Engine flags are not parsed by the
 * shared table: libFuzzer takes all of its own, afl.ts translates the shared ones.
 */
export function runNativeEngine(name: NativeEngineName, invocation: NativeEngineInvocation): Promise<number> {
  return name === "libfuzzer" ? runLibFuzzer(invocation) : runAfl(invocation);
}
