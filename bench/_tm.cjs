const { TraceMap, originalPositionFor } = require("@jridgewell/trace-mapping");
const fs = require("fs");
const raw = fs.readFileSync("node_modules/@babel/parser/lib/index.js.map", "utf8");
const keep = [];
for (let i = 0; i < 6; i++) {
  const map = JSON.parse(raw);
  keep.push(new Array(2e6).fill(0).map((_, i) => ({ i }))); // a big live heap, as under Babel
  global.gc();
  const s = performance.now();
  const tm = new TraceMap(map);
  originalPositionFor(tm, { line: 100, column: 0 });
  const d = performance.now() - s;
  keep.pop();
  console.log("decode+1 lookup", d.toFixed(1), "ms; mappings", (map.mappings.length / 1e6).toFixed(2), "MB");
}
