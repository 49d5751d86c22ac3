// The rules by which jskcov answers "@jazzer.js/core" for a fuzz target, shared by the
// CommonJS hook (jazzer-compat.ts) and the ES module hook (jazzer-compat-hooks.ts).

import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { stringifyJson } from "../runtime/own-json";

export const JAZZER_CORE = "@jazzer.js/core";

/** The module that stands in for the package (compiled next to this file). */
export function fallbackPath(): string {
  return path.join(__dirname, "jazzer-core-fallback.js");
}

/** The one line printed when an installed package is shadowed. */
export function shadowingNotice(installedFile: string, failure: string): string {
  return (
    `jskcov: ${JAZZER_CORE} is installed (${installedFile}) but cannot load: ${failure}; ` +
    `the target gets babel-plugin-kcov/fuzz's FuzzedDataProvider in its place\n`
  );
}

/** The first line of an error's message, which names what failed (a missing symbol, a file). */
export function firstLineOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
}

/**
 * Whether `file` loads in a plain Node process (for the hooks thread, which must not load a
 * native addon into itself): undefined if it does, else the error line it printed.
 */
export function loadFailureOf(file: string): string | undefined {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const probe = spawnSync(process.execPath, ["-e", `require(${stringifyJson(file)})`], {
    encoding: "utf8",
    env,
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 30000,
  });
  if (probe.status === 0) return undefined;
  const errorLine = probe.stderr.split("\n").find((line) => /^\w*Error\b/.test(line));
  return (errorLine ?? probe.stderr.trim().split("\n")[0] ?? `exit status ${probe.status}`).replace(/^Error: /, "");
}
