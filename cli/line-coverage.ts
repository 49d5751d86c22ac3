// Line coverage from executed blocks, in istanbul's data model so that istanbul-reports
// can write lcov and HTML. The rule (docs/cli.md, "Line coverage"), chosen to agree with
// V8's own block coverage of the same run (__tests__/line-coverage-v8.test.ts checks it):
//
// - A *code line* is a line on which a token of code starts: not blank, not only
//   comments, not only closing brackets and separators (`});`), and not only TypeScript
//   types (interfaces, annotations, `declare ...`). Each code line is one istanbul
//   statement, so lcov's DA lines are exactly the code lines.
// - A line ran as often as the *innermost block containing its first token* ran (closing
//   brackets skipped): among the file's blocks whose range [start, end) contains that
//   position, the one that starts last, and of those the one that ends first.
// - An outcome starts where V8 and a reader see it start, at its operator or label: the
//   right operand of `a && b`, `||`, `??` at the operator, the arms of `?:` at `?` and
//   `:`, an `else` at the keyword, a switch case at its `case`/`default` label, a class
//   field's initializer at the field's name. So a
//   continuation line `|| b`, a parenthesised operand `(b ||`, `} else {` and a
//   `case X:` line count as the outcome they begin.
// - Functions (lcov FN/FNDA) are the blocks of kind "function", counted as they ran.
// - Branches (lcov BRDA) are the constructs whose every outcome is a block: `if` (its
//   consequent, and its alternate or implicit else), `?:` (both arms) and `switch` (each
//   case body, and the implicit "no case matched" when there is no default). Each outcome
//   is found as the block of its kind that starts where the parsed source puts it.
// Counts are how often the block's PC occurs in the dump: 1 per run in "hit" mode.

import * as fs from "node:fs";
import * as path from "node:path";
import * as babel from "@babel/core";
import libCoverage, { type CoverageMap, type FileCoverageData, type Range } from "istanbul-lib-coverage";
import type { SymbolizedBlock, SourcePosition } from "../runtime";

export interface ExecutedBlock {
  block: SymbolizedBlock;
  hits: number;
}

interface Located {
  start: SourcePosition;
  end: SourcePosition;
}

function compare(a: SourcePosition, b: SourcePosition): number {
  return a.line - b.line || a.column - b.column;
}

/** A branching construct: where it is, its istanbul type, and where each outcome's block starts. */
interface BranchConstruct {
  loc: Located;
  type: "if" | "cond-expr" | "switch";
  /** Per outcome: the block kind and the position its block starts at. */
  outcomes: Array<{ kind: string; at: SourcePosition }>;
}

/** Where the block of each outcome of a branching node starts (docs/block-table.md kinds). */
function branchOf(node: babel.types.Node): BranchConstruct | undefined {
  const t = babel.types;
  if (!node.loc) return undefined;
  const startOf = (child: babel.types.Node | null | undefined) => child?.loc?.start;
  const outcomes: BranchConstruct["outcomes"] = [];
  const push = (kind: string, at: SourcePosition | undefined) => {
    if (at) outcomes.push({ kind, at });
  };
  let type: BranchConstruct["type"];
  if (t.isIfStatement(node)) {
    type = "if";
    push("if-consequent", startOf(node.consequent));
    if (node.alternate) push("if-alternate", startOf(node.alternate));
    else push("if-implicit-else", node.loc.end);
  } else if (t.isConditionalExpression(node)) {
    type = "cond-expr";
    push("conditional-consequent", startOf(node.consequent));
    push("conditional-alternate", startOf(node.alternate));
  } else if (t.isSwitchStatement(node)) {
    type = "switch";
    for (const clause of node.cases) {
      push("switch-case", clause.consequent.length > 0 ? startOf(clause.consequent[0]) : clause.loc?.end);
    }
    if (!node.cases.some((clause) => clause.test === null)) push("switch-implicit-default", node.loc.end);
  } else {
    return undefined;
  }
  return { loc: { start: node.loc.start, end: node.loc.end }, type, outcomes };
}

/** What the report needs of a parsed source. */
interface SourceLayout {
  /** Per code line: its first token (closing brackets skipped) and the end of its last token. */
  lines: Array<{ first: SourcePosition; end: SourcePosition }>;
  branches: BranchConstruct[];
  /** Outcome blocks that begin at an operator or label before their code: `kind@line:column` -> that position. */
  outcomeStarts: Map<string, SourcePosition>;
}

interface Token {
  type: string | { label: string };
  start: number;
  end: number;
  loc: { start: SourcePosition; end: SourcePosition };
}

/** Tokens that end a construct rather than begin code: a line holding only these is not a code line. */
const CLOSING_TOKENS = new Set(["}", ")", "]", ";", ","]);

function tokenLabel(token: Token): string {
  return typeof token.type === "string" ? token.type : token.type.label;
}

const blockKey = (kind: string, at: SourcePosition) => `${kind}@${at.line}:${at.column}`;

/** TypeScript that emits no code: its tokens make no line a code line. */
function isTypeOnly(node: babel.types.Node): boolean {
  const t = babel.types;
  return t.isTSType(node) || t.isTSTypeElement(node) || t.isTSTypeAnnotation(node) ||
    t.isTSTypeParameterDeclaration(node) || t.isTSTypeParameterInstantiation(node) ||
    t.isTSInterfaceDeclaration(node) || t.isTSTypeAliasDeclaration(node) || t.isTSDeclareFunction(node) ||
    t.isTSDeclareMethod(node) || t.isTSIndexSignature(node) || t.isTSExpressionWithTypeArguments(node) ||
    Boolean((node as { declare?: boolean }).declare) ||
    ((t.isImportDeclaration(node) || t.isExportNamedDeclaration(node)) && (node as { importKind?: string; exportKind?: string }).importKind === "type") ||
    (t.isExportNamedDeclaration(node) && node.exportKind === "type");
}

/** Code lines, branching constructs and outcome starts of a source file. */
function parseForCoverage(source: string, filename: string): SourceLayout {
  const typeScript = /\.[mc]?tsx?$/.test(filename);
  const ast = babel.parseSync(source, {
    filename,
    babelrc: false,
    configFile: false,
    sourceType: "unambiguous",
    parserOpts: {
      plugins: typeScript ? (filename.endsWith("x") ? ["typescript", "jsx"] : ["typescript"]) : ["jsx"],
      allowReturnOutsideFunction: true,
      errorRecovery: true,
      tokens: true,
    },
  });
  const outcomeStarts = new Map<string, SourcePosition>();
  if (ast === null) return { lines: [], branches: [], outcomeStarts };
  const tokens = ((ast as unknown as { tokens?: Token[] }).tokens ?? [])
    .filter((token) => !/^Comment|^eof$/.test(tokenLabel(token)));
  /** The first token at or after `offset` that is not a closing parenthesis: an operator. */
  const operatorAfter = (offset: number): SourcePosition | undefined => {
    let low = 0;
    let high = tokens.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (tokens[middle].start < offset) low = middle + 1;
      else high = middle;
    }
    while (low < tokens.length && tokenLabel(tokens[low]) === ")") low++;
    return tokens[low]?.loc.start;
  };
  const typeOnly: Array<[number, number]> = [];
  const branches: BranchConstruct[] = [];
  babel.traverse(ast, {
    enter(nodePath) {
      const node = nodePath.node;
      if (isTypeOnly(node)) {
        if (node.start != null && node.end != null) typeOnly.push([node.start, node.end]);
        nodePath.skip();
        return;
      }
      const branch = branchOf(node);
      if (branch) branches.push(branch);
      const t = babel.types;
      const startAtOperator = (kind: string, child: babel.types.Node, after: babel.types.Node) => {
        const operator = after.end != null ? operatorAfter(after.end) : undefined;
        if (child.loc && operator) outcomeStarts.set(blockKey(kind, child.loc.start), operator);
      };
      if (t.isLogicalExpression(node)) {
        startAtOperator("logical-right", node.right, node.left);
      } else if (t.isConditionalExpression(node)) {
        startAtOperator("conditional-consequent", node.consequent, node.test);
        startAtOperator("conditional-alternate", node.alternate, node.consequent);
      } else if (t.isIfStatement(node) && node.alternate) {
        startAtOperator("if-alternate", node.alternate, node.consequent);
      } else if ((t.isClassProperty(node) || t.isClassPrivateProperty(node) || t.isClassAccessorProperty(node)) &&
                 node.value?.loc && node.loc) {
        outcomeStarts.set(blockKey("class-field", node.value.loc.start), node.loc.start);
      } else if (t.isSwitchCase(node) && node.loc) {
        const body = node.consequent;
        const blockStart = body.length > 0 ? body[0].loc?.start : node.loc.end;
        if (blockStart) outcomeStarts.set(blockKey("switch-case", blockStart), node.loc.start);
      }
    },
  });
  typeOnly.sort((a, b) => a[0] - b[0]);
  const lines: SourceLayout["lines"] = [];
  let line: { number: number; first?: SourcePosition; end: SourcePosition } | undefined;
  let typeOnlyIndex = 0;
  let typeOnlyEnd = -1;
  for (const token of tokens) {
    while (typeOnlyIndex < typeOnly.length && typeOnly[typeOnlyIndex][0] <= token.start) {
      typeOnlyEnd = Math.max(typeOnlyEnd, typeOnly[typeOnlyIndex][1]);
      typeOnlyIndex++;
    }
    if (token.start < typeOnlyEnd) continue;
    if (line?.number !== token.loc.start.line) {
      if (line?.first) lines.push({ first: line.first, end: line.end });
      line = { number: token.loc.start.line, end: token.loc.end };
    }
    if (!line.first && !CLOSING_TOKENS.has(tokenLabel(token))) line.first = token.loc.start;
    line.end = token.loc.end;
  }
  if (line?.first) lines.push({ first: line.first, end: line.end });
  return { lines, branches, outcomeStarts };
}

/** The innermost block containing `position` (see the rule at the top), or undefined. */
export function innermostBlock<T extends { block: SymbolizedBlock }>(blocks: readonly T[], position: SourcePosition): T | undefined {
  let best: T | undefined;
  for (const entry of blocks) {
    const { start, end } = entry.block;
    if (compare(start, position) > 0 || compare(position, end) >= 0) continue;
    if (
      best === undefined ||
      compare(start, best.block.start) > 0 ||
      (compare(start, best.block.start) === 0 && compare(end, best.block.end) < 0)
    ) {
      best = entry;
    }
  }
  return best;
}

function toRange(located: Located): Range {
  return {
    start: { line: located.start.line, column: located.start.column },
    end: { line: located.end.line, column: located.end.column },
  };
}

/**
 * One istanbul file coverage per source file the blocks name. Sources are read from
 * `root`; a file that cannot be read is reported through `warn` and left out.
 * `generated` are the files instrumented through an input source map (bundles): their
 * blocks moved to the original sources, and the few left in them (the program entry, a
 * wrapper the map does not cover) span code whose blocks are elsewhere, so counting the
 * bundle's lines by them would show it as fully run. Such a file is left out, with a warning.
 */
export function buildCoverageMap(
  executed: readonly ExecutedBlock[],
  root: string,
  warn: (message: string) => void,
  generated: ReadonlySet<string> = new Set(),
): { coverageMap: CoverageMap; sources: Map<string, string> } {
  const byFile = new Map<string, ExecutedBlock[]>();
  for (const entry of executed) {
    const list = byFile.get(entry.block.file) ?? [];
    list.push(entry);
    byFile.set(entry.block.file, list);
  }
  const coverageMap = libCoverage.createCoverageMap({});
  const sources = new Map<string, string>();
  for (const [file, fileBlocks] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (generated.has(file)) {
      warn(`${file} was instrumented through its source map: its coverage is reported on its original sources, ` +
        `and the ${fileBlocks.length} block(s) left in it (code the map does not cover) are not reported`);
      continue;
    }
    const absolute = path.resolve(root, file);
    let source: string;
    try {
      source = fs.readFileSync(absolute, "utf8");
    } catch {
      warn(`cannot read the source ${absolute}; it is left out of the report`);
      continue;
    }
    sources.set(absolute, source);
    const data: FileCoverageData = { path: absolute, statementMap: {}, fnMap: {}, branchMap: {}, s: {}, f: {}, b: {} };
    const { lines, branches, outcomeStarts } = parseForCoverage(source, absolute);
    // Blocks as V8 and a reader see them: an outcome from its operator or label on.
    const asSeen = fileBlocks.map((entry) => {
      const start = outcomeStarts.get(blockKey(entry.block.kind, entry.block.start));
      return start ? { ...entry, block: { ...entry.block, start } } : entry;
    });
    lines.forEach((line, index) => {
      data.statementMap[index] = toRange({ start: line.first, end: line.end });
      data.s[index] = innermostBlock(asSeen, line.first)?.hits ?? 0;
    });
    const blockAt = new Map(fileBlocks.map((entry) => [
      `${entry.block.kind}@${entry.block.start.line}:${entry.block.start.column}`, entry]));
    let branchIndex = 0;
    for (const branch of branches) {
      const arms = branch.outcomes.map((outcome) => blockAt.get(`${outcome.kind}@${outcome.at.line}:${outcome.at.column}`));
      // A construct some outcome of which has no block (e.g. inside a `with` body) is left out.
      if (arms.length === 0 || arms.some((arm) => arm === undefined)) continue;
      data.branchMap[branchIndex] = {
        loc: toRange(branch.loc), type: branch.type, line: branch.loc.start.line,
        locations: arms.map((arm) => toRange(arm!.block)),
      };
      data.b[branchIndex] = arms.map((arm) => arm!.hits);
      branchIndex++;
    }
    fileBlocks
      .filter((entry) => entry.block.kind === "function")
      .forEach((entry, index) => {
        const range = toRange(entry.block);
        data.fnMap[index] = { name: entry.block.functionName, decl: range, loc: range, line: range.start.line };
        data.f[index] = entry.hits;
      });
    coverageMap.addFileCoverage(data);
  }
  return { coverageMap, sources };
}
