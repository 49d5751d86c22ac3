// The run's Babel (cli/babel.ts) leaves the program's Error.stackTraceLimit and
// Error.prepareStackTrace as they were: @babel/core's first call raises the limit to 50 and
// installs its own stack rewriter for the whole process. Each entry point is checked in a
// fresh process, since Babel does this only once per process.

import * as path from "node:path";
import { REPO, expectStatus, node, requireBuild } from "./cli-helpers";

beforeAll(() => requireBuild(["dist/cli/babel.js"]));

const CALLS: Record<string, string> = {
  transformSync: 'core.transformSync("let a = 1;", { configFile: false, babelrc: false })',
  transformAsync: 'core.transformAsync("let a = 1;", { configFile: false, babelrc: false })',
  parseSync: 'core.parseSync("let a = 1;", { configFile: false, babelrc: false })',
  loadPartialConfig: 'core.loadPartialConfig({ configFile: false, babelrc: false, filename: "a.js" })',
  loadOptions: 'core.loadOptions({ configFile: false, babelrc: false, filename: "a.js" })',
};

test.each(Object.keys(CALLS))("babelFor(root).core.%s keeps the program's Error settings", (name) => {
  const script = [
    `const { babelFor } = require(${JSON.stringify(path.join(REPO, "dist/cli/babel.js"))});`,
    `const core = babelFor(${JSON.stringify(REPO)}).core;`,
    "Error.stackTraceLimit = 7;",
    "const own = function ownRewriter(error, frames) { return String(frames.length); };",
    "Error.prepareStackTrace = own;",
    `Promise.resolve(${CALLS[name]}).then(() => {`,
    '  console.log(Error.stackTraceLimit, Error.prepareStackTrace === own ? "own" : String(Error.prepareStackTrace && Error.prepareStackTrace.name));',
    "});",
  ].join("\n");
  const result = node(REPO, ["-e", script]);
  expectStatus(result, 0);
  expect(result.stdout).toBe("7 own\n");
});
