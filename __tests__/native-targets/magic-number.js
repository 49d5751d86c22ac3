// A bug behind a 4-byte magic number compared in one go: coverage gives no step towards
// it, so only comparison feedback (libFuzzer's compare hooks, AFL++'s cmplog) finds it.
module.exports.fuzz = function fuzz(data) {
  if (data.length < 4) return;
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  if (view.getUint32(0) === 0xcafebabe) throw new Error("magic number found");
};
