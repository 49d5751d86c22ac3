// jsfuzz's target in the benchmark: the library's target, with a count of its calls.
// jsfuzz prints a status line only when its coverage grows, so the executions before a
// finding that comes first (jpeg-js, fast-xml-parser) were unknown. Its worker calls
// this; the count goes to JSFUZZ_COUNT_FILE when a call throws (the finding: jsfuzz stops
// there) and every COUNT_EVERY calls (for the executions in the time: it is killed then).
// A hang writes nothing; its count stays the last status line's.
const fs = require("node:fs");

const { fuzz } = require(process.env.JSFUZZ_TARGET);
const countFile = process.env.JSFUZZ_COUNT_FILE;
const COUNT_EVERY = 1000;
let calls = 0;

const note = () => fs.writeFileSync(countFile, String(calls));

module.exports.fuzz = function (data) {
  calls++;
  if (calls % COUNT_EVERY === 0) note();
  let result;
  try {
    result = fuzz(data);
  } catch (error) {
    note();
    throw error;
  }
  if (result instanceof Promise) {
    return result.catch((error) => {
      note();
      throw error;
    });
  }
  return result;
};
