// Node module customization hook (hooks thread) for ES modules that import "@jazzer.js/core":
// the ESM half of jazzer-compat.ts, which registers it and documents the rules.

import * as fs from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { JAZZER_CORE, fallbackPath, loadFailureOf, shadowingNotice } from "./jazzer-core-resolution";

interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}

/** Load check per resolved package file: undefined if it loads, else why not. */
const failures = new Map<string, string | undefined>();

export async function resolve(
  specifier: string,
  context: { parentURL?: string },
  nextResolve: (specifier: string, context: unknown) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  if (specifier !== JAZZER_CORE) return nextResolve(specifier, context);
  const fallback = { url: pathToFileURL(fallbackPath()).href, format: "commonjs", shortCircuit: true };
  let installed: ResolveResult;
  try {
    installed = await nextResolve(specifier, context);
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND") return fallback;
    throw error;
  }
  const file = fileURLToPath(installed.url);
  if (!failures.has(file)) {
    const failure = loadFailureOf(file);
    failures.set(file, failure);
    // Synchronous, on the process's stderr: this thread's console is relayed asynchronously.
    if (failure !== undefined) fs.writeSync(2, shadowingNotice(file, failure));
  }
  return failures.get(file) === undefined ? installed : fallback;
}
