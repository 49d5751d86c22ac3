// plugin/source-map-lookup.ts answers many positions in one pass over a map's encoded
// mappings. Its answers must be exactly trace-mapping's originalPositionFor, with either
// bias: checked on random maps, on a real bundler's map, and on a line whose segments
// are out of order.
import * as fs from "node:fs";
import {
  GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, TraceMap, encodedMappings, originalPositionFor,
} from "@jridgewell/trace-mapping";
import fc from "fast-check";
import { lookUpPositions, type GeneratedPosition } from "../plugin/source-map-lookup";

const SOURCES = ["a.ts", "b.ts", "c.ts"];

/** Every position's answers from both implementations, in one comparable shape. */
function bothAnswers(mappings: string, positions: GeneratedPosition[]) {
  const map = new TraceMap({ version: 3, sources: SOURCES, names: ["n"], mappings });
  const expected = positions.map((position) => ([GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND] as const).map((bias) => {
    const found = originalPositionFor(map, { ...position, bias });
    return found.source === null ? null : [found.source, found.line, found.column];
  }));
  const { lower, upper } = lookUpPositions(mappings, positions);
  const actual = positions.map((_, i) => [lower, upper].map((answers) =>
    answers.source[i] < 0 ? null : [SOURCES[answers.source[i]], answers.line[i], answers.column[i]]));
  return { expected, actual };
}

/** A decoded line: segments of 1 (no source), 4 or 5 fields, columns possibly repeated. */
const segment = fc.oneof(
  fc.tuple(fc.nat(40)),
  fc.tuple(fc.nat(40), fc.nat(SOURCES.length - 1), fc.nat(30), fc.nat(60)),
  fc.tuple(fc.nat(40), fc.nat(SOURCES.length - 1), fc.nat(30), fc.nat(60), fc.constant(0)),
);
const decodedMap = fc.array(fc.array(segment, { maxLength: 8 }), { maxLength: 12 });
const position = fc.record({ line: fc.integer({ min: 1, max: 14 }), column: fc.nat(45) });

test("answers as trace-mapping does, both biases, on random maps", () => {
  fc.assert(fc.property(decodedMap, fc.array(position, { minLength: 1, maxLength: 30 }), (decoded, positions) => {
    // trace-mapping encodes the decoded lines (sorting each line by column, stably).
    const mappings = encodedMappings(new TraceMap({ version: 3, sources: SOURCES, names: ["n"], mappings: decoded as never }));
    const { expected, actual } = bothAnswers(mappings, positions);
    expect(actual).toEqual(expected);
  }), { numRuns: 400 });
});

test("answers as trace-mapping does on a line whose segments are out of order", () => {
  // Line 1: column 5 -> a.ts 1:0, then column 0 -> a.ts 2:0, then column 5 again -> a.ts 3:0.
  const mappings = "KAAA,LACA,KACA;AAAA";
  const positions = Array.from({ length: 8 }, (_, column) => ({ line: 1, column }));
  const { expected, actual } = bothAnswers(mappings, positions);
  expect(actual).toEqual(expected);
  // At column 5: the first and the last segment there (a.ts lines 1 and 3); column 0 is a.ts line 2.
  expect(actual[5]).toEqual([["a.ts", 1, 0], ["a.ts", 3, 0]]);
  expect(actual[0]).toEqual([["a.ts", 2, 0], ["a.ts", 2, 0]]);
});

test("answers as trace-mapping does on @babel/parser's published source map", () => {
  const raw = JSON.parse(fs.readFileSync(require.resolve("@babel/parser/lib/index.js.map"), "utf8"));
  const map = new TraceMap(raw);
  const code = fs.readFileSync(require.resolve("@babel/parser/lib/index.js"), "utf8").split("\n");
  // Every line, at its start, a few columns in, and past its end; plus lines past the map.
  const positions: GeneratedPosition[] = [];
  code.forEach((text, index) => {
    for (const column of [0, 1, 7, Math.floor(text.length / 2), text.length, text.length + 3]) {
      positions.push({ line: index + 1, column });
    }
  });
  positions.push({ line: code.length + 5, column: 0 });
  const { lower, upper } = lookUpPositions(raw.mappings, positions);
  let mismatches = 0;
  positions.forEach((position, i) => {
    for (const [bias, answers] of [[GREATEST_LOWER_BOUND, lower], [LEAST_UPPER_BOUND, upper]] as const) {
      const found = originalPositionFor(map, { ...position, bias });
      const actual = answers.source[i] < 0 ? null : [map.resolvedSources[answers.source[i]], answers.line[i], answers.column[i]];
      if (JSON.stringify(actual) !== JSON.stringify(found.source === null ? null : [found.source, found.line, found.column])) mismatches++;
    }
  });
  expect(positions.length).toBeGreaterThan(50000);
  expect(mismatches).toBe(0);
});

test("names the offset of a character that is not base64", () => {
  expect(() => lookUpPositions("AAAA;A!AA", [{ line: 2, column: 0 }])).toThrow("bad character in mappings at offset 6");
});
