// Instruments one file: walks it once to collect block sites (block-rules.ts), orders
// them into the block table, chooses PCs (pc-layout.ts), then emits the counters and the
// registration prelude (counter-emission.ts).
import { createHash } from "node:crypto";
import type { NodePath, types as T } from "@babel/core";
import { AbruptExits } from "./abrupt-exits";
import { t } from "./babel-types";
import { blockRules, type BlockSite } from "./block-rules";
import { tableVersionFor, toRuntimeTable, type BlockEntry, type CompareEntry, type KcovFileMetadata } from "./block-table";
import {
  COUNTERS_NAME, COUNTERS_PREFIX, createCounterEmitter, emitCounters, globalObjectSource, preludeStatements, spreadPrelude, type CounterSite, type EmitterOptions,
} from "./counter-emission";
import { findSharedCounters } from "./counter-sharing";
import {
  compareHooksPrelude, compareSiteAt, createCompareEmitter, emitCompareSite, rereadableNames, type CompareNames, type CompareSite, type ProgramScope,
} from "./compare-tracing";
import { unitName } from "./function-names";
import { walk, type NodeCursor } from "./node-walk";
import { MAX_REGION_SIZE, REGION_SLACK, formatPc, layoutFile, pcAt, type PcLayoutName, type RegionLayout } from "./pc-layout";
import type { RangeMapper } from "./source-ranges";
import { stringifyJson } from "../runtime/own-json";
import { keepScriptCompletionValue } from "./completion-values";

export interface InstrumentRequest {
  program: NodePath<T.Program>;
  /** Source text as given to Babel: part of the fingerprint. */
  code: string;
  relativePath: string;
  pcLayout: PcLayoutName;
  pcSeed: number;
  counterMode: "hit" | "count";
  /** Let join points share a counter with the start of their list (counter-sharing.ts). */
  pruneCounters: boolean;
  /** Report comparison operands (compare-tracing.ts). */
  traceCmp: boolean;
  mapRanges: RangeMapper;
  /** Identifies the plugin version and options, so a change of either changes the fingerprint. */
  configurationKey: string;
}

/** A code unit owns blocks: program, function, class field initializer, static block. */
interface CodeUnit {
  name: string;
  /** Names from the program down, with `#n` for same-named siblings: stable under edits elsewhere. */
  key: string;
  siblingNames: Map<string, number>;
  /** A top-level function declaration, or inside one: callable before the module body runs. */
  earlyCallable: boolean;
}

interface FoundBlock extends BlockSite {
  unit: CodeUnit;
  order: number;
}

interface FoundCompare extends CompareSite {
  unit: CodeUnit;
}

function isCodeUnit(node: T.Node): boolean {
  return t.isProgram(node) || t.isFunction(node) || t.isStaticBlock(node) ||
    ((t.isClassProperty(node) || t.isClassPrivateProperty(node) || t.isClassAccessorProperty(node)) && node.value != null);
}

/** An asm.js module: V8 validates its body against the asm.js grammar, which has no place for a counter. */
function isAsmJsModule(node: T.Node): boolean {
  return t.isFunction(node) && t.isBlockStatement(node.body) &&
    node.body.directives.some((directive) => directive.value.value === "use asm");
}

/**
 * Subtrees that get no counters: type-only constructs, which never run; the body of
 * a `with` statement, where every identifier, a counter's too, is first looked up on the
 * `with` object (a Proxy there would see the lookup; the `with` object is evaluated
 * outside the body and is still instrumented); and `"use asm"` functions with everything
 * in them, since any counter makes V8 reject the module and run it as plain, slower
 * JavaScript with a warning on stderr.
 */
function isSkippedSubtree(cursor: NodeCursor): boolean {
  const node = cursor.node;
  return t.isTSDeclareFunction(node) || t.isTSDeclareMethod(node) ||
    t.isTSInterfaceDeclaration(node) || t.isTSTypeAliasDeclaration(node) ||
    ("declare" in node && node.declare === true) ||
    (cursor.key === "body" && cursor.parent !== undefined && t.isWithStatement(cursor.parent.node)) ||
    isAsmJsModule(node);
}

/** A function declaration directly in the program (or its export): hoisted and callable early. */
function isTopLevelFunctionDeclaration(cursor: NodeCursor): boolean {
  if (!t.isFunctionDeclaration(cursor.node)) return false;
  const parent = cursor.parent;
  if (parent && t.isProgram(parent.node)) return true;
  return Boolean(parent && t.isExportDeclaration(parent.node) && parent.parent && t.isProgram(parent.parent.node));
}

/**
 * The block sites of `program`, in walk order; `exits` learns each node's abrupt exits on
 * the way. With `compares`, also the comparison sites (in walk order, = source order).
 */
function collectBlocks(program: T.Program, exits: AbruptExits,
  compares?: { found: FoundCompare[]; isLocalName: (name: string) => boolean }): FoundBlock[] {
  const found: FoundBlock[] = [];
  const units: CodeUnit[] = [];
  const enterUnit = (cursor: NodeCursor): void => {
    const parent = units[units.length - 1];
    const name = unitName(cursor);
    let key = name;
    if (parent) {
      const seen = parent.siblingNames.get(name) ?? 0;
      parent.siblingNames.set(name, seen + 1);
      key = `${parent.key}/${name}${seen > 0 ? `#${seen}` : ""}`;
    }
    const earlyCallable = Boolean(parent?.earlyCallable) || isTopLevelFunctionDeclaration(cursor);
    units.push({ name, key, siblingNames: new Map(), earlyCallable });
  };

  const sites: BlockSite[] = []; // one node's sites, reused: most nodes have none
  walk(program, {
    enter(cursor) {
      if (isSkippedSubtree(cursor)) {
        exits.accountForUnwalked(cursor.node);
        return false;
      }
      exits.enter(cursor.node);
      if (isCodeUnit(cursor.node)) enterUnit(cursor);
      const rule = blockRules[cursor.node.type] as ((c: NodeCursor, f: BlockSite[]) => void) | undefined;
      if (rule) {
        rule(cursor, sites);
        const unit = units[units.length - 1];
        for (const { kind, range, placement } of sites) found.push({ kind, range, placement, unit, order: found.length });
        sites.length = 0;
      }
      if (compares) {
        const site = compareSiteAt(cursor, compares.isLocalName);
        if (site) compares.found.push({ ...site, unit: units[units.length - 1] });
      }
      return true;
    },
    exit(cursor) {
      exits.exit(cursor.node);
      if (isCodeUnit(cursor.node)) units.pop();
    },
  });
  return found;
}

/** Sites grouped by their code unit, each group in the order given; units in order of their first site. */
function groupByUnit<S extends { unit: CodeUnit }>(sites: readonly S[]): Map<CodeUnit, S[]> {
  const groups = new Map<CodeUnit, S[]>();
  for (const site of sites) {
    const group = groups.get(site.unit);
    if (group) group.push(site);
    else groups.set(site.unit, [site]);
  }
  return groups;
}

/** The slot of each site: its unit's run (in the order of `groups`, as given to layoutFile) in `region`, then its place in the run. */
function slotsInRuns<S>(groups: Map<CodeUnit, S[]>, region: RegionLayout): Map<S, number> {
  const slots = new Map<S, number>();
  [...groups.values()].forEach((sites, run) => sites.forEach((site, i) => slots.set(site, region.runOffsets[run] + i)));
  return slots;
}

/** Source order of block starts; for equal starts the outer (longer) block first. */
function compareBlocks(a: FoundBlock, b: FoundBlock): number {
  const { start: sa, end: ea } = a.range;
  const { start: sb, end: eb } = b.range;
  return sa.line - sb.line || sa.column - sb.column || eb.line - ea.line || eb.column - ea.column || a.order - b.order;
}

/** Finds an earlier instrumentation of this program by our marker variable (its exact form, not any name with the prefix). */
export function isAlreadyInstrumented(program: T.Program): boolean {
  return program.body.some((statement) =>
    t.isVariableDeclaration(statement) &&
    statement.declarations.some((d) => t.isIdentifier(d.id) && COUNTERS_NAME.test(d.id.name)));
}

/**
 * Functions that an ES module with imports can have called before its body runs: through
 * a cyclic import, a module's hoisted top-level function declarations are callable early.
 */
function needsLazyRegistration(program: NodePath<T.Program>): boolean {
  const node = program.node;
  if (node.sourceType !== "module") return false;
  return node.body.some((s) => t.isImportDeclaration(s) ||
    ((t.isExportAllDeclaration(s) || t.isExportNamedDeclaration(s)) && s.source != null));
}

/**
 * A Jest test file: a top-level `jest.mock(...)` call, which babel-plugin-jest-hoist moves
 * above the imports with its factory and the variables that uses. That code runs when the
 * first import is required, before the prelude, so every counter of such a module reads
 * through the hoisted registration, as early-callable functions do.
 */
function hoistsCodeAboveImports(program: T.Program): boolean {
  return program.body.some((s) => t.isExpressionStatement(s) && t.isCallExpression(s.expression) &&
    t.isMemberExpression(s.expression.callee) && t.isIdentifier(s.expression.callee.property, { name: "mock" }));
}

export function instrumentProgram(request: InstrumentRequest): KcovFileMetadata {
  const { program, relativePath, counterMode } = request;
  const exits = new AbruptExits();
  const compareSites = request.traceCmp
    ? { found: [] as FoundCompare[], isLocalName: rereadableNames(program.node, program.scope as unknown as ProgramScope) }
    : undefined;
  const found = collectBlocks(program.node, exits, compareSites).sort(compareBlocks);
  const foundCompares = compareSites?.found ?? [];

  // PC layout: blocks grouped into runs by code unit, each run placed in the file's
  // region; comparison sites likewise, in a region of their own, so that they never move a block.
  const runs = groupByUnit(found);
  const compareRuns = groupByUnit(foundCompares);
  const runList = (groups: Map<CodeUnit, unknown[]>) => [...groups].map(([unit, sites]) => ({ key: unit.key, blockCount: sites.length }));
  const layout = layoutFile(relativePath, runList(runs), request, runList(compareRuns));
  if (!layout) {
    const [count, what] = found.length >= foundCompares.length ? [found.length, "blocks"] : [foundCompares.length, "comparison sites"];
    throw program.buildCodeFrameError(
      `babel-plugin-kcov: ${relativePath} has ${count} ${what}, more than one file can hold ` +
      `(${MAX_REGION_SIZE - REGION_SLACK}); split the file or exclude it with instrumentationFilter`);
  }
  const { regionSize } = layout;
  const regionPc = formatPc(layout.regionPc);
  const slotOfBlock = slotsInRuns(runs, layout);
  const slotOfCompare = layout.compares ? slotsInRuns(compareRuns, layout.compares) : new Map<FoundCompare, number>();

  // Counters: one per block in block order, except blocks that other blocks' counters
  // report (counter-sharing.ts). A block reported by either of two counters gets a
  // virtual counter index past the real ones, resolved through the table's `either` pairs.
  const sharedWith = request.pruneCounters ? findSharedCounters(found.map((block) => block.placement), exits) : new Map<number, number[]>();
  const ownCounter: number[] = [];
  let counterCount = 0;
  found.forEach((_, index) => ownCounter.push(sharedWith.has(index) ? -1 : counterCount++));
  const eitherPairs: number[] = [];
  const counterOf = found.map((_, index) => {
    const owners = sharedWith.get(index);
    if (owners === undefined) return ownCounter[index];
    if (owners.length === 1) return ownCounter[owners[0]];
    eitherPairs.push(ownCounter[owners[0]], ownCounter[owners[1]]);
    return counterCount + eitherPairs.length / 2 - 1;
  });

  const originals = request.mapRanges(found.map((block) => block.range));
  const blocks: BlockEntry[] = found.map((block, index) => {
    const original = originals[index];
    const slotOffset = slotOfBlock.get(block)!;
    return {
      index,
      kind: block.kind,
      pc: pcAt(layout, slotOffset),
      slotOffset,
      counter: counterOf[index],
      functionName: block.unit.name,
      source: original.source,
      range: original.range,
    };
  });

  const fingerprint = createHash("sha256")
    .update([request.configurationKey, relativePath, request.code].join("\0"))
    .digest("hex").slice(0, 16);
  const countersName = `${COUNTERS_PREFIX}${fingerprint.slice(0, 8)}`;
  const lazyRegistration = needsLazyRegistration(program);
  const emitterOptions: EmitterOptions = {
    countersName,
    counterMode,
    lazyRegisterName: lazyRegistration ? `${countersName}$register` : undefined,
  };
  const everyUnitEarly = lazyRegistration && hoistsCodeAboveImports(program.node);
  const runsEarly = (unit: CodeUnit): boolean => everyUnitEarly || unit.earlyCallable;
  const eager = createCounterEmitter({ ...emitterOptions, lazyRegisterName: undefined });
  const lazy = createCounterEmitter(emitterOptions);
  const counted: CounterSite[] = [];
  found.forEach((block, index) => {
    if (!sharedWith.has(index)) {
      counted.push({ placement: block.placement, counter: ownCounter[index], emitter: runsEarly(block.unit) ? lazy : eager });
    }
  });
  const { usesSpreadHelpers } = emitCounters(counted);
  keepScriptCompletionValue(program.node, countersName, exits);

  const compareOriginals = request.mapRanges(foundCompares.map((site) => site.range));
  const compares: CompareEntry[] = foundCompares.map((site, index) => {
    const slotOffset = slotOfCompare.get(site)!;
    return {
      index, kind: site.label, pc: pcAt(layout.compares!, slotOffset), slotOffset,
      functionName: site.unit.name, source: compareOriginals[index].source, range: compareOriginals[index].range,
    };
  });
  const compareNames: CompareNames = {
    hooks: `${countersName}$cmp`, hooksInit: `${countersName}$cmpInit`, cases: `${countersName}$cases`, casesInit: `${countersName}$casesInit`,
  };
  const caseTable: T.Expression[][] = [];
  if (compares.length > 0) {
    const eagerHooks = createCompareEmitter(compareNames, false, caseTable);
    const lazyHooks = emitterOptions.lazyRegisterName ? createCompareEmitter(compareNames, true, caseTable) : eagerHooks;
    foundCompares.forEach((site, index) => {
      emitCompareSite(site, compares[index].pc, runsEarly(site.unit) ? lazyHooks : eagerHooks);
    });
  }

  const global = globalObjectSource((name) => program.scope.hasOwnBinding(name));
  const prelude = preludeStatements({
    path: relativePath,
    fingerprint,
    regionPc,
    regionSize,
    ...(layout.compares ? { compareRegionPc: formatPc(layout.compares.regionPc), compareRegionSize: layout.compares.regionSize } : {}),
    blockCount: blocks.length,
    counterCount,
    counterMode,
    table: stringifyJson(toRuntimeTable(blocks, eitherPairs, compares)),
    global,
  }, emitterOptions);
  if (compares.length > 0) {
    prelude.push(...compareHooksPrelude(compareNames, caseTable, global));
  }
  if (usesSpreadHelpers) prelude.push(...spreadPrelude(countersName, global));
  program.unshiftContainer("body", prelude);

  const metadata: KcovFileMetadata = {
    version: tableVersionFor(compares), path: relativePath, fingerprint, regionPc, regionSize, counterMode, counterCount, eitherPairs, blocks,
  };
  if (layout.compares) {
    metadata.compareRegionPc = formatPc(layout.compares.regionPc);
    metadata.compareRegionSize = layout.compares.regionSize;
  }
  if (request.traceCmp) metadata.compares = compares;
  return metadata;
}
