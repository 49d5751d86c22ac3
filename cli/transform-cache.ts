// On-disk cache of instrumented code, as babel-jest and nyc keep one: the key hashes
// everything the output depends on, the value is the output itself, so a hit returns
// exactly the bytes a miss would have produced.

import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringifyJson } from "../runtime/own-json";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PACKAGE_VERSION: string = require("../../package.json").version;

/** Bump when the cache's layout or the key's parts change. */
const CACHE_FORMAT = 3;

let toolFingerprintValue: { babelVersion: string; fingerprint: string } | undefined;

/**
 * What identifies the code that produces instrumented output: this package's version,
 * the run's Babel version, and the built plugin, transform and Babel-loading files
 * themselves (so a rebuilt plugin never meets stale entries, even without a version bump).
 */
function toolFingerprint(babelVersion: string): string {
  if (toolFingerprintValue?.babelVersion === babelVersion) return toolFingerprintValue.fingerprint;
  const hash = createHash("sha256");
  hash.update(`${CACHE_FORMAT}\0${PACKAGE_VERSION}\0${babelVersion}\0`);
  const pluginDir = path.resolve(__dirname, "../plugin");
  const files = fs.readdirSync(pluginDir).filter((name) => name.endsWith(".js")).sort();
  for (const name of files) hash.update(name).update("\0").update(fs.readFileSync(path.join(pluginDir, name)));
  for (const name of ["transform.js", "babel.js"]) hash.update(fs.readFileSync(path.join(__dirname, name)));
  toolFingerprintValue = { babelVersion, fingerprint: hash.digest("hex") };
  return toolFingerprintValue.fingerprint;
}

export class TransformCache {
  #warned = false;

  /** `dir` null: no cache, every lookup is a miss and nothing is written. `babelVersion`: the run's Babel (cli/babel.ts). */
  constructor(private readonly dir: string | null, private readonly babelVersion: string) {}

  /** The key for `parts` (options, file name, source...). */
  key(parts: readonly unknown[]): string {
    return createHash("sha256").update(toolFingerprint(this.babelVersion)).update(stringifyJson(parts)).digest("hex");
  }

  #file(key: string): string {
    return path.join(this.dir ?? "", key.slice(0, 2), `${key}.js`);
  }

  /** The cached output for `key`, or undefined (a miss, or no cache). */
  lookup(key: string): string | undefined {
    if (this.dir === null) return undefined;
    try {
      return fs.readFileSync(this.#file(key), "utf8");
    } catch {
      return undefined;
    }
  }

  /** The cached output for `key`, or the result of `produce()`, stored for next time. */
  getOrProduce(key: string, produce: () => string): { output: string; hit: boolean } {
    const cached = this.lookup(key);
    if (cached !== undefined) return { output: cached, hit: true };
    const output = produce();
    this.store(key, output);
    return { output, hit: false };
  }

  /** Written to a temporary name and renamed, so a parallel reader never sees half a file. */
  store(key: string, output: string): void {
    if (this.dir === null) return;
    const file = this.#file(key);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      fs.writeFileSync(temporary, output);
      fs.renameSync(temporary, file);
    } catch (error) {
      if (!this.#warned) {
        this.#warned = true;
        process.stderr.write(`jskcov: warning: cannot write the transform cache in ${this.dir}: ${(error as Error).message}\n`);
      }
    }
  }
}
