// For the executor protocol's own test: "CRASH" throws, "SLOW" keeps the executor busy for
// 30 ms (far past any spin, so the driver's wait has to block), anything else returns.
module.exports.fuzz = function fuzz(data) {
  const text = data.toString("latin1");
  if (text === "CRASH") throw new Error("protocol test crash");
  if (text === "SLOW") {
    const until = Date.now() + 30;
    while (Date.now() < until);
  }
};
