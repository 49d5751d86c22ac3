// The session's findings, shared by the executor (crashes it reports itself) and the
// watchdog (timeouts, out-of-memory, deaths), and kept across executor restarts: a JSON
// line per finding in the session directory. Findings are rare, so a synchronous append
// is fine; the dedup lookups are in memory.

import * as fs from "node:fs";
import { FindingLog, writeArtifact, type FindingKind } from "../findings";
import type { FuzzerFlags } from "../flags";
import { parseJson, stringifyJson } from "../../runtime/own-json";

export interface FindingEntry {
  kind: FindingKind;
  dedupKey: string;
  artifact: string;
}

export class FindingsRecord {
  readonly #log = new FindingLog();
  readonly #entries: FindingEntry[] = [];
  /** How many times each finding came again, by kind and key (this executor's only). */
  readonly #repeats = new Map<string, number>();

  constructor(readonly file: string) {
    if (!fs.existsSync(file)) return;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (line === "") continue;
      const entry = parseJson(line) as FindingEntry;
      this.#entries.push(entry);
      this.#log.record(entry.kind, entry.dedupKey, entry.artifact);
    }
  }

  artifactOf(kind: FindingKind, dedupKey: string): string | undefined {
    return this.#log.artifactOf(kind, dedupKey);
  }

  add(entry: FindingEntry): void {
    this.#entries.push(entry);
    this.#log.record(entry.kind, entry.dedupKey, entry.artifact);
    fs.appendFileSync(this.file, stringifyJson(entry) + "\n");
  }

  /**
   * Counts one more occurrence of a finding saved already; returns how many there were.
   * A target that keeps hitting one bug (-ignore_crashes=1) repeats it thousands of times:
   * the caller prints a line only now and then (isReportedRepeat).
   */
  noteRepeat(kind: FindingKind, dedupKey: string): number {
    const key = `${kind}\n${dedupKey}`;
    const times = (this.#repeats.get(key) ?? 0) + 1;
    this.#repeats.set(key, times);
    return times;
  }

  /**
   * Writes a finding's artifact (findings.ts's writeArtifact) and returns its path, except
   * that -exact_artifact_path keeps the session's first finding, which the exit status is
   * for: libFuzzer stops there, while regression mode and -ignore_* go on. The shared file
   * says whether any executor or the watchdog saved one already.
   */
  saveArtifact(kind: FindingKind, data: Uint8Array, flags: Pick<FuzzerFlags, "artifact_prefix" | "exact_artifact_path">, log: (line: string) => void): string {
    const path = flags.exact_artifact_path;
    if (path !== "" && fs.existsSync(this.file) && fs.statSync(this.file).size > 0) {
      log(`INFO: jskcov: -exact_artifact_path ${path} holds the session's first finding; this one is not saved`);
      return path;
    }
    return writeArtifact(kind, data, flags, log);
  }

  get size(): number {
    return this.#entries.length;
  }

  get entries(): readonly FindingEntry[] {
    return this.#entries;
  }
}

/** The repeats of a finding worth a line: the 1st, 2nd, 4th, 8th, ... */
export function isReportedRepeat(times: number): boolean {
  return (times & (times - 1)) === 0;
}
