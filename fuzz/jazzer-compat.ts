// Lets a Jazzer.js fuzz target that takes its FuzzedDataProvider from "@jazzer.js/core" run
// unchanged under jskcov when that package is missing or cannot load (its native addon,
// @jazzer.js/fuzzer, needs a recent glibc). Every executor calls installJazzerCoreFallback()
// before it loads the target. The rules, for `require` and for `import` alike
// (docs/fuzzing.md, "@jazzer.js/core in targets"):
// - not installed where the importing file would find it: the target gets the fallback
//   (fuzz/jazzer-core-fallback.ts), silently, since nothing is shadowed;
// - installed but loading it throws: the fallback, and one line on stderr naming the
//   installed file and its error;
// - installed and it loads: the installed package, untouched.
// Only the bare specifier "@jazzer.js/core" is answered; subpaths resolve as usual.

import * as path from "node:path";
import * as nodeModule from "node:module";
import { pathToFileURL } from "node:url";
import { JAZZER_CORE, fallbackPath, firstLineOf, shadowingNotice } from "./jazzer-core-resolution";

type ResolveFilename = (this: unknown, request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
const moduleInternals = nodeModule.Module as unknown as { _resolveFilename: ResolveFilename };

let installed = false;

/** Installs the CommonJS and the ES module rule (once per process; later calls do nothing). */
export function installJazzerCoreFallback(): void {
  if (installed) return;
  installed = true;
  installRequireRule();
  // ES modules resolve on Node's hooks thread (module.register: Node >= 20.6).
  nodeModule.register(pathToFileURL(path.join(__dirname, "jazzer-compat-hooks.js")).href);
}

function installRequireRule(): void {
  const resolveFilename = moduleInternals._resolveFilename;
  const loadsByFile = new Map<string, boolean>();
  const loadPlainly = nodeModule.createRequire(__filename);
  moduleInternals._resolveFilename = function (request, parent, isMain, options) {
    if (request !== JAZZER_CORE) return resolveFilename.call(this, request, parent, isMain, options);
    let file: string;
    try {
      file = resolveFilename.call(this, request, parent, isMain, options);
    } catch (error) {
      if ((error as { code?: string }).code === "MODULE_NOT_FOUND") return fallbackPath();
      throw error;
    }
    if (!loadsByFile.has(file)) {
      // Loading it here is the test; when it works, the target's require finds it cached.
      try {
        loadPlainly(file);
        loadsByFile.set(file, true);
      } catch (error) {
        loadsByFile.set(file, false);
        process.stderr.write(shadowingNotice(file, firstLineOf(error)));
      }
    }
    return loadsByFile.get(file) ? file : fallbackPath();
  };
}
