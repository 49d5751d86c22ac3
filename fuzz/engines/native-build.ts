// Builds native/harness.c (with compare-bridge.c and libfuzzer-faults.c) on first use with the system's C toolchain and caches the
// binary, keyed by the sources (with every header they include), the mode and the compiler's identity, so a changed
// harness or compiler never runs a stale binary. Missing tools give an error that names
// the Debian packages to install. Also a script: `node dist/fuzz/engines/native-build.js
// [libfuzzer|afl]` prints the path of the (built) harness.

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export type HarnessKind = "libfuzzer" | "afl";

/** The toolchain cannot build the harness; the message says what to install. */
export class NativeToolchainError extends Error {
  override name = "NativeToolchainError";
}

/** This package's root: the nearest directory above this file with a package.json (dist/ or not). */
function findPackageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot();
const NATIVE_DIR = path.join(PACKAGE_ROOT, "native");
/** The harness's translation units; the addon's (the executor's, for the direct AFL++ mode, docs/executor-protocol.md). */
const HARNESS_UNITS = ["harness.c", "compare-bridge.c", "libfuzzer-faults.c"];
const ADDON_UNIT = "afl-direct.c";

/**
 * `units` and every header they include with `#include "name.h"`, transitively: the files a
 * build reads from `dir`, so that a change to any of them (a shared header such as pc-map.h
 * or fd-io.h) changes the cache key. System headers (`<...>`) are the compiler's, named by its version.
 */
export function sourceClosure(dir: string, units: string[]): string[] {
  const files: string[] = [];
  const visit = (name: string) => {
    const file = path.join(dir, name);
    if (files.includes(file)) return;
    files.push(file);
    for (const [, header] of fs.readFileSync(file, "utf8").matchAll(/^[ \t]*#[ \t]*include[ \t]+"([^"]+)"/gm)) visit(header);
  };
  units.forEach(visit);
  return files;
}

/** What to install on Debian/Ubuntu for each engine (clang 14 is Debian 12's). */
const DEBIAN_PACKAGES: Record<HarnessKind, string> = {
  libfuzzer: "clang libclang-rt-14-dev (or clang-N and libclang-rt-N-dev for your clang)",
  afl: "afl++ (and a C compiler: clang or gcc)",
};

interface Compiler {
  path: string;
  version: string;
}

function firstLineOfVersion(compiler: string): string | undefined {
  const result = spawnSync(compiler, ["--version"], { encoding: "utf8" });
  if (result.error !== undefined || result.status !== 0) return undefined;
  return result.stdout.split("\n")[0].trim();
}

/** $CC if set, else the first clang (or, for AFL++, any cc) on PATH. */
function findCompiler(kind: HarnessKind): Compiler {
  const candidates = process.env.CC ? [process.env.CC] : kind === "libfuzzer" ? ["clang", "clang-14"] : ["clang", "clang-14", "cc", "gcc"];
  for (const candidate of candidates) {
    const version = firstLineOfVersion(candidate);
    if (version !== undefined) return { path: candidate, version };
  }
  throw new NativeToolchainError(
    `no C compiler found (tried ${candidates.join(", ")}) to build the ${kind} harness. ` +
      `On Debian/Ubuntu: apt-get install ${DEBIAN_PACKAGES[kind]}`,
  );
}

/** $JSKCOV_NATIVE_CACHE_DIR, $XDG_CACHE_HOME/babel-plugin-kcov, ./node_modules/.cache/babel-plugin-kcov, ~/.cache/... */
export function nativeCacheDir(): string {
  if (process.env.JSKCOV_NATIVE_CACHE_DIR) return path.resolve(process.env.JSKCOV_NATIVE_CACHE_DIR);
  if (process.env.XDG_CACHE_HOME) return path.join(process.env.XDG_CACHE_HOME, "babel-plugin-kcov");
  const nodeModules = path.resolve("node_modules");
  if (fs.existsSync(nodeModules)) return path.join(nodeModules, ".cache", "babel-plugin-kcov");
  return path.join(os.homedir(), ".cache", "babel-plugin-kcov");
}

function compileFlags(kind: HarnessKind): { compile: string[]; link: string[] } {
  // The harness itself is compiled without coverage instrumentation; -fsanitize=fuzzer at
  // link time only brings in libFuzzer (its main and its counters' consumer).
  const common = ["-O2", "-g", "-Wall", "-Wextra", "-std=gnu11", "-pthread"];
  return kind === "libfuzzer"
    ? { compile: [...common, "-DJSKCOV_LIBFUZZER"], link: ["-fsanitize=fuzzer", "-pthread"] }
    : { compile: [...common, "-DJSKCOV_AFL"], link: ["-pthread"] };
}

/**
 * The path of the harness binary for `kind`, compiled now if the cache has none for this
 * source and compiler. Safe when several processes build at once (write, then rename).
 */
export function buildHarness(kind: HarnessKind, cacheDir = nativeCacheDir()): string {
  const compiler = findCompiler(kind);
  const flags = compileFlags(kind);
  const hash = createHash("sha256");
  for (const file of sourceClosure(NATIVE_DIR, HARNESS_UNITS)) hash.update(fs.readFileSync(file)).update("\0");
  const key = hash
    .update(JSON.stringify([kind, compiler.path, compiler.version, flags]))
    .digest("hex")
    .slice(0, 16);
  const binary = path.join(cacheDir, `jskcov-harness-${kind}-${key}`);
  if (fs.existsSync(binary)) return binary;

  fs.mkdirSync(cacheDir, { recursive: true });
  const scratch = `${binary}.${process.pid}.tmp`;
  const objects = HARNESS_UNITS.map((unit) => `${scratch}.${path.basename(unit, ".c")}.o`);
  try {
    HARNESS_UNITS.forEach((unit, i) => {
      execFileSync(compiler.path, [...flags.compile, "-c", path.join(NATIVE_DIR, unit), "-o", objects[i]], { stdio: ["ignore", "ignore", "pipe"] });
    });
    execFileSync(compiler.path, [...objects, ...flags.link, "-o", scratch], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim();
    const missingFuzzer = kind === "libfuzzer" && /fuzzer|libclang_rt/.test(stderr);
    throw new NativeToolchainError(
      `cannot build the ${kind} harness with ${compiler.path} (${compiler.version}):\n${stderr}\n` +
        (missingFuzzer ? "libFuzzer's runtime (libclang_rt.fuzzer) is missing. " : "") +
        `On Debian/Ubuntu: apt-get install ${DEBIAN_PACKAGES[kind]}`,
    );
  } finally {
    for (const object of objects) fs.rmSync(object, { force: true });
  }
  fs.renameSync(scratch, binary);
  return binary;
}

/**
 * The path of the executor's Node-API addon for the direct AFL++ mode (native/afl-direct.c),
 * compiled now if the cache has none for this source and compiler. It declares the few
 * Node-API functions it calls itself, so no Node headers are needed; Node resolves them
 * when it loads the addon.
 */
export function buildAflDirectAddon(cacheDir = nativeCacheDir()): string {
  const compiler = findCompiler("afl");
  const flags = ["-O2", "-g", "-Wall", "-Wextra", "-std=gnu11", "-shared", "-fPIC"];
  const hash = createHash("sha256");
  for (const file of sourceClosure(NATIVE_DIR, [ADDON_UNIT])) hash.update(fs.readFileSync(file)).update("\0");
  const key = hash.update(JSON.stringify([compiler.path, compiler.version, flags])).digest("hex").slice(0, 16);
  const addon = path.join(cacheDir, `jskcov-afl-direct-${key}.node`);
  if (fs.existsSync(addon)) return addon;
  fs.mkdirSync(cacheDir, { recursive: true });
  const scratch = `${addon}.${process.pid}.tmp`;
  try {
    execFileSync(compiler.path, [...flags, path.join(NATIVE_DIR, ADDON_UNIT), "-o", scratch], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim();
    fs.rmSync(scratch, { force: true });
    throw new NativeToolchainError(`cannot build the executor's direct AFL++ addon with ${compiler.path} (${compiler.version}):\n${stderr}\nOn Debian/Ubuntu: apt-get install ${DEBIAN_PACKAGES.afl}`);
  }
  fs.renameSync(scratch, addon);
  return addon;
}

/** afl-fuzz (and its tools) on PATH, or an error naming the package. */
export function findAflFuzz(): string {
  const result = spawnSync("afl-fuzz", ["-h"], { encoding: "utf8" });
  if (result.error !== undefined) {
    throw new NativeToolchainError(`afl-fuzz is not on PATH. On Debian/Ubuntu: apt-get install ${DEBIAN_PACKAGES.afl}`);
  }
  return "afl-fuzz";
}

if (require.main === module) {
  const kind = (process.argv[2] ?? "libfuzzer") as HarnessKind;
  if (kind !== "libfuzzer" && kind !== "afl") {
    process.stderr.write(`usage: native-build [libfuzzer|afl], got '${kind}'\n`);
    process.exit(2);
  }
  try {
    process.stdout.write(`${buildHarness(kind)}\n`);
  } catch (error) {
    process.stderr.write(`jskcov: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
