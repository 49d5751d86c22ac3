// Deterministic inputs for the workloads. Everything here runs uninstrumented in the
// harness, outside the timed region; a seeded PRNG keeps every run's input identical.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules");

/** Path of a file inside an installed package, bypassing its "exports" map. */
export function packageFilePath(specifier) {
  return join(NODE_MODULES, specifier);
}

/** Version of the installed package that `specifier` (e.g. "@babel/parser/lib/index.js") is in. */
export function packageVersion(specifier) {
  const parts = specifier.split("/");
  const name = parts.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
  return JSON.parse(readFileSync(join(NODE_MODULES, name, "package.json"), "utf8")).version;
}

/** mulberry32: small, fast, good enough to vary generated text; not for anything else. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readPackageFile(specifier) {
  return readFileSync(packageFilePath(specifier), "utf8");
}

/**
 * Real JavaScript to parse: the bundles of the benchmark's own pinned devDependencies
 * (exact versions in package.json, so the input changes only when they do). The
 * "es2017" set is what esprima 4 can parse; "modern" adds newer syntax for acorn and
 * @babel/parser.
 */
export function javascriptCorpus(kind) {
  const es2017 = [
    { name: "esprima.js", sourceType: "script", code: readPackageFile("esprima/dist/esprima.js") },
    { name: "acorn.js", sourceType: "script", code: readPackageFile("acorn/dist/acorn.js") },
    { name: "js-yaml.cjs.js", sourceType: "script", code: readPackageFile("js-yaml/dist/js-yaml.cjs.js") },
    { name: "babel-parser.js", sourceType: "script", code: readPackageFile("@babel/parser/lib/index.js") },
  ];
  if (kind === "es2017") return es2017;
  return [
    ...es2017,
    { name: "marked.esm.js", sourceType: "module", code: readPackageFile("marked/lib/marked.esm.js") },
    { name: "terser.js", sourceType: "script", code: readPackageFile("terser/dist/bundle.min.js") },
  ];
}

const WORDS = (
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " +
  "incididunt ut labore et dolore magna aliqua coverage fuzzer block counter kcov " +
  "syscall buffer program function branch edge mutation corpus seed crash"
).split(" ");

function words(random, count) {
  const out = [];
  for (let i = 0; i < count; i++) out.push(WORDS[Math.floor(random() * WORDS.length)]);
  return out.join(" ");
}

function inlineMarkdown(random, count) {
  return words(random, count)
    .split(" ")
    .map((word) => {
      const r = random();
      if (r < 0.06) return `*${word}*`;
      if (r < 0.1) return `**${word}**`;
      if (r < 0.13) return `\`${word}()\``;
      if (r < 0.16) return `[${word}](https://example.com/${word}?q=${Math.floor(random() * 100)})`;
      if (r < 0.17) return `<${word}@example.com>`;
      if (r < 0.18) return `${word}&amp;`;
      return word;
    })
    .join(" ");
}

/** A markdown document using most of CommonMark + GFM: headings, lists, code, tables, quotes. */
export function markdownCorpus(sections, seed = 1) {
  const random = seededRandom(seed);
  const parts = [];
  for (let s = 0; s < sections; s++) {
    parts.push(`${"#".repeat(1 + (s % 4))} ${words(random, 4)} ${s}\n`);
    parts.push(`${inlineMarkdown(random, 40)}\n${inlineMarkdown(random, 30)}\n`);
    const items = 2 + Math.floor(random() * 5);
    const ordered = random() < 0.5;
    for (let i = 0; i < items; i++) {
      parts.push(`${ordered ? `${i + 1}.` : "-"} ${inlineMarkdown(random, 8)}`);
      if (random() < 0.3) parts.push(`    - ${inlineMarkdown(random, 5)}`);
    }
    parts.push("");
    if (random() < 0.5) {
      parts.push("```js", `function f${s}(x) {`, `  return x * ${s} + 1; // ${words(random, 3)}`, "}", "```", "");
    }
    if (random() < 0.4) {
      parts.push("| name | value | note |", "| --- | ---: | :---: |");
      for (let r = 0; r < 4; r++) parts.push(`| ${words(random, 1)} | ${Math.floor(random() * 1000)} | ${inlineMarkdown(random, 3)} |`);
      parts.push("");
    }
    if (random() < 0.3) parts.push(`> ${inlineMarkdown(random, 20)}\n> > ${words(random, 6)}\n`);
    if (random() < 0.1) parts.push("---\n");
  }
  return parts.join("\n");
}

/** A nested plain-data tree for YAML: maps, lists, multi-line and quoted strings, numbers. */
export function yamlDocument(records, seed = 2) {
  const random = seededRandom(seed);
  const out = [];
  for (let i = 0; i < records; i++) {
    out.push({
      id: i,
      name: words(random, 2),
      "key with spaces": words(random, 3),
      score: Math.floor(random() * 1e6) / 100,
      active: random() < 0.5,
      nothing: null,
      tags: Array.from({ length: 1 + Math.floor(random() * 4) }, () => words(random, 1)),
      description: `${words(random, 12)}\n${words(random, 8)}\n`,
      quoted: `${words(random, 2)}: "${words(random, 1)}" #${i}`,
      nested: { depth: { level: i % 7, items: [{ a: i, b: words(random, 1) }, { c: [i, i + 1] }] } },
    });
  }
  return { version: 1, records: out };
}
