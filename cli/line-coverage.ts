// Line coverage from executed blocks, in istanbul's data model so that istanbul-reports
// can write lcov and HTML. The rule (docs/cli.md, "Line coverage"):
//
// - A *statement* is a statement node of the original source (as @babel/parser reads it,
//   TypeScript included) that produces code, plus the initializer of a class field and
//   the expression body of an arrow function. Not statements: blocks `{}`, empty
//   statements, imports, `export {...}` lists, function and class declarations (their
//   bodies hold statements), and TypeScript declarations that emit no code (interfaces,
//   type aliases, `declare ...`).
// - A statement ran as often as the *innermost block containing its first character*
//   ran: among the file's blocks whose range [start, end) contains that position, the one
//   that starts last, and of those the one that ends first.
// - A line's count is the largest count of the statements that start on it (istanbul's
//   own rule); lines where no statement starts are not instrumentable.
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

/** Node types that are statements to Babel but run no code of their own. */
const NOT_STATEMENTS = new Set([
  "BlockStatement",
  "EmptyStatement",
  "FunctionDeclaration",
  "ClassDeclaration",
  "ImportDeclaration",
  "ExportNamedDeclaration",
  "ExportAllDeclaration",
  "TSInterfaceDeclaration",
  "TSTypeAliasDeclaration",
  "TSDeclareFunction",
  "TSModuleDeclaration",
]);

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

/** The code-producing statements of a source file, in source order, and its branching constructs. */
function parseForCoverage(source: string, filename: string): { statements: Located[]; branches: BranchConstruct[] } {
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
    },
  });
  if (ast === null) return { statements: [], branches: [] };
  const ranges: Located[] = [];
  const branches: BranchConstruct[] = [];
  const add = (node: babel.types.Node | null | undefined) => {
    if (node?.loc) ranges.push({ start: node.loc.start, end: node.loc.end });
  };
  babel.traverse(ast, {
    enter(nodePath) {
      const node = nodePath.node;
      if ((node as { declare?: boolean }).declare) {
        nodePath.skip();
        return;
      }
      const branch = branchOf(node);
      if (branch) branches.push(branch);
      if (babel.types.isStatement(node) && !NOT_STATEMENTS.has(node.type)) {
        if (node.type === "ExportDefaultDeclaration" && !babel.types.isExpression(node.declaration)) return;
        add(node);
      } else if ((node.type === "ClassProperty" || node.type === "ClassPrivateProperty" || node.type === "ClassAccessorProperty") && node.value) {
        add(node.value);
      } else if (node.type === "ArrowFunctionExpression" && node.body.type !== "BlockStatement") {
        add(node.body);
      }
    },
  });
  return { statements: ranges.sort((a, b) => compare(a.start, b.start)), branches };
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
 */
export function buildCoverageMap(
  executed: readonly ExecutedBlock[],
  root: string,
  warn: (message: string) => void,
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
    const { statements, branches } = parseForCoverage(source, absolute);
    statements.forEach((statement, index) => {
      data.statementMap[index] = toRange(statement);
      data.s[index] = innermostBlock(fileBlocks, statement.start)?.hits ?? 0;
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
