// Content hashes of the sources a block map describes, so that `jskcov report` can tell
// when a source changed after the run: its block ranges would then point at other code.
// Recorded when the map is written (the end of the run), per registered file, for every
// source its block table names (the file itself, or its originals through a source map).

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { isArray } from "../runtime/intrinsics";

/** SHA-256 of a file's bytes, hex; undefined if it cannot be read. */
export function contentHash(file: string): string | undefined {
  try {
    return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  } catch {
    return undefined;
  }
}

/** The sources a block table names, relative to the root. */
export function tableSources(table: unknown): string[] {
  const sources = (table as { sources?: unknown } | null)?.sources;
  // Loops, not Array methods: this runs at the program's exit (runtime/intrinsics.ts).
  const names: string[] = [];
  if (isArray(sources)) for (let i = 0; i < sources.length; i++) if (typeof sources[i] === "string") names[names.length] = sources[i] as string;
  return names;
}

/** Hashes of the readable ones of `sources`, relative to `root`. */
export function hashSources(sources: readonly string[], root: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i];
    const hash = contentHash(path.resolve(root, source));
    if (hash !== undefined) hashes[source] = hash;
  }
  return hashes;
}

/**
 * The sources of `files` whose content differs from the hash recorded when the map was
 * written (missing sources and maps without hashes are not reported here).
 */
export function changedSources(files: ReadonlyArray<{ sourceHashes?: Record<string, string> }>, root: string): string[] {
  const changed = new Set<string>();
  for (const file of files) {
    for (const [source, recorded] of Object.entries(file.sourceHashes ?? {})) {
      const now = contentHash(path.resolve(root, source));
      if (now !== undefined && now !== recorded) changed.add(source);
    }
  }
  return [...changed].sort();
}
