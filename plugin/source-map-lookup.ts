// Original positions for many generated positions at once, read straight from a source
// map's encoded `mappings`. Answers are exactly those of trace-mapping's
// originalPositionFor with either bias (a test holds the two together); the difference is
// cost. trace-mapping decodes every segment into its own small array first, which on a
// large map (@babel/parser's: 0.6 MB of mappings) cost more time and garbage than the rest
// of the instrumentation. Here one pass over the string answers all positions, sorted by
// line, keeping only the segments of the line being asked about.
import { VlqReader } from "../runtime/base64-vlq";

/** A position in the generated file: line from 1, column from 0. */
export interface GeneratedPosition {
  line: number;
  column: number;
}

/**
 * For each position, by bias, the segment's source index (-1: none found, or a segment
 * without a source), original line (from 1) and original column.
 */
export interface PositionAnswers {
  lower: { source: Int32Array; line: Int32Array; column: Int32Array };
  upper: { source: Int32Array; line: Int32Array; column: Int32Array };
}

const COMMA = 44;
const SEMICOLON = 59;

function answerArrays(count: number): PositionAnswers["lower"] {
  return { source: new Int32Array(count).fill(-1), line: new Int32Array(count), column: new Int32Array(count) };
}

/** The segments of one generated line, in the order the map lists them. */
class LineSegments {
  count = 0;
  sorted = true;
  column: Int32Array = new Int32Array(64);
  source: Int32Array = new Int32Array(64);
  originalLine: Int32Array = new Int32Array(64);
  originalColumn: Int32Array = new Int32Array(64);
  /** Segment indices in column order (stable), when the map's order is not. */
  private order: number[] = [];

  clear(): void {
    this.count = 0;
    this.sorted = true;
  }

  push(column: number, source: number, originalLine: number, originalColumn: number): void {
    if (this.count === this.column.length) this.grow();
    const at = this.count++;
    if (at > 0 && column < this.column[at - 1]) this.sorted = false;
    this.column[at] = column;
    this.source[at] = source;
    this.originalLine[at] = originalLine;
    this.originalColumn[at] = originalColumn;
  }

  /** trace-mapping sorts an unsorted line by column, stably; so does this, by index. */
  prepare(): void {
    if (this.sorted) return;
    this.order = Array.from({ length: this.count }, (_, i) => i).sort((a, b) => this.column[a] - this.column[b]);
  }

  /** The segment at position `k` in column order. */
  at(k: number): number {
    return this.sorted ? k : this.order[k];
  }

  private grow(): void {
    const grow = (array: Int32Array): Int32Array => {
      const grown = new Int32Array(array.length * 2);
      grown.set(array);
      return grown;
    };
    this.column = grow(this.column);
    this.source = grow(this.source);
    this.originalLine = grow(this.originalLine);
    this.originalColumn = grow(this.originalColumn);
  }
}

/**
 * Looks up every position with both biases: greatest lower bound (the last segment at or
 * before the column; at an exact column, the first segment there) and least upper bound
 * (the first segment after the column; at an exact column, the last segment there). Only
 * the position's own line is searched, as trace-mapping does.
 */
export function lookUpPositions(mappings: string, positions: readonly GeneratedPosition[]): PositionAnswers {
  const answers: PositionAnswers = { lower: answerArrays(positions.length), upper: answerArrays(positions.length) };
  const lines = Int32Array.from(positions, (position) => Math.max(0, position.line)); // before line 1: no segments
  const byLine = indicesByLine(lines);
  const segments = new LineSegments();
  const length = mappings.length;
  let next = 0; // next position (in byLine) to answer
  while (next < byLine.length && lines[byLine[next]] < 1) next++;
  const reader = new VlqReader(mappings);
  let source = 0, originalLine = 0, originalColumn = 0; // these run on across lines

  const readValue = (): number => {
    const value = reader.read();
    if (Number.isNaN(value)) throw new Error(`invalid source map: bad character in mappings at offset ${reader.position - 1}`);
    return value;
  };
  const fieldFollows = (): boolean => {
    if (reader.position >= length) return false;
    const code = mappings.charCodeAt(reader.position);
    return code !== COMMA && code !== SEMICOLON;
  };

  for (let line = 1; reader.position <= length && next < byLine.length; line++, reader.position++) {
    const wanted = lines[byLine[next]] === line;
    segments.clear();
    let column = 0;
    while (reader.position < length) {
      const code = mappings.charCodeAt(reader.position);
      if (code === SEMICOLON) break;
      if (code === COMMA) {
        reader.position++;
        continue;
      }
      column += readValue();
      let segmentSource = -1;
      if (fieldFollows()) {
        segmentSource = source += readValue();
        originalLine += readValue();
        originalColumn += readValue();
        if (fieldFollows()) readValue(); // the name index: not needed
      }
      if (wanted) segments.push(column, segmentSource, originalLine, originalColumn);
    }
    if (!wanted) continue;
    segments.prepare();
    for (; next < byLine.length && lines[byLine[next]] === line; next++) {
      answer(segments, positions[byLine[next]].column, byLine[next], answers);
    }
  }
  return answers;
}

/** Position indices ordered by line (a counting sort: lines are small integers). */
function indicesByLine(lines: Int32Array): Int32Array {
  let maxLine = 0;
  for (const line of lines) if (line > maxLine) maxLine = line;
  const starts = new Int32Array(maxLine + 2);
  for (const line of lines) starts[line + 1]++;
  for (let line = 1; line <= maxLine + 1; line++) starts[line] += starts[line - 1];
  const order = new Int32Array(lines.length);
  lines.forEach((line, index) => { order[starts[line]++] = index; });
  return order;
}

function answer(segments: LineSegments, column: number, position: number, answers: PositionAnswers): void {
  const count = segments.count;
  // Binary search for any segment at `column`, else the insertion point.
  let low = 0, high = count - 1, found = -1;
  while (low <= high) {
    const middle = low + ((high - low) >> 1);
    const value = segments.column[segments.at(middle)];
    if (value === column) {
      found = middle;
      break;
    }
    if (value < column) low = middle + 1;
    else high = middle - 1;
  }
  let lower: number, upper: number;
  if (found >= 0) {
    lower = found;
    while (lower > 0 && segments.column[segments.at(lower - 1)] === column) lower--;
    upper = found;
    while (upper + 1 < count && segments.column[segments.at(upper + 1)] === column) upper++;
  } else {
    lower = low - 1; // the last segment before the column
    upper = low; // the first segment after it
  }
  record(segments, lower, position, answers.lower);
  record(segments, upper, position, answers.upper);
}

function record(segments: LineSegments, k: number, position: number, into: PositionAnswers["lower"]): void {
  if (k < 0 || k >= segments.count) return;
  const segment = segments.at(k);
  if (segments.source[segment] < 0) return;
  into.source[position] = segments.source[segment];
  into.line[position] = segments.originalLine[segment] + 1;
  into.column[position] = segments.originalColumn[segment];
}
