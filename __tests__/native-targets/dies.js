// The executor process dies on "ABRT" (a native-style crash) and exits on "EXIT".
module.exports.fuzz = function fuzz(data) {
  const text = data.toString("latin1");
  if (text === "ABRT") process.abort();
  if (text === "EXIT") process.exit(3);
};
