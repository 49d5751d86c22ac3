const { lookUpPositions } = require("/work/main/dist/plugin/source-map-lookup.js");
const { TraceMap } = require("@jridgewell/trace-mapping");
const fs = require("fs");
const raw = JSON.parse(fs.readFileSync("node_modules/@babel/parser/lib/index.js.map", "utf8"));
const positions = []; for (let i = 0; i < 16000; i++) positions.push({ line: 1 + Math.floor(Math.random() * 15000), column: Math.floor(Math.random() * 40) });
for (let r = 0; r < 6; r++) {
  let s = performance.now(); const tm = new TraceMap(raw); const a = performance.now() - s;
  s = performance.now(); lookUpPositions(raw.mappings, positions); const b = performance.now() - s;
  console.log("TraceMap ctor", a.toFixed(1), "lookUpPositions", b.toFixed(1));
}
