// A planted bug behind a four-byte key, checked one byte at a time so that coverage
// guides an engine to it.
module.exports.fuzz = function fuzz(data) {
  if (data.length < 4) return;
  if (data[0] === 0x46 /* F */) {
    if (data[1] === 0x55 /* U */) {
      if (data[2] === 0x5a /* Z */) {
        if (data[3] === 0x5a /* Z */) throw new Error("planted bug: the input starts with FUZZ");
      }
    }
  }
};
