// Reading the inputs the engine is given (seed corpus directories, regression inputs),
// with errors that name the file: libFuzzer exits naming an input it cannot read, and so
// does jskcov, rather than with a bare ENOENT or, in the executor, no word at all.

import * as fs from "node:fs";

/** A corpus directory or input that cannot be read: a dangling link, no permission. */
export class CorpusReadError extends Error {
  override name = "CorpusReadError";
}

function readError(what: string, error: unknown): CorpusReadError {
  const code = (error as NodeJS.ErrnoException).code;
  return new CorpusReadError(`cannot read ${what}: ${code === "ENOENT" ? "it does not exist (a dangling symbolic link?)" : (error as Error).message}`);
}

/** The names in a corpus directory, sorted. */
export function listDirectory(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch (error) {
    throw readError(`the corpus directory ${dir}`, error);
  }
}

/** Whether `file` is a regular file (not a directory or a FIFO, which are skipped). */
export function isRegularFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch (error) {
    throw readError(`the input ${file}`, error);
  }
}

/** The bytes of `file`; undefined for what is not a regular file. */
export function readInputFile(file: string): Buffer | undefined {
  if (!isRegularFile(file)) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw readError(`the input ${file}`, error);
  }
}
