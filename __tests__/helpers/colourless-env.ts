// Jest setup file: the tests compare the text of what programs print, so no process of a
// test run may colour it. picocolors (Babel's code frames) colours when FORCE_COLOR or CI
// is set, and CI sets CI=1; NO_COLOR wins over both. Children inherit this environment.
delete process.env.FORCE_COLOR;
process.env.NO_COLOR = "1";
