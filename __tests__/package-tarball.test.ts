// The package as published: `npm pack`, installed into a fresh project with npm (from
// npm's cache when it has the dependencies, as after `npm ci`), then the README's
// command-line quick start run from the installed package.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, expectStatus, readDump, requireBuild } from "./cli-helpers";

const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-pack-")));
let tarball: string;
let contents: Set<string>;

beforeAll(() => {
  requireBuild();
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: REPO, encoding: "utf8" });
  tarball = path.join(work, packed.trim().split("\n").pop() as string);
  contents = new Set(execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n").map((name) => name.replace(/^package\//, "")));
}, 120000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test("the tarball has the license, the docs README links to, and every source its source maps name", () => {
  expect(contents.has("LICENSE")).toBe(true);
  expect(fs.readFileSync(path.join(REPO, "LICENSE"), "utf8")).toContain("Apache License\n                           Version 2.0, January 2004");
  const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
  const linked = [...readme.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)].map((match) => match[1]);
  expect(linked.length).toBeGreaterThan(3);
  for (const file of linked) expect([file, contents.has(file)]).toEqual([file, true]);
  const maps = [...contents].filter((name) => name.endsWith(".js.map"));
  expect(maps.length).toBeGreaterThan(10);
  for (const map of maps) {
    const { sources } = JSON.parse(fs.readFileSync(path.join(REPO, map), "utf8")) as { sources: string[] };
    for (const source of sources) {
      const inPackage = path.posix.normalize(path.posix.join(path.posix.dirname(map), source));
      expect([map, inPackage, contents.has(inPackage)]).toEqual([map, inPackage, true]);
    }
  }
  expect([...contents].some((name) => name.startsWith("__tests__/"))).toBe(false);
});

test("installed into a fresh project, the quick start works", () => {
  const project = path.join(work, "project");
  fs.mkdirSync(path.join(project, "src"), { recursive: true });
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "fresh-project", version: "1.0.0", private: true }));
  fs.writeFileSync(
    path.join(project, "src/main.js"),
    'const n = Number(process.argv[2]);\nif (n > 5) {\n  console.log("big");\n} else {\n  console.log("small");\n}\n',
  );
  fs.writeFileSync(path.join(project, "src/broken.jsx"), "module.exports = <div/>;\n");
  const babelVersion = (JSON.parse(fs.readFileSync(path.join(REPO, "node_modules/@babel/core/package.json"), "utf8")) as { version: string }).version;
  const install = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, `@babel/core@${babelVersion}`], {
    cwd: project,
    encoding: "utf8",
    timeout: 240000,
  });
  expectStatus(install, 0);

  const bin = path.join(project, "node_modules/.bin/jskcov");
  const env = { ...process.env, NODE_OPTIONS: "" };
  const jskcov = (args: string[]) => spawnSync(bin, args, { cwd: project, encoding: "utf8", env, timeout: 60000 });
  const run = jskcov(["run", "--filter", "src/**", "--", "src/main.js", "7"]);
  expectStatus(run, 0);
  expect(run.stdout).toBe("big\n");
  expect(readDump(path.join(project, "kcov.out")).length).toBe(2);
  const symbolized = jskcov(["symbolize", "kcov.out"]);
  expectStatus(symbolized, 0);
  expect(symbolized.stdout).toMatch(/^0x[0-9a-f]{16}\nsrc\/main\.js:1\.1,7\.1\n0x[0-9a-f]{16}\nsrc\/main\.js:2\.12,4\.2\n$/);
  const report = jskcov(["report", "--lcov"]);
  expectStatus(report, 0);
  expect(fs.readFileSync(path.join(project, "lcov.info"), "utf8")).toContain("SF:src/main.js");

  // A failure inside jskcov's hooks: every frame in the package names a file that exists.
  const broken = jskcov(["run", "--", "src/broken.jsx"]);
  expectStatus(broken, 1);
  const frames = [...broken.stderr.matchAll(/(\/[^\s:()]*node_modules\/babel-plugin-kcov\/[^\s:()]+)/g)].map((match) => match[1]);
  expect(frames.some((file) => file.endsWith(".ts"))).toBe(true);
  for (const file of frames) expect([file, fs.existsSync(file)]).toEqual([file, true]);
}, 300000);
