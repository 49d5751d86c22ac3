// A small word-wrapping library, the code under test of the FuzzedDataProvider example.
// It has a planted off-by-one: a word too long for a line is cut into pieces one column
// too wide for the hyphen that follows them.

/**
 * Wraps `text` into lines of at most `width` columns, each starting with `indent` spaces;
 * with `hyphenate`, words longer than a line are cut and hyphenated instead of overflowing.
 */
function wrapText(text, { width, indent = 0, hyphenate = false }) {
  const prefix = " ".repeat(indent);
  const room = width - indent;
  const lines = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    const flush = () => {
      lines.push(prefix + line);
      line = "";
    };
    for (let word of paragraph.split(/\s+/).filter(Boolean)) {
      while (hyphenate && word.length > room) {
        if (line !== "") flush();
        line = word.slice(0, room) + "-"; // the bug: room - 1 characters fit before the hyphen
        word = word.slice(room);
        flush();
      }
      if (line === "") line = word;
      else if (line.length + 1 + word.length <= room) line += " " + word;
      else {
        flush();
        line = word;
      }
    }
    flush();
  }
  return lines;
}

module.exports = { wrapText };
