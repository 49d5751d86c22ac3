// Block ranges in original source coordinates: through the input source map when the
// file has one (code compiled by tsc, a bundler...), else as Babel parsed them.
import * as path from "node:path";
import {
  FlattenMap, GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, type TraceMap, originalPositionFor,
  type SourceMapInput,
} from "@jridgewell/trace-mapping";
import type { SourceRange } from "./block-table";
import type { Range } from "./block-rules";
import { lookUpPositions, type GeneratedPosition } from "./source-map-lookup";

export interface OriginalRange {
  source: string;
  range: SourceRange;
}

/** Maps all of a file's block ranges at once (one pass over the source map). */
export type RangeMapper = (generated: readonly Range[]) => OriginalRange[];

export function toPosix(filePath: string): string {
  return filePath.split(path.sep).join("/");
}

function plain(range: Range): SourceRange {
  return {
    start: { line: range.start.line, column: range.start.column },
    end: { line: range.end.line, column: range.end.column },
  };
}

/** An original position: index into the map's sources, line from 1, column from 0. */
interface Found {
  source: number;
  line: number;
  column: number;
}

/** Both biases' answers for a list of positions, as trace-mapping's originalPositionFor gives them. */
type BiasedLookup = (positions: readonly GeneratedPosition[]) => {
  lower(index: number): Found | undefined;
  upper(index: number): Found | undefined;
};

function lookupThroughTraceMap(map: TraceMap): BiasedLookup {
  const sourceIndex = new Map(map.resolvedSources.map((source, index) => [source, index]));
  const one = (position: GeneratedPosition, bias: typeof GREATEST_LOWER_BOUND | typeof LEAST_UPPER_BOUND): Found | undefined => {
    const found = originalPositionFor(map, { line: position.line, column: position.column, bias });
    return found.source === null ? undefined : { source: sourceIndex.get(found.source)!, line: found.line, column: found.column };
  };
  return (positions) => ({
    lower: (index) => one(positions[index], GREATEST_LOWER_BOUND),
    upper: (index) => one(positions[index], LEAST_UPPER_BOUND),
  });
}

function lookupThroughMappings(mappings: string): BiasedLookup {
  return (positions) => {
    const { lower, upper } = lookUpPositions(mappings, positions);
    const at = (answers: typeof lower, index: number): Found | undefined => answers.source[index] < 0 ? undefined
      : { source: answers.source[index], line: answers.line[index], column: answers.column[index] };
    return { lower: (index) => at(lower, index), upper: (index) => at(upper, index) };
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
  if (!inputMap) return (ranges) => ranges.map((range) => ({ source: relativePath, range: plain(range) }));
  // TraceMap parses the map and resolves its sources; it decodes the mappings only when
  // asked a position, which lookUpPositions does instead when the mappings are encoded.
  // FlattenMap also takes an index map (sections), flattened into one decoded map.
  const map = FlattenMap(inputMap);
  const mappings = typeof inputMap === "string" ? undefined : (inputMap as { mappings?: unknown }).mappings;
  const lookup = typeof mappings === "string" ? lookupThroughMappings(mappings) : lookupThroughTraceMap(map);
  const sourceNames = map.resolvedSources.map((source) => {
    const absolute = path.resolve(path.dirname(filename), (source ?? "").replace(/^file:\/\//, ""));
    return toPosix(path.relative(root, absolute));
  });
  return (ranges) => {
    const positions: GeneratedPosition[] = [];
    for (const range of ranges) positions.push(range.start, range.end);
    const found = lookup(positions);
    return ranges.map((range, i) => {
      const start = found.lower(2 * i) ?? found.upper(2 * i);
      const end = found.upper(2 * i + 1) ?? found.lower(2 * i + 1);
      // Unmapped (code the compiler made up): keep generated coordinates, named as such.
      if (!start || !end || map.resolvedSources[start.source] !== map.resolvedSources[end.source]) {
        return { source: relativePath, range: plain(range) };
      }
      const endPosition = end.line < start.line || (end.line === start.line && end.column < start.column)
        ? { line: start.line, column: start.column }
        : { line: end.line, column: end.column };
      return {
        source: sourceNames[start.source],
        range: { start: { line: start.line, column: start.column }, end: endPosition },
      };
    });
  };
}
