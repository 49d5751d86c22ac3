// A multi-byte string keyword at the start of the input, as a command or a format name.
module.exports.fuzz = function (data) {
  const word = data.toString("latin1", 0, 8);
  if (word === "jskcov!?") throw new Error("solved: the keyword 'jskcov!?'");
};
