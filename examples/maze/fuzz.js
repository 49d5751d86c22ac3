// A coverage-guided fuzzer in a few lines, on the runtime's kcov device: mutate an
// input from the corpus, run the target, read the PCs of the blocks it ran from the
// kcov area, and keep the input if it reached a PC never seen before.
//
//   node examples/maze/fuzz.js [iterations] [seed]
"use strict";
const path = require("node:path");

// Instrument maze.js as it is required (@babel/register with the plugin). Under
// `jskcov run` it is instrumented already, and the plugin leaves it as it is.
const root = path.resolve(__dirname, "../..");
require("@babel/register")({
  babelrc: false,
  configFile: false,
  cwd: root,
  only: [path.join(__dirname, "maze.js")],
  plugins: [[require.resolve("babel-plugin-kcov"), { instrumentationFilter: "examples/maze/**" }]],
  cache: false,
});

const { Kcov, KCOV_TRACE_PC, symbolize, formatSymbolized } = require("babel-plugin-kcov/runtime");
const { walk } = require("./maze");

const iterations = Number(process.argv[2] ?? 20000);
let state = Number(process.argv[3] ?? 1) >>> 0 || 1;
/** xorshift32: the same seed gives the same run. */
function random(n) {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
}

const MOVES = "NSEWT";
function mutateOnce(input) {
  const at = random(input.length + 1);
  switch (random(3)) {
    case 0: // insert a move
      return input.slice(0, at) + MOVES[random(MOVES.length)] + input.slice(at);
    case 1: // replace a move
      return input.slice(0, at) + MOVES[random(MOVES.length)] + input.slice(at + 1);
    default: // delete a move
      return input.slice(0, at) + input.slice(at + 1);
  }
}

/** One to three small changes stacked, as AFL's havoc stage does. */
function mutate(input) {
  for (let changes = 1 + random(3); changes > 0; changes--) input = mutateOnce(input);
  return input;
}

// The kcov sequence: INIT_TRACE, mmap, ENABLE; then per run: reset word 0, run, flush.
const kcov = new Kcov();
kcov.initTrace(4096);
const area = kcov.mmap();
kcov.enable(KCOV_TRACE_PC);

const seen = new Set();
const corpus = [""];
for (let run = 1; run <= iterations; run++) {
  const input = mutate(corpus[random(corpus.length)]);
  area[0] = 0n;
  const outcome = walk(input);
  kcov.collect();
  const fresh = [];
  for (let i = 1; i <= Number(area[0]); i++) {
    if (!seen.has(area[i])) fresh.push(area[i]);
  }
  if (fresh.length === 0) continue;
  for (const pc of fresh) seen.add(pc);
  corpus.push(input);
  console.log(`run ${run}: ${JSON.stringify(input)} -> ${outcome}; ${fresh.length} new PCs, ${seen.size} in all`);
  if (outcome === "found the treasure") {
    console.log(`\nThe treasure, after ${run} runs: ${JSON.stringify(input)}. Its new blocks:`);
    for (const pc of fresh) process.stdout.write(formatSymbolized(symbolize(pc)));
    break;
  }
}
kcov.close();
