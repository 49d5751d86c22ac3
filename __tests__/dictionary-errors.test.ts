// Dictionary errors name the file, the line and the column of the line (found by
// conformance: columns were counted from the token's opening quote, so a `name=` prefix or
// indentation put them elsewhere than the editor shows).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DictionaryError, parseDictionary, readDictionary } from "../fuzz/engine/dictionary";

function errorOf(text: string): string {
  try {
    parseDictionary(text, "words.dict");
  } catch (error) {
    expect(error).toBeInstanceOf(DictionaryError);
    return (error as Error).message;
  }
  throw new Error("no error");
}

test.each([
  ['"a\\q"', "words.dict:1: bad escape at column 3"],
  ['kw="bad\\x4"', "words.dict:1: bad escape at column 8"],
  ['# first\n  kw@2 = "ok\\x41\\q"', "words.dict:2: bad escape at column 17"],
  ['\t"tab"\n"x"y"', "words.dict:2: unescaped '\"' inside the token at column 3"],
  ['"unterminated', 'words.dict:1: expected "token" or name="token", got: "unterminated'],
  ['ok="a"\r\n""', 'words.dict:2: empty token ""'],
])("%j: %s", (text, message) => {
  expect(errorOf(text)).toContain(message);
});

test("good lines: escapes, names with levels, CRLF, comments and indentation", () => {
  const tokens = parseDictionary('# c\r\n  kw@1="a\\x00\\\\\\""\r\n\r\n"\\xff"\n', "words.dict");
  expect(tokens.map((token) => [...token])).toEqual([[0x61, 0x00, 0x5c, 0x22], [0xff]]);
});

test("a directory given as the dictionary: the error says so, naming it", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-dict-dir-"));
  try {
    expect(() => readDictionary(dir)).toThrow(new DictionaryError(`cannot read the dictionary ${dir}: it is a directory (-dict takes one file)`));
  } finally {
    fs.rmdirSync(dir);
  }
});
