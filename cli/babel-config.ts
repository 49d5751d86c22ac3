// The project's own Babel config, as `jskcov run` uses it: found cheaply (without loading
// Babel) to decide whether a file needs compiling and to key the transform cache, and
// loaded by Babel itself (loadPartialConfig) only when a file is actually compiled.
// The files looked for are Babel's: babel.config.* in the root, .babelrc / .babelrc.* from
// the file's directory up to its package's, and the "babel" field of that package.json.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseJson, stringifyJson } from "../runtime/own-json";

const PROJECT_WIDE = ["babel.config.js", "babel.config.cjs", "babel.config.mjs", "babel.config.json", "babel.config.cts", "babel.config.ts"];
const FILE_RELATIVE = [".babelrc", ".babelrc.js", ".babelrc.cjs", ".babelrc.mjs", ".babelrc.json", ".babelrc.cts"];

/** What identifies the config that applies to a file: its files and their contents. */
export interface ProjectConfigFingerprint {
  /** The config files found (and "package.json#babel"), for messages. */
  files: string[];
  /** SHA-256 of their paths and contents, and the environment a JS config may read. */
  hash: string;
}

function readIfFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

export class ProjectConfigFinder {
  readonly #byDir = new Map<string, Array<[string, string]>>();
  #projectWide: Array<[string, string]> | undefined;

  constructor(private readonly root: string) {}

  /** The config that may apply to `filename`, or null when the project has none for it. */
  find(filename: string): ProjectConfigFingerprint | null {
    this.#projectWide ??= this.#configFilesIn(this.root, PROJECT_WIDE, false);
    const found = [...this.#projectWide, ...this.#fileRelative(path.dirname(filename))];
    if (found.length === 0) return null;
    const hash = createHash("sha256");
    // A JavaScript config can depend on these, as babel-jest's cache key also assumes.
    hash.update(`${process.env.BABEL_ENV ?? ""}\0${process.env.NODE_ENV ?? ""}\0`);
    for (const [file, text] of found) hash.update(file).update("\0").update(text).update("\0");
    return { files: found.map(([file]) => file), hash: hash.digest("hex") };
  }

  /** .babelrc* from `dir` up to the nearest package.json (whose "babel" field counts too). */
  #fileRelative(dir: string): Array<[string, string]> {
    const cached = this.#byDir.get(dir);
    if (cached !== undefined) return cached;
    let found = this.#configFilesIn(dir, FILE_RELATIVE, true);
    const parent = path.dirname(dir);
    const isPackageDir = fs.existsSync(path.join(dir, "package.json"));
    if (found.length === 0 && !isPackageDir && parent !== dir) found = this.#fileRelative(parent);
    this.#byDir.set(dir, found);
    return found;
  }

  #configFilesIn(dir: string, names: readonly string[], withPackageField: boolean): Array<[string, string]> {
    const found: Array<[string, string]> = [];
    for (const name of names) {
      const text = readIfFile(path.join(dir, name));
      if (text !== undefined) found.push([path.join(dir, name), text]);
    }
    if (withPackageField) {
      const manifest = readIfFile(path.join(dir, "package.json"));
      if (manifest !== undefined) {
        try {
          const field = (parseJson(manifest) as { babel?: unknown }).babel;
          if (field !== undefined) found.push([`${path.join(dir, "package.json")}#babel`, stringifyJson(field)]);
        } catch {
          // Not JSON: Babel will say so if it reads it; it holds no config for us.
        }
      }
    }
    return found;
  }
}
