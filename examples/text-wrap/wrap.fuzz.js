// An OSS-Fuzz-style Jazzer.js fuzz target: it takes its FuzzedDataProvider from
// @jazzer.js/core, as the JavaScript projects of OSS-Fuzz do, and runs unchanged under
// `jskcov fuzz`, which answers that import with babel-plugin-kcov/fuzz's provider when the
// package is missing or cannot load (docs/fuzzing.md). The provider turns the raw input into
// the options and the text; the target checks what wrapText promises.
//
//   npx jskcov fuzz examples/text-wrap/wrap.fuzz.js -- -max_total_time=30
const { FuzzedDataProvider } = require("@jazzer.js/core");
const { wrapText } = require("./wrap");

module.exports.fuzz = function (data) {
  const provider = new FuzzedDataProvider(data);
  const width = provider.consumeIntegralInRange(8, 40);
  const indent = provider.consumeIntegralInRange(0, 4);
  const hyphenate = provider.consumeBoolean();
  const text = provider.consumeRemainingAsString();
  for (const line of wrapText(text, { width, indent, hyphenate })) {
    // Without hyphenation, only a line holding a single word may be too long.
    if (line.length > width && (hyphenate || line.trim().includes(" "))) {
      throw new Error(`wrapText(width ${width}, indent ${indent}, hyphenate ${hyphenate}) made a line of ${line.length} columns: ${JSON.stringify(line)}`);
    }
  }
};
