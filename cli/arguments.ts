// Command-line parsing shared by the jskcov commands: node:util parseArgs, with errors
// that name the argument and point at the command's --help.

import * as fs from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A mistake in the command line. The CLI prints the message and exits with status 2. */
export class UsageError extends Error {
  override name = "UsageError";

  constructor(readonly command: string, message: string) {
    super(`jskcov ${command}: ${message}\nTry 'jskcov ${command} --help'.`);
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/**
 * parseArgs in strict mode (pass `strict: true`), its errors turned into UsageErrors
 * that name the command.
 */
export function parseCommandLine<const T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(command, message);
  }
}

/**
 * `jskcov run [options] [--] <script> [args...]`: the options end at `--` or at the
 * first argument that is not an option, so the script's own options pass through.
 */
export function splitAtScript(
  args: string[],
  options: OptionSpec,
): { optionArgs: string[]; scriptArgs: string[] } {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== "string") continue;
    takesValue.add(`--${name}`);
    if (spec.short !== undefined) takesValue.add(`-${spec.short}`);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return { optionArgs: args.slice(0, i), scriptArgs: args.slice(i + 1) };
    if (!arg.startsWith("-") || arg === "-") {
      return { optionArgs: args.slice(0, i), scriptArgs: args.slice(i) };
    }
    if (takesValue.has(arg)) i++;
  }
  return { optionArgs: args, scriptArgs: [] };
}

/** An integer option: decimal or 0x hex, within [min, max]; the error names the option. */
export function parseInteger(command: string, option: string, value: string, min: number, max: number): number {
  const number = /^(0x[0-9a-f]+|\d+)$/i.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(command, `option '--${option}' must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return number;
}

/**
 * `file`, a dump or a block map given to `command`, must be a file: the error names it and
 * says what it is instead (a directory would fail later with EISDIR and no name).
 * `missing` is said after "does not exist" (how to name another one).
 */
export function checkInputFile(command: string, what: "dump" | "block map", file: string, missing = ""): void {
  if (!fs.existsSync(file)) throw new UsageError(command, `the ${what} '${file}' does not exist${missing}`);
  if (fs.statSync(file).isDirectory()) {
    const merge = what === "dump" ? ` (a directory of per-process dumps is read by 'jskcov merge --out FILE ${file}')` : "";
    throw new UsageError(command, `the ${what} '${file}' is a directory, not a file${merge}`);
  }
}
