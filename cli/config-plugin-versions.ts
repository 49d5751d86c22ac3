// The plugins and presets of the project's Babel config, as the transform cache's key
// needs them: an upgraded plugin must not meet entries its old version produced. Which
// ones a config uses is known only when Babel loads it (on a cache miss; a JavaScript
// config computes them), so each miss records the files they resolved to, per config
// fingerprint, in the cache directory (`configs/<hash>.json`), and every lookup keys on
// what those files are now: `name@version` of a package in node_modules, the content
// hash of any other file (a plugin kept in the project). Reading them costs a few small
// files per process and config, and no Babel.

import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseJson, stringifyJson } from "../runtime/own-json";

function readIfFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** The package.json of the package in node_modules that holds `file`, or null for a file outside node_modules. */
function owningPackageManifest(file: string): string | null {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at === -1) return null;
  const afterNodeModules = file.slice(at + marker.length).split(path.sep);
  const nameParts = afterNodeModules[0].startsWith("@") ? 2 : 1;
  return path.join(file.slice(0, at + marker.length), ...afterNodeModules.slice(0, nameParts), "package.json");
}

/** What a resolved plugin or preset file is now: its package's name@version, or its content's hash. */
function identityOf(file: string): string {
  const manifest = owningPackageManifest(file);
  if (manifest !== null) {
    const text = readIfFile(manifest);
    if (text === undefined) return `${file}: missing`;
    try {
      const { name, version } = parseJson(text) as { name?: string; version?: string };
      return `${name}@${version}`;
    } catch {
      return `${manifest}: ${createHash("sha256").update(text).digest("hex")}`;
    }
  }
  const text = readIfFile(file);
  return `${file}: ${text === undefined ? "missing" : createHash("sha256").update(text).digest("hex")}`;
}

export class ConfigPluginVersions {
  readonly #filesByConfig = new Map<string, string[]>();
  readonly #identityByFile = new Map<string, string>();

  /** `cacheDir` null: no cache, nothing to key. */
  constructor(private readonly cacheDir: string | null) {}

  #recordFile(configHash: string): string {
    return path.join(this.cacheDir ?? "", "configs", `${configHash}.json`);
  }

  #files(configHash: string): string[] {
    let files = this.#filesByConfig.get(configHash);
    if (files === undefined) {
      try {
        files = parseJson(readIfFile(this.#recordFile(configHash)) ?? "[]") as string[];
      } catch {
        files = [];
      }
      this.#filesByConfig.set(configHash, files);
    }
    return files;
  }

  /** What the key holds for the config with fingerprint `configHash`: its recorded plugins and presets as they are now. */
  keyPart(configHash: string): string[] {
    if (this.cacheDir === null) return [];
    return this.#files(configHash).map((file) => {
      let identity = this.#identityByFile.get(file);
      if (identity === undefined) {
        identity = identityOf(file);
        this.#identityByFile.set(file, identity);
      }
      return identity;
    });
  }

  /**
   * Records the files a miss found the config's plugins and presets in; returns whether
   * that added any (the key part then changed, and the output is stored under the new key).
   */
  record(configHash: string, resolvedFiles: readonly string[]): boolean {
    if (this.cacheDir === null) return false;
    const files = this.#files(configHash);
    const added = [...new Set(resolvedFiles)].filter((file) => !files.includes(file));
    if (added.length === 0) return false;
    files.push(...added);
    files.sort();
    const record = this.#recordFile(configHash);
    try {
      fs.mkdirSync(path.dirname(record), { recursive: true });
      const temporary = `${record}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      fs.writeFileSync(temporary, stringifyJson(files) + "\n");
      fs.renameSync(temporary, record);
    } catch {
      // Not recorded: the entry is stored under a key the next run does not compute, a miss then.
    }
    return true;
  }
}
