// installJazzerCoreFallback(): what a target's `require("@jazzer.js/core")` and
// `import ... from "@jazzer.js/core"` get when the package is missing, installed but
// throwing on load, installed and working, and (this repository's devDependency) the real
// 4.0.0 package, whose native addon loads on some machines and not on others.
// Real processes on real temporary directories, with the built dist/ (npm run build first).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, node, writeFiles } from "./cli-helpers";

const COMPAT = path.join(REPO, "dist/fuzz/jazzer-compat.js");

/** Loads the target as an executor does: install the fallback, then require or import it. */
const DRIVER = `
require(${JSON.stringify(COMPAT)}).installJazzerCoreFallback();
const target = require("node:path").resolve(process.argv[2]);
(async () => {
  const loaded = target.endsWith(".mjs") ? await import(target) : require(target);
  const ours = require(${JSON.stringify(path.join(REPO, "dist/fuzz/index.js"))}).FuzzedDataProvider;
  console.log(JSON.stringify({ value: loaded.value, ours: loaded.Provider === ours }));
})();
`;

const TARGETS = {
  "target.cjs": `
const { FuzzedDataProvider } = require("@jazzer.js/core");
require("./second.cjs"); // a second importer: still one notice
exports.Provider = FuzzedDataProvider;
exports.value = new FuzzedDataProvider(Buffer.from([1, 2])).consumeIntegral(2);
`,
  "second.cjs": `require("@jazzer.js/core");`,
  "target.mjs": `
import { FuzzedDataProvider } from "@jazzer.js/core";
import "./second.mjs";
export const Provider = FuzzedDataProvider;
export const value = new FuzzedDataProvider(Buffer.from([1, 2])).consumeIntegral(2);
`,
  "second.mjs": `import "@jazzer.js/core";`,
  "driver.cjs": DRIVER,
};

/** A stand-in @jazzer.js/core whose main is `main`. */
function fakeJazzerCore(main: string): Record<string, string> {
  return {
    "node_modules/@jazzer.js/core/package.json": JSON.stringify({ name: "@jazzer.js/core", version: "9.9.9", main: "core.js" }),
    "node_modules/@jazzer.js/core/core.js": main,
  };
}

const WORKING = `exports.FuzzedDataProvider = class { consumeIntegral() { return "installed"; } };`;

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-jazzer-compat-")));
  dirs.push(dir);
  writeFiles(dir, { ...TARGETS, ...files });
  return dir;
}

beforeAll(() => {
  if (!fs.existsSync(COMPAT)) throw new Error(`${COMPAT} is missing: run 'npm run build' before these tests`);
});
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function runTarget(dir: string, target: string) {
  const result = node(dir, ["driver.cjs", target]);
  expect(result.status).toBe(0);
  return { ...JSON.parse(result.stdout), stderr: result.stderr };
}

describe.each(["target.cjs", "target.mjs"])("installJazzerCoreFallback, %s", (target) => {
  test("missing: the target gets babel-plugin-kcov's FuzzedDataProvider, and nothing is printed", () => {
    const dir = project({});
    expect(runTarget(dir, target)).toEqual({ value: 0x0201, ours: true, stderr: "" });
  });

  test("installed but its main throws: the fallback, and one line naming the file and the error", () => {
    const dir = project(fakeJazzerCore(`throw new Error("native addon exploded");`));
    const result = runTarget(dir, target);
    expect([result.value, result.ours]).toEqual([0x0201, true]);
    const installed = path.join(dir, "node_modules/@jazzer.js/core/core.js");
    expect(result.stderr).toBe(
      `jskcov: @jazzer.js/core is installed (${installed}) but cannot load: native addon exploded; ` +
        `the target gets babel-plugin-kcov/fuzz's FuzzedDataProvider in its place\n`,
    );
  });

  test("installed and working: the installed package, untouched and silent", () => {
    const dir = project(fakeJazzerCore(WORKING));
    expect(runTarget(dir, target)).toEqual({ value: "installed", ours: false, stderr: "" });
  });

  test("the real @jazzer.js/core 4.0.0: whatever plain Node gets from it decides", () => {
    // Under this repository, so the devDependency resolves.
    const dir = fs.mkdtempSync(path.join(REPO, "node_modules/.jazzer-compat-"));
    dirs.push(dir);
    writeFiles(dir, TARGETS);
    const plain = node(REPO, ["-e", `require("@jazzer.js/core")`]);
    const result = runTarget(dir, target);
    if (plain.status === 0) {
      expect([result.ours, result.stderr]).toEqual([false, ""]);
    } else {
      expect([result.value, result.ours]).toEqual([0x0201, true]);
      expect(result.stderr).toMatch(/^jskcov: @jazzer\.js\/core is installed \(.*node_modules\/@jazzer\.js\/core\/dist\/core\.js\) but cannot load: .+\n$/);
    }
  });
});
