// The dictionary file format of AFL and libFuzzer (-dict=FILE): one token per line,
// `"token"` or `name="token"` (AFL allows `name@level="token"`), with `\\`, `\"` and `\xNN`
// escapes; blank lines and `#` comments are skipped. Anything else is an error naming the
// file and line, where libFuzzer would just refuse the whole file.

import * as fs from "node:fs";

export class DictionaryError extends Error {
  override name = "DictionaryError";
}

const ENTRY = /^(?:[A-Za-z0-9_.-]+(?:@\d+)?\s*=\s*)?"(.*)"$/s;

export function readDictionary(file: string): Uint8Array[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "latin1");
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === "EISDIR" ? "it is a directory (-dict takes one file)" : (error as Error).message;
    throw new DictionaryError(`cannot read the dictionary ${file}: ${why}`);
  }
  return parseDictionary(text, file);
}

/** The tokens of a dictionary's text (read as latin1: one char per byte). */
export function parseDictionary(text: string, file: string): Uint8Array[] {
  const tokens: Uint8Array[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `${file}:${index + 1}`;
    const match = ENTRY.exec(line);
    if (match === null) {
      throw new DictionaryError(`${where}: expected "token" or name="token", got: ${line.slice(0, 80)}`);
    }
    // Columns are the line's, 1-based: the token's text starts after its line's first '"'.
    const token = unescape(match[1], where, lines[index].indexOf('"') + 2);
    if (token.length === 0) throw new DictionaryError(`${where}: empty token ""`);
    tokens.push(token);
  }
  return tokens;
}

/** `body`, the text between the quotes, as bytes; `column` is where it starts in its line. */
function unescape(body: string, where: string, column: number): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const char = body.charCodeAt(i);
    if (char > 0xff) throw new DictionaryError(`${where}: character outside latin1 at column ${column + i}`);
    if (body[i] === '"') throw new DictionaryError(`${where}: unescaped '"' inside the token at column ${column + i}`);
    if (body[i] !== "\\") {
      bytes.push(char);
      continue;
    }
    const next = body[i + 1];
    if (next === "\\" || next === '"') {
      bytes.push(next.charCodeAt(0));
      i++;
    } else if (next === "x" && /^[0-9A-Fa-f]{2}$/.test(body.slice(i + 2, i + 4))) {
      bytes.push(parseInt(body.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      throw new DictionaryError(`${where}: bad escape at column ${column + i}: use \\\\, \\" or \\xNN`);
    }
  }
  return Uint8Array.from(bytes);
}
