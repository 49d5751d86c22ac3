// Builds bench/jazzer-addon-standin.c (the native stand-in for Jazzer.js's compare calls,
// variant `jazzer-cmp-native`) with the system's C compiler, cached by the source's hash in
// node_modules/.cache. Returns the built file, or throws with the reason (no compiler).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(HERE, "jazzer-addon-standin.c");
const CACHE = join(HERE, "..", "node_modules", ".cache", "babel-plugin-kcov-bench");
const FLAGS = ["-O2", "-Wall", "-Wextra", "-std=gnu11", "-shared", "-fPIC"];

export function jazzerAddonStandin() {
  const compiler = ["cc", "gcc", "clang", "clang-14"].find((name) => {
    try {
      execFileSync(name, ["--version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  });
  if (compiler === undefined) throw new Error("no C compiler (cc, gcc or clang) for bench/jazzer-addon-standin.c");
  const key = createHash("sha256").update(readFileSync(SOURCE)).update(JSON.stringify([compiler, FLAGS])).digest("hex").slice(0, 16);
  const built = join(CACHE, `jazzer-addon-standin-${key}.node`);
  if (existsSync(built)) return built;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${built}.${process.pid}`;
  execFileSync(compiler, [...FLAGS, "-o", partial, SOURCE], { stdio: ["ignore", "ignore", "pipe"] });
  renameSync(partial, built); // whole or not at all, for a concurrent bench
  return built;
}
