// A bug behind a string keyword compared in one go (a string comparison: the string area).
module.exports.fuzz = function fuzz(data) {
  const header = data.toString("latin1", 0, 12);
  if (header === "jskcov:magic") throw new Error("keyword found");
};
