// Builds the two afl-fuzz floor targets of bench/native (cached, keyed by the source and the
// compiler): afl-floor-persistent.c with afl-clang-fast (AFL++'s own persistent mode, four
// switches per execution, as through native/harness.c) and afl-floor-direct.c with cc (a
// forkserver that runs each input itself: two switches). exec-speed.mjs and round-trip.mjs
// run afl-fuzz on them with the same flags and placement as on the harness: what afl-fuzz
// itself costs per execution on this host, with no JavaScript.

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const CACHE = process.env.JSKCOV_NATIVE_CACHE_DIR ?? join(HERE, "..", "..", "node_modules", ".cache", "babel-plugin-kcov");

export const FLOOR_TARGETS = {
  persistent: { source: "afl-floor-persistent.c", compilers: ["afl-clang-fast", "afl-cc"], flags: ["-O2"] },
  direct: { source: "afl-floor-direct.c", compilers: ["cc", "clang", "gcc"], flags: ["-O2", "-Wall"] },
};

function compilerVersion(compiler) {
  const result = spawnSync(compiler, ["--version"], { encoding: "utf8" });
  return result.error === undefined && result.status === 0 ? result.stdout.split("\n")[0] : undefined;
}

/** The path of floor target `kind` ("persistent" or "direct"), compiled on first use. */
export function buildFloorTarget(kind) {
  const { source, compilers, flags } = FLOOR_TARGETS[kind];
  const compiler = compilers.find((candidate) => compilerVersion(candidate) !== undefined);
  if (compiler === undefined) throw new Error(`cannot build bench/native/${source}: none of ${compilers.join(", ")} is on PATH (Debian: apt-get install afl++)`);
  const text = readFileSync(join(HERE, source));
  const key = createHash("sha256").update(text).update(JSON.stringify([compiler, compilerVersion(compiler), flags])).digest("hex").slice(0, 16);
  const binary = join(CACHE, `jskcov-afl-floor-${kind}-${key}`);
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE, { recursive: true });
  const scratch = `${binary}.${process.pid}.tmp`;
  execFileSync(compiler, [...flags, join(HERE, source), "-o", scratch], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, AFL_QUIET: "1" } });
  renameSync(scratch, binary);
  return binary;
}
