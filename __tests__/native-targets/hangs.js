// Loops forever on the input "HANG"; every other input returns at once.
module.exports.fuzz = function fuzz(data) {
  if (data.toString("latin1") === "HANG") for (;;);
};
