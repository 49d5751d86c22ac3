// What a finding is once found: its artifact file (named as libFuzzer names it), the key
// that makes two findings "the same bug" (the top stack frames), and the exit status the
// fuzzer ends with (libFuzzer's: FuzzerOptions.h and FuzzerFlags.def).

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { FuzzerFlags } from "./flags";

/**
 * - crash: fuzz() threw or its promise rejected (or an exception/rejection escaped it
 *   later, while the input was the current one);
 * - deadly-signal: the target process died by a signal (process.abort(), a native crash);
 * - exited: the target called process.exit() (libFuzzer: "fuzz target exited");
 * - timeout: an input ran longer than -timeout;
 * - oom: the target process went over -rss_limit_mb (RSS or V8 heap).
 */
export type FindingKind = "crash" | "deadly-signal" | "exited" | "timeout" | "oom";

/** libFuzzer's exit status for an out-of-memory finding (FuzzingOptions::OOMExitCode; no flag). */
export const OOM_EXIT_CODE = 71;
/** libFuzzer's status when interrupted (SIGINT/SIGTERM): FuzzingOptions::InterruptExitCode. */
export const INTERRUPT_EXIT_CODE = 72;
/** How many top stack frames make two crashes the same finding. */
export const DEDUP_FRAMES = 3;
/** libFuzzer prints an artifact's Base64 only up to this size (kMaxUnitSizeToPrint). */
const MAX_BASE64_BYTES = 256;

/** The artifact file prefix of each kind, as libFuzzer names them. */
export function artifactKindPrefix(kind: FindingKind): "crash-" | "timeout-" | "oom-" {
  return kind === "timeout" ? "timeout-" : kind === "oom" ? "oom-" : "crash-";
}

/** The status the fuzzer exits with after a finding of this kind. */
export function exitStatusFor(kind: FindingKind, flags: Pick<FuzzerFlags, "error_exitcode" | "timeout_exitcode">): number {
  if (kind === "timeout") return flags.timeout_exitcode;
  if (kind === "oom") return OOM_EXIT_CODE;
  return flags.error_exitcode;
}

export function sha1Hex(data: Uint8Array): string {
  return createHash("sha1").update(data).digest("hex");
}

/** `$(artifact_prefix)crash-<sha1>`, or -exact_artifact_path when given. */
export function artifactPath(kind: FindingKind, data: Uint8Array, flags: Pick<FuzzerFlags, "artifact_prefix" | "exact_artifact_path">): string {
  if (flags.exact_artifact_path !== "") return flags.exact_artifact_path;
  return `${flags.artifact_prefix}${artifactKindPrefix(kind)}${sha1Hex(data)}`;
}

/** A finding's input that cannot be written (the directory went away, the disk is full). */
export class ArtifactWriteError extends Error {
  override name = "ArtifactWriteError";
}

/**
 * Writes the input of a finding and prints libFuzzer's two lines about it on `log`
 * ("artifact_prefix='...'; Test unit written to ..." and its Base64). Returns the path.
 * The directory was checked before fuzzing (prepareArtifactDirectories).
 */
export function writeArtifact(
  kind: FindingKind,
  data: Uint8Array,
  flags: Pick<FuzzerFlags, "artifact_prefix" | "exact_artifact_path">,
  log: (line: string) => void,
): string {
  const file = artifactPath(kind, data, flags);
  try {
    fs.writeFileSync(file, data);
  } catch (error) {
    throw new ArtifactWriteError(`cannot write the artifact ${file}: ${(error as Error).message}`);
  }
  log(`artifact_prefix='${flags.artifact_prefix}'; Test unit written to ${file}`);
  if (data.length <= MAX_BASE64_BYTES) log(`Base64: ${Buffer.from(data.buffer, data.byteOffset, data.length).toString("base64")}`);
  return file;
}

/** A directory findings go to that is missing (and -create_missing_dirs=1 was not given). */
export class ArtifactDirectoryError extends Error {
  override name = "ArtifactDirectoryError";
}

/**
 * libFuzzer's rule for where findings go (FuzzerDriver.cpp, ValidateDirectoryExists): the
 * directory of -artifact_prefix (the prefix itself when it ends in '/') and that of
 * -exact_artifact_path must exist before fuzzing starts, and -create_missing_dirs=1
 * creates them. Every engine follows it (libFuzzer itself, the built-in engine and the afl
 * engine here), so a typo in a prefix is an error at once, not a new directory.
 */
export function prepareArtifactDirectories(flags: Pick<FuzzerFlags, "artifact_prefix" | "exact_artifact_path" | "create_missing_dirs">): void {
  const wanted: [string, string, string][] = [
    ["artifact_prefix", flags.artifact_prefix, flags.artifact_prefix.endsWith("/") ? flags.artifact_prefix : path.dirname(flags.artifact_prefix)],
    ["exact_artifact_path", flags.exact_artifact_path, path.dirname(flags.exact_artifact_path)],
  ];
  for (const [name, value, dir] of wanted) {
    if (value === "" || isDirectory(dir)) continue;
    let existing = path.resolve(dir);
    while (!fs.existsSync(existing)) existing = path.dirname(existing);
    if (!isDirectory(existing)) {
      throw new ArtifactDirectoryError(`engine flag '-${name}=${value}': '${existing}' is a file, so findings cannot be written there`);
    }
    if (flags.create_missing_dirs === 0) {
      throw new ArtifactDirectoryError(`engine flag '-${name}=${value}': the required directory "${dir}" does not exist (as in libFuzzer; -create_missing_dirs=1 creates it)`);
    }
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new ArtifactDirectoryError(`engine flag '-${name}=${value}': failed to create directory "${dir}": ${(error as Error).message}`);
    }
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * This folder, built (dist/fuzz) and as the source maps name it (fuzz/): frames there are
 * the fuzzing machinery, which says nothing about where the bug is.
 */
const OWN_DIRS = [__dirname, path.resolve(__dirname, "..", "..", "fuzz"), path.resolve(__dirname, "..", "runtime"), path.resolve(__dirname, "..", "..", "runtime")].map(
  (dir) => dir + path.sep,
);
const NODE_FRAME = /\((?:node:|internal\/)|at (?:node:|internal\/)/;
/** The comparison hooks the plugin defines in every instrumented file (plugin/compare-tracing.ts). */
const COMPARE_HOOK_FRAME = /^\s*at h\.[lrkjsm] \(/;

function isMachineryFrame(frame: string): boolean {
  return NODE_FRAME.test(frame) || COMPARE_HOOK_FRAME.test(frame) || OWN_DIRS.some((dir) => frame.includes(dir));
}

/** The stack as printed with a finding: the target's frames, without the machinery's. */
export function targetStack(stack: string): string {
  return stack
    .split("\n")
    .filter((line) => !(line.trimStart().startsWith("at ") && isMachineryFrame(line)))
    .join("\n");
}

/**
 * The top `DEDUP_FRAMES` frames of a V8 stack ("at fn (file:line:col)" lines), without
 * the message (which often holds input bytes) and without Node's and jskcov's own
 * frames. Two findings with the same key are one bug. A stack without frames (a thrown
 * string, say) gets a key from the thrown value's type, so such findings are one bug.
 */
export function dedupKeyOf(stack: string, thrownType = "error"): string {
  return topFramesKey(stack, thrownType, (frame) => frame);
}

/**
 * The key of a timeout or an out-of-memory kill: the top frames of where the executor was
 * stopped, by function and file only, since a loop is stopped at any line of its body.
 */
export function stoppedDedupKeyOf(stack: string): string {
  return topFramesKey(stack, "stopped", (frame) => frame.replace(/:\d+:\d+(\)?)$/, "$1"));
}

function topFramesKey(stack: string, thrownType: string, keyOf: (frame: string) => string): string {
  const frames: string[] = [];
  for (const line of stack.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.startsWith("at ") || isMachineryFrame(trimmed)) continue;
    frames.push(keyOf(trimmed));
    if (frames.length === DEDUP_FRAMES) break;
  }
  return frames.length === 0 ? `no-stack:${thrownType}` : frames.join("\n");
}

/** Findings of one fuzzing session, deduplicated by kind and key. */
export class FindingLog {
  readonly #seen = new Map<string, string>();

  /** The artifact of an earlier finding with this key, if any. */
  artifactOf(kind: FindingKind, dedupKey: string): string | undefined {
    return this.#seen.get(`${kind}\n${dedupKey}`);
  }

  record(kind: FindingKind, dedupKey: string, artifact: string): void {
    this.#seen.set(`${kind}\n${dedupKey}`, artifact);
  }

  get size(): number {
    return this.#seen.size;
  }
}
