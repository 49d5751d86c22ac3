// On the input "GROW", keeps ~400 MB of filled buffers reachable and then keeps running for
// a while (so that a watcher polling once a second sees the memory during the run); every
// other input returns at once. The memory is the executor's: the harness's own stays small.
const kept = [];
module.exports.fuzz = function fuzz(data) {
  if (data.toString("latin1") !== "GROW") return;
  for (let i = 0; i < 25; i++) kept.push(Buffer.alloc(16 * 1024 * 1024, i + 1));
  const until = Date.now() + 4000;
  while (Date.now() < until);
};
