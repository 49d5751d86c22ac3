// A Jazzer.js-style fuzz target: syntax errors are expected (caught); anything else is a bug.
const { parse, IniSyntaxError } = require("../src/ini");

module.exports.fuzz = function (data) {
  try {
    parse(data.toString("utf8"));
  } catch (error) {
    if (!(error instanceof IniSyntaxError)) throw error;
  }
};
