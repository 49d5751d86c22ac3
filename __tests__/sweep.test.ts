// Robustness over real code: every file of several Babel packages (hundreds of files,
// written in many styles) instruments without error and the output parses again as
// the same kind of program. Behaviour on real code is checked by differential.test.ts
// and by the benchmark's output hashes.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseSync } from "@babel/core";
import { REPO_ROOT, transform } from "./helpers/instrument";
import kcovPlugin from "../plugin";

function jsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(full);
    return entry.name.endsWith(".js") && fs.statSync(full).size < 200_000 ? [full] : [];
  });
}

const packages = ["@babel/traverse/lib", "@babel/generator/lib", "@babel/template/lib", "@babel/helpers/lib", "@babel/types/lib", "picomatch/lib", "semver"];
const files = packages.flatMap((dir) => jsFiles(path.join(REPO_ROOT, "node_modules", dir)));

test(`${files.length} files of ${packages.join(", ")} instrument and parse again`, () => {
  expect(files.length).toBeGreaterThan(200);
  const failures: string[] = [];
  for (const file of files) {
    const code = fs.readFileSync(file, "utf8");
    try {
      const original = parseSync(code, { filename: file, babelrc: false, configFile: false, sourceType: "unambiguous" });
      const { code: output, metadata } = transform(code, file, { plugins: [[kcovPlugin, { instrumentationFilter: "**" }]] });
      if (!metadata || metadata.blocks.length === 0) failures.push(`${file}: not instrumented`);
      parseSync(output, { filename: file, babelrc: false, configFile: false, sourceType: original!.program.sourceType });
    } catch (error) {
      failures.push(`${file}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  expect(failures).toEqual([]);
});
