// `npm run example`: the maze target three ways, end to end.
//   1. under `jskcov run`: the program runs instrumented, a kcov dump is written;
//   2. symbolized: each PC of the dump with its source range and source line;
//   3. in-process, with the runtime's kcov device in a fuzz loop (fuzz.js).
// Then a line-coverage report of run 1 (lcov and HTML).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
const jskcov = path.join(root, "dist/cli/jskcov.js");
const out = path.join(__dirname, "out");
const dump = path.join(out, "kcov.out");
const relative = (file) => path.relative(root, file);

function step(title, args, options = {}) {
  console.log(`\n$ ${title}`);
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", stdio: options.capture ? "pipe" : "inherit" });
  if (result.status !== 0 && !options.mayFail) {
    process.stderr.write(result.stderr ?? "");
    throw new Error(`${title} exited with status ${result.status}`);
  }
  return result.stdout;
}

fs.rmSync(out, { recursive: true, force: true });
step(`jskcov run --filter 'examples/maze/**' --out ${relative(dump)} -- examples/maze/maze.js ETWNNTE`, [
  jskcov, "run", "--filter", "examples/maze/**", "--out", dump, "--", path.join(__dirname, "maze.js"), "ETWNNTE",
]);

const symbolized = step(`jskcov symbolize ${relative(dump)}   # with each block's first source line`, [jskcov, "symbolize", dump], {
  capture: true,
}).trimEnd().split("\n");
for (let i = 0; i < symbolized.length; i += 2) {
  const pc = symbolized[i];
  const where = symbolized[i + 1];
  const [, file, line] = /^(.*):(\d+)\.\d+,/.exec(where);
  const text = fs.readFileSync(path.join(root, file), "utf8").split("\n")[Number(line) - 1].trim();
  console.log(`${pc}  ${where.padEnd(34)} ${text}`);
}

step("node examples/maze/fuzz.js   # a coverage-guided fuzz loop on the runtime API", [path.join(__dirname, "fuzz.js")]);

step(`jskcov report --lcov --out ${relative(path.join(out, "lcov.info"))} --html --html-dir ${relative(path.join(out, "html"))} ${relative(dump)}`, [
  jskcov, "report", "--lcov", "--out", path.join(out, "lcov.info"), "--html", "--html-dir", path.join(out, "html"), dump,
]);
