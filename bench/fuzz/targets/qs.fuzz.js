// qs 6.9.0: parse, stringify and parse again must give the same object. jsfuzz found that
// it does not for some strings (ljharb/qs issue #340, "parse->stringify->parse get different
// results", open): in its example a key `]]` comes back as `0`. The target is
// jsfuzz's own for qs (printable ASCII only), written as a Jazzer.js target.
const assert = require("node:assert");
const qs = require("qs");

module.exports.fuzz = function (data) {
  const text = data.toString("latin1");
  if (!/^[ -~]+$/.test(text)) return;
  const parsed = qs.parse(text);
  assert.deepEqual(qs.parse(qs.stringify(parsed)), parsed);
};
