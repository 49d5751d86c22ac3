// jskcov report: lcov and HTML line coverage, checked line by line against a known
// program (the rule is in docs/cli.md, "Line coverage").

import * as fs from "node:fs";
import * as path from "node:path";
import { transformSync } from "@babel/core";
import { expectStatus, jskcov, makeProject, readDump, removeProjects, requireBuild } from "./cli-helpers";

const PROGRAM = [
  /*  1 */ "function classify(n) {",
  /*  2 */ "  if (n > 10) {",
  /*  3 */ '    return "big";',
  /*  4 */ "  } else if (n > 5) {",
  /*  5 */ '    return "medium";',
  /*  6 */ "  }",
  /*  7 */ '  return "small";',
  /*  8 */ "}",
  /*  9 */ "",
  /* 10 */ "// a comment",
  /* 11 */ "const unused = () =>",
  /* 12 */ "  classify(0);",
  /* 13 */ "class Box {",
  /* 14 */ "  size = classify(20);",
  /* 15 */ "  static make() { return new Box(); }",
  /* 16 */ "}",
  /* 17 */ "module.exports = { classify, unused, Box };",
  /* 18 */ "for (const n of [7]) {",
  /* 19 */ "  console.log(classify(n));",
  /* 20 */ "}",
  "",
].join("\n");

beforeAll(requireBuild);
afterAll(removeProjects);

test("lcov of a known program, line by line", () => {
  const project = makeProject({ "src/lib.js": PROGRAM });
  expectStatus(jskcov(project, ["run", "--no-cache", "--", "src/lib.js"]), 0);
  const result = jskcov(project, ["report", "--lcov", "--out", "coverage/lcov.info"]);
  expectStatus(result, 0);
  expect(result.stdout).toContain("lines 9/14");
  const lcov = fs.readFileSync(path.join(project, "coverage/lcov.info"), "utf8");
  expect(lcov.trimEnd().split("\n")).toEqual([
    "TN:",
    "SF:src/lib.js",
    "FN:1,classify",
    "FN:11,unused",
    "FN:15,Box.make",
    "FNF:3",
    "FNH:1",
    "FNDA:1,classify",
    "FNDA:0,unused",
    "FNDA:0,Box.make",
    "DA:1,1", // function classify(n) {: the function's entry block ran
    "DA:2,1", // if (n > 10)
    "DA:3,0", // return "big": its if-consequent did not
    "DA:4,1", // } else if: the if-alternate ran (from `else` on; the `}` closes the consequent)
    "DA:5,1", // return "medium"
    "DA:7,0", // return "small": the join after the if did not run
    "DA:11,1", // const unused = ...: top level
    "DA:12,0", // the arrow's expression body: never called
    "DA:13,1", // class Box {: top level
    "DA:14,0", // a class field initializer: no Box was made
    "DA:15,0", // the static method's statement
    "DA:17,1",
    "DA:18,1",
    "DA:19,1", // the loop body ran
    "LF:14",
    "LH:9",
    "BRDA:2,0,0,0", // if (n > 10): consequent not taken...
    "BRDA:2,0,1,1", // ...the else (if) taken
    "BRDA:4,1,0,1", // else if (n > 5): consequent taken...
    "BRDA:4,1,1,0", // ...its implicit else not
    "BRF:4",
    "BRH:2",
    "end_of_record",
  ]);
});

test("branch records for switch (with fall-through and the implicit default) and ?:", () => {
  const project = makeProject({
    "src/pick.js": [
      /* 1 */ "function pick(x) {",
      /* 2 */ "  switch (x) {",
      /* 3 */ '    case 1: return "one";',
      /* 4 */ "    case 2:",
      /* 5 */ '    case 3: return x > 2 ? "three" : "two";',
      /* 6 */ "  }",
      /* 7 */ '  return "none";',
      /* 8 */ "}",
      /* 9 */ "for (const x of [2, 9]) console.log(pick(x));",
      "",
    ].join("\n"),
  });
  expectStatus(jskcov(project, ["run", "--no-cache", "--", "src/pick.js"]), 0);
  expectStatus(jskcov(project, ["report", "--lcov", "--out", "lcov.info"]), 0);
  const lcov = fs.readFileSync(path.join(project, "lcov.info"), "utf8").split("\n");
  expect(lcov.filter((line) => /^BR/.test(line))).toEqual([
    "BRDA:2,0,0,0", // case 1: not matched
    "BRDA:2,0,1,1", // case 2 (empty body): matched by 2
    "BRDA:2,0,2,1", // case 3: entered by the fall-through from case 2
    "BRDA:2,0,3,1", // no case matched 9: the implicit default
    "BRDA:5,1,0,0", // x > 2 ? "three": not for 2
    "BRDA:5,1,1,1", // : "two"
    "BRF:6",
    "BRH:4",
  ]);
});

test("TypeScript is reported as the .ts source; an HTML report is written too", () => {
  const project = makeProject({
    "src/main.ts": [
      /* 1 */ "interface Options { loud: boolean }",
      /* 2 */ "type Name = string;",
      /* 3 */ "declare const ignored: number;",
      /* 4 */ "export function greet(name: Name, options: Options): string {",
      /* 5 */ "  const text: string = `hello ${name}`;",
      /* 6 */ "  if (options.loud) {",
      /* 7 */ "    return text.toUpperCase();",
      /* 8 */ "  }",
      /* 9 */ "  return text;",
      /* 10 */ "}",
      /* 11 */ 'console.log(greet("ts", { loud: false }));',
      "",
    ].join("\n"),
  });
  expectStatus(jskcov(project, ["run", "--no-cache", "--out", "cov/k.out", "--", "src/main.ts"]), 0);
  const result = jskcov(project, ["report", "--lcov", "--html", "--html-dir", "html", "cov/k.out"]);
  expectStatus(result, 0);
  const lcov = fs.readFileSync(path.join(project, "lcov.info"), "utf8");
  expect(lcov).toContain("SF:src/main.ts\n");
  expect(lcov.split("\n").filter((line) => line.startsWith("DA:"))).toEqual(["DA:4,1", "DA:5,1", "DA:6,1", "DA:7,0", "DA:9,1", "DA:11,1"]);
  const page = fs.readFileSync(path.join(project, "html/main.ts.html"), "utf8");
  expect(page).toContain("cline-no");
  expect(page).toContain("cline-yes");
  expect(fs.existsSync(path.join(project, "html/index.html"))).toBe(true);
});

test("a source that is gone is left out with a warning", () => {
  const project = makeProject({ "a.js": "console.log(1);\n", "b.js": 'require("./a");\n' });
  expectStatus(jskcov(project, ["run", "--no-cache", "--", "b.js"]), 0);
  fs.rmSync(path.join(project, "a.js"));
  const result = jskcov(project, ["report"]);
  expectStatus(result, 0);
  expect(result.stderr).toContain(`cannot read the source ${path.join(project, "a.js")}`);
  expect(fs.readFileSync(path.join(project, "lcov.info"), "utf8")).toContain("SF:b.js\nFNF:0\nFNH:0\nDA:1,1\n");
});

test("a PC in the dump that no block of the map has: a warning naming the dump and the PC", () => {
  const project = makeProject({ "a.js": "console.log(1);\n" });
  expectStatus(jskcov(project, ["run", "--no-cache", "--", "a.js"]), 0);
  expect(jskcov(project, ["report"]).stderr).toBe(""); // the dump as written: no warning
  const foreign = 0x8n; // no block of this one-file map has it (a region at slot 1 of 2^61 is not to be expected)
  const pcs = [...readDump(path.join(project, "kcov.out")), foreign];
  const area = Buffer.alloc((pcs.length + 1) * 8);
  area.writeBigUInt64LE(BigInt(pcs.length), 0);
  pcs.forEach((pc, index) => area.writeBigUInt64LE(pc, (index + 1) * 8));
  fs.writeFileSync(path.join(project, "kcov.out"), area);
  const result = jskcov(project, ["report"]);
  expectStatus(result, 0);
  expect(result.stderr).toContain(`warning: 1 PC(s) in kcov.out are in no block of kcov.out.blocks.json (0x${foreign.toString(16)})`);
});

test("a source that changed since the run: a warning naming it", () => {
  const project = makeProject({ "a.js": 'require("./b");\n', "b.js": "console.log(1);\n" });
  expectStatus(jskcov(project, ["run", "--no-cache", "--", "a.js"]), 0);
  expect(jskcov(project, ["report"]).stderr).toBe("");
  fs.writeFileSync(path.join(project, "b.js"), "// edited\nconsole.log(1);\n");
  const result = jskcov(project, ["report"]);
  expectStatus(result, 0);
  expect(result.stderr).toContain("warning: b.js changed since the run");
  expect(result.stderr).not.toContain("a.js changed");
});

test("a bundle instrumented through its source map is not reported as itself; its original source is", () => {
  const original = [
    "function used(x) {",
    "  return x + 1;",
    "}",
    "function unused(x) {",
    "  return x - 1;",
    "}",
    "console.log(used(1));",
    "",
  ].join("\n");
  // A bundle: the compiled original inside a wrapper that the source map does not cover.
  const compiled = transformSync(original, { filename: "src/lib.js", babelrc: false, configFile: false, sourceMaps: true })!;
  const map = { ...compiled.map!, mappings: ";" + compiled.map!.mappings, sources: ["../src/lib.js"] };
  const bundle = `(function () {\n${compiled.code}\n})();\n` +
    `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}\n`;
  const project = makeProject({ "src/lib.js": original, "dist/bundle.js": bundle });
  expectStatus(jskcov(project, ["run", "--no-cache", "--", "dist/bundle.js"]), 0);
  const result = jskcov(project, ["report"]);
  expectStatus(result, 0);
  expect(result.stderr).toContain("warning: dist/bundle.js was instrumented through its source map");
  const lcov = fs.readFileSync(path.join(project, "lcov.info"), "utf8");
  expect(lcov).not.toContain("SF:dist/bundle.js");
  expect(lcov).toContain("SF:src/lib.js");
  expect(lcov).toMatch(/^DA:5,0$/m); // unused's body did not run, and shows so
  expect(result.stdout).not.toContain("(100%)");
});
