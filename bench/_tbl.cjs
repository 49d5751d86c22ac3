const bt = require("/work/main/dist/plugin/block-table.js");
const { template } = require("/work/main/node_modules/@babel/core");
// fake 8000 blocks
const blocks = []; for (let i = 0; i < 8000; i++) blocks.push({ index: i, kind: "join", pc: 0xffffffff80000000n + BigInt(i * 8), slotOffset: i, counter: i, functionName: "f" + (i >> 4), source: "a.js", range: { start: { line: i, column: 2 }, end: { line: i + 3, column: 4 } } });
for (let r = 0; r < 5; r++) {
  let t = performance.now(); const tbl = bt.toRuntimeTable(blocks, []); const a = performance.now() - t;
  t = performance.now(); const json = JSON.stringify(tbl); const b = performance.now() - t;
  t = performance.now(); template.statements.ast(`var x = function () { var file = { table: ${JSON.stringify(json)} }; return 1; }();`, { preserveComments: false }); const c = performance.now() - t;
  console.log("toRuntimeTable", a.toFixed(1), "stringify", b.toFixed(1), "template", c.toFixed(1), json.length);
}
