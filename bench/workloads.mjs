// The benchmark's workloads: real CPU-bound pure-JavaScript libraries from npm (pinned
// exact in package.json). Each names the library file(s) that every variant instruments,
// builds its input (uninstrumented, untimed), and does one deterministic iteration of
// work. `iterations.full` is sized for roughly 1-3 s uninstrumented on the reference
// machine; `iterations.smoke` keeps `npm run bench:smoke` short.

import { javascriptCorpus, markdownCorpus, yamlDocument } from "./corpus.mjs";

/**
 * @typedef {object} LibraryFile
 * @property {string} id        file name inside each variant's folder; its extension
 *                              (.cjs/.mjs) decides how the child loads it
 * @property {string} from      module specifier of the original file in node_modules
 * @property {"script"|"module"} sourceType
 *
 * @typedef {object} Workload
 * @property {string} name
 * @property {string} description
 * @property {LibraryFile[]} files   files instrumented by every variant; files[0] is loaded
 * @property {{full: number, smoke: number}} iterations
 * @property {(scale: "full"|"smoke") => unknown} input
 * @property {(lib: any, input: any) => unknown} iterate  one unit of timed work
 * @property {(output: any) => unknown} [digest]  what is hashed (default: the output)
 */

/** @type {Workload[]} */
export const workloads = [
  {
    name: "acorn",
    description: "acorn 8 parses 6 real bundles (2.5 MB) with locations",
    files: [{ id: "acorn.cjs", from: "acorn/dist/acorn.js", sourceType: "script" }],
    iterations: { full: 3, smoke: 1 },
    input: (scale) => (scale === "smoke" ? javascriptCorpus("es2017").slice(1, 2) : javascriptCorpus("modern")),
    iterate: (acorn, corpus) =>
      corpus.map((file) => acorn.parse(file.code, { ecmaVersion: "latest", sourceType: file.sourceType, locations: true })),
  },
  {
    name: "esprima",
    description: "esprima 4 tokenizes and parses 4 ES2017 bundles (1.2 MB)",
    files: [{ id: "esprima.cjs", from: "esprima/dist/esprima.js", sourceType: "script" }],
    iterations: { full: 4, smoke: 1 },
    input: () => javascriptCorpus("es2017"),
    iterate: (esprima, corpus) =>
      corpus.map((file) => ({
        tokens: esprima.tokenize(file.code, { range: true }),
        ast: esprima.parseScript(file.code, { range: true }),
      })),
  },
  {
    name: "babel-parser",
    description: "@babel/parser 7 parses 6 real bundles (2.5 MB)",
    files: [{ id: "babel-parser.cjs", from: "@babel/parser/lib/index.js", sourceType: "script" }],
    iterations: { full: 4, smoke: 1 },
    input: () => javascriptCorpus("modern"),
    iterate: (parser, corpus) => corpus.map((file) => parser.parse(file.code, { sourceType: file.sourceType }).program),
  },
  {
    name: "marked",
    description: "marked 18 (ESM) renders a generated 1,500-section GFM document",
    files: [{ id: "marked.mjs", from: "marked/lib/marked.esm.js", sourceType: "module" }],
    iterations: { full: 6, smoke: 1 },
    input: (scale) => markdownCorpus(scale === "smoke" ? 50 : 1500),
    iterate: (lib, markdown) => lib.marked.parse(markdown, { gfm: true, async: false }),
  },
  {
    name: "js-yaml",
    description: "js-yaml 5 dumps and loads a generated 3,000-record document",
    files: [{ id: "js-yaml.cjs", from: "js-yaml/dist/js-yaml.cjs.js", sourceType: "script" }],
    iterations: { full: 8, smoke: 1 },
    input: (scale) => yamlDocument(scale === "smoke" ? 100 : 3000),
    iterate: (yaml, doc) => {
      const text = yaml.dump(doc);
      return { text, loaded: yaml.load(text) };
    },
  },
  {
    name: "terser",
    description: "terser 5 minifies esprima.js (280 kB) with compress and mangle",
    files: [{ id: "terser.cjs", from: "terser/dist/bundle.min.js", sourceType: "script" }],
    iterations: { full: 2, smoke: 1 },
    input: () => javascriptCorpus("es2017")[0].code,
    iterate: (terser, code) => terser.minify_sync(code, { compress: { passes: 2 }, mangle: true }).code,
  },
];

/** The workload `npm run bench:smoke` runs. */
export const SMOKE_WORKLOAD = "acorn";

export function findWorkload(name) {
  const workload = workloads.find((w) => w.name === name);
  if (!workload) throw new Error(`unknown workload "${name}"; known: ${workloads.map((w) => w.name).join(", ")}`);
  return workload;
}
