// The block counts of real files, for the collision figures of docs/block-table.md
// ("How likely two files overlap"): instruments every .js/.cjs/.mjs file under
// node_modules (parse and instrument only, no code generation) and writes, to
// bench/block-counts.json, how many files have each block count. Then prints the
// expected number of overlapping pairs for 1,000 to 100,000 files of these sizes in each
// layout, by the formula that __tests__/pc-collisions.test.ts checks.
//
//   npm run build && node bench/block-counts.mjs        (about a minute)

import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";

const REPO_ROOT = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const requireFromHere = createRequire(import.meta.url);
const babel = requireFromHere("@babel/core");
const plugin = requireFromHere(join(REPO_ROOT, "dist", "plugin"));
const { PC_LAYOUTS, expectedOverlappingPairs, regionSizeFor } = requireFromHere(join(REPO_ROOT, "dist", "plugin", "pc-layout.js"));

function* javaScriptFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* javaScriptFiles(full);
    else if (entry.isFile() && /\.(c|m)?js$/.test(entry.name)) yield full;
  }
}

const files = [...javaScriptFiles(join(REPO_ROOT, "node_modules"))].sort();
const histogram = new Map();
let unparsable = 0;
for (const file of files) {
  try {
    const result = babel.transformSync(readFileSync(file, "utf8"), {
      filename: file, cwd: REPO_ROOT, babelrc: false, configFile: false, code: false, sourceType: "unambiguous",
      parserOpts: { errorRecovery: true, allowReturnOutsideFunction: true, plugins: ["jsx"] },
      plugins: [[plugin, { instrumentationFilter: ["**"] }]],
    });
    const blocks = result.metadata.kcov.blocks.length;
    histogram.set(blocks, (histogram.get(blocks) ?? 0) + 1);
  } catch {
    unparsable++;
  }
}
const counts = [...histogram].sort((a, b) => a[0] - b[0]);
writeFileSync(join(REPO_ROOT, "bench", "block-counts.json"), JSON.stringify({
  source: `every .js/.cjs/.mjs file under node_modules after npm ci (${files.length - unparsable} files, ${unparsable} unparsable), ${relative(REPO_ROOT, "bench/block-counts.mjs")}`,
  blockCountFiles: counts,
}) + "\n");

const blockCounts = counts.flatMap(([blocks, n]) => Array(n).fill(blocks));
const sizes = blockCounts.map(regionSizeFor);
const at = (q) => blockCounts[Math.floor(q * (blockCounts.length - 1))];
const mean = blockCounts.reduce((a, b) => a + b, 0) / blockCounts.length;
console.log(`${blockCounts.length} files: blocks per file mean ${mean.toFixed(0)}, median ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${at(1)}`);
for (const [name, space] of Object.entries(PC_LAYOUTS)) {
  const figures = [1000, 3000, 10000, 100000].map((n) => `${n} files: ${expectedOverlappingPairs(sizes, n, Number(space.slotCount)).toPrecision(2)}`);
  console.log(`${name}: expected overlapping pairs, ${figures.join("; ")}`);
}
