// jpeg-js 0.4.3: decoding untrusted JPEG files. Fuzzing has reported uncaught TypeErrors
// for files whose markers come in an unexpected order, e.g. a scan (SOS) before any frame
// (SOF): jpeg-js/jpeg-js issues #63, #80, #94, #95, #96, #97, #112 (still open for 0.4.3).
// Expected: jpeg-js reports a malformed file by throwing a plain Error with its own message
// ("SOI not found", "unknown JPEG marker ...", the resource limits below). Anything else,
// a TypeError or RangeError from inside the decoder, is a finding.
const jpeg = require("jpeg-js");

module.exports.fuzz = function (data) {
  try {
    jpeg.decode(data, { maxResolutionInMP: 1, maxMemoryUsageInMB: 64 });
  } catch (error) {
    if (Object.getPrototypeOf(error) !== Error.prototype) throw error;
  }
};
