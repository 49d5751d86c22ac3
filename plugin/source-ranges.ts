// Block ranges in original source coordinates: through the input source map when the
// file has one (code compiled by tsc, a bundler...), else as Babel parsed them.
import * as path from "node:path";
import {
  GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, TraceMap, originalPositionFor,
  type SourceMapInput,
} from "@jridgewell/trace-mapping";
import type { SourceRange } from "./block-table";
import type { Range } from "./block-rules";

export interface OriginalRange {
  source: string;
  range: SourceRange;
}

export type RangeMapper = (generated: Range) => OriginalRange;

export function toPosix(filePath: string): string {
  return filePath.split(path.sep).join("/");
}

function plain(range: Range): SourceRange {
  return {
    start: { line: range.start.line, column: range.start.column },
    end: { line: range.end.line, column: range.end.column },
  };
}

/**
 * `inputMap` is Babel's input source map, if any; `filename` the absolute path of the
 * file; `relativePath` its path relative to the root. Sources named by the map are
 * reported relative to the root too.
 */
export function createRangeMapper(
  inputMap: SourceMapInput | undefined, filename: string, root: string, relativePath: string,
): RangeMapper {
  if (!inputMap) return (range) => ({ source: relativePath, range: plain(range) });
  const map = new TraceMap(inputMap);
  const sourceNames = new Map<string, string>();
  const relativeSource = (source: string): string => {
    let name = sourceNames.get(source);
    if (name === undefined) {
      const absolute = path.resolve(path.dirname(filename), source.replace(/^file:\/\//, ""));
      name = toPosix(path.relative(root, absolute));
      sourceNames.set(source, name);
    }
    return name;
  };
  const lookup = (position: Range["start"], bias: typeof GREATEST_LOWER_BOUND | typeof LEAST_UPPER_BOUND) => {
    const found = originalPositionFor(map, { line: position.line, column: position.column, bias });
    return found.source === null ? undefined : found;
  };
  return (range) => {
    const start = lookup(range.start, GREATEST_LOWER_BOUND) ?? lookup(range.start, LEAST_UPPER_BOUND);
    const end = lookup(range.end, LEAST_UPPER_BOUND) ?? lookup(range.end, GREATEST_LOWER_BOUND);
    // Unmapped (code the compiler made up): keep generated coordinates, named as such.
    if (!start || !end || start.source !== end.source) return { source: relativePath, range: plain(range) };
    const endPosition = end.line < start.line || (end.line === start.line && end.column < start.column)
      ? { line: start.line, column: start.column }
      : { line: end.line, column: end.column };
    return {
      source: relativeSource(start.source!),
      range: { start: { line: start.line, column: start.column }, end: endPosition },
    };
  };
}
