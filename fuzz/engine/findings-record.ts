// The session's findings, shared by the executor (crashes it reports itself) and the
// watchdog (timeouts, out-of-memory, deaths), and kept across executor restarts: a JSON
// line per finding in the session directory. Findings are rare, so a synchronous append
// is fine; the dedup lookups are in memory.

import * as fs from "node:fs";
import { FindingLog, type FindingKind } from "../findings";

export interface FindingEntry {
  kind: FindingKind;
  dedupKey: string;
  artifact: string;
}

export class FindingsRecord {
  readonly #log = new FindingLog();
  readonly #entries: FindingEntry[] = [];

  constructor(readonly file: string) {
    if (!fs.existsSync(file)) return;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (line === "") continue;
      const entry = JSON.parse(line) as FindingEntry;
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
    fs.appendFileSync(this.file, JSON.stringify(entry) + "\n");
  }

  get size(): number {
    return this.#entries.length;
  }

  get entries(): readonly FindingEntry[] {
    return this.#entries;
  }
}
