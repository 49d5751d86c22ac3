// The Babel 8 leg tests what it claims: the repository's suites it runs (jest.config.js)
// see Babel 8, and so do the projects they build for jskcov, @babel/register and Jest.
import * as fs from "node:fs";
import * as path from "node:path";
import { version as babelVersion } from "@babel/core";
import { makeProject, node, removeProjects } from "../../../__tests__/cli-helpers";

afterAll(removeProjects);

const versionIn = (project: string, name: string): string =>
  JSON.parse(fs.readFileSync(path.join(project, "node_modules", name, "package.json"), "utf8")).version;

/** Babel 8's engines: ^22.18.0 || >=24.11.0. */
function babel8RunsOn(version: string): boolean {
  const [major, minor] = version.split(".").map(Number);
  return (major === 22 && minor >= 18) || (major === 24 && minor >= 11) || major > 24;
}

test("the suites run on Node >= 22.18 with Babel 8", () => {
  expect(babel8RunsOn(process.versions.node)).toBe(true);
  expect(babelVersion).toMatch(/^8\./);
  const presetManifest = fs.readFileSync(require.resolve("@babel/preset-typescript/package.json"), "utf8");
  expect(JSON.parse(presetManifest).version).toMatch(/^8\./);
});

test("the end-to-end projects resolve Babel 8 and the Jest that supports it", () => {
  const project = makeProject({});
  for (const name of ["@babel/core", "@babel/preset-typescript", "@babel/plugin-transform-modules-commonjs", "@babel/preset-env", "@babel/register"]) {
    expect(`${name}@${versionIn(project, name)}`).toMatch(new RegExp(`^${name}@8\\.`));
  }
  expect(versionIn(project, "jest")).toMatch(/^30\./);
  expect(versionIn(project, "babel-jest")).toMatch(/^30\./);
});

test("the programs under test run on $KCOV_TEST_NODE when it is set (Node 22 in test:node22)", () => {
  const project = makeProject({});
  const child = node(project, ["-p", "process.versions.node"]);
  expect(child.status).toBe(0);
  const version = child.stdout.trim();
  expect(babel8RunsOn(version)).toBe(true);
  if (process.env.KCOV_TEST_NODE) expect(version).not.toBe(process.versions.node);
});
