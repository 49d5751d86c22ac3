// A small INI parser with a bug for `jskcov fuzz` to find: sections, key = value lines,
// comments, dotted sections ([parent.child], nested in [parent]), and double-quoted values
// with escapes (\n, \t, \\, \", \u{HEX}). Its two bugs are marked "The bug".

class IniSyntaxError extends Error {
  constructor(message, line) {
    super(`line ${line}: ${message}`);
    this.name = "IniSyntaxError";
  }
}

function unquote(text, line) {
  let out = "";
  for (let i = 1; i < text.length - 1; i++) {
    const char = text[i];
    if (char !== "\\") {
      out += char;
      continue;
    }
    const next = text[++i];
    if (next === "n") out += "\n";
    else if (next === "t") out += "\t";
    else if (next === "\\" || next === '"') out += next;
    else if (next === "u" && text[i + 1] === "{") {
      const close = text.indexOf("}", i);
      if (close < 0) throw new IniSyntaxError("unterminated \\u{", line);
      const hex = text.slice(i + 2, close);
      if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) throw new IniSyntaxError("bad \\u{} escape", line);
      // The bug: a code point above 0x10FFFF makes fromCodePoint throw a RangeError.
      out += String.fromCodePoint(parseInt(hex, 16));
      i = close;
    } else {
      throw new IniSyntaxError(`unknown escape \\${next}`, line);
    }
  }
  return out;
}

function parse(text) {
  const result = {};
  let section = result;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith(";") || trimmed.startsWith("#")) return;
    if (trimmed.startsWith("[")) {
      if (!trimmed.endsWith("]")) throw new IniSyntaxError("unterminated section", line);
      const name = trimmed.slice(1, -1).trim();
      const dot = name.indexOf(".");
      if (dot < 0) {
        section = result[name] = {};
      } else {
        // The bug: a child of a section that was never declared ([a.b] without [a]).
        section = result[name.slice(0, dot)][name.slice(dot + 1)] = {};
      }
      return;
    }
    const equals = trimmed.indexOf("=");
    if (equals <= 0) throw new IniSyntaxError("expected key = value", line);
    const key = trimmed.slice(0, equals).trim();
    let value = trimmed.slice(equals + 1).trim();
    if (value.startsWith('"')) {
      if (value.length < 2 || !value.endsWith('"')) throw new IniSyntaxError("unterminated string", line);
      value = unquote(value, line);
    }
    section[key] = value;
  });
  return result;
}

module.exports = { parse, IniSyntaxError };
