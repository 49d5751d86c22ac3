// How a counter is emitted: the registration prelude and the increment at each block
// site. Knows nothing about which constructs are blocks (block-rules.ts) or about PCs.
import type { types as T } from "@babel/core";
import { statementsTemplate, t, template } from "./babel-types";
import { withoutTypeWrappers, type Placement } from "./block-rules";
import { stringifyJson } from "../runtime/own-json";

export const REGISTRY_KEY = "babel-plugin-kcov.registry";
/**
 * Every instrumented file declares a variable with this prefix and 8 hex digits first: the
 * marker. Its names start with `__cov` because babel-plugin-jest-hoist lets the
 * `jest.mock` factories it hoists use only such names (istanbul's) besides globals and
 * `mock*` ones, and refuses to compile a test file whose factory holds a counter otherwise.
 */
export const COUNTERS_PREFIX = "__cov_kcov$";
/** The name of a file's counters variable: the prefix and 8 hex digits. */
export const COUNTERS_NAME = /^__cov_kcov\$[0-9a-f]{8}$/;

export interface CounterEmitter {
  /** `C[i] = 1` ("hit") or `C[i]++` ("count"). */
  expression(counter: number): T.Expression;
  statement(counter: number): T.Statement;
  /** `NAME$spreadsAsBuiltIn()`: whether spreading an array still runs no code of the program (`spreadPrelude`). */
  spreadsAsBuiltIn(): T.Expression;
  /** `NAME$none()`: the file's empty iterable whose spread runs no code of the program (`spreadPrelude`). */
  emptyIterable(): T.Expression;
}

export interface EmitterOptions {
  countersName: string;
  counterMode: "hit" | "count";
  /**
   * Name of a hoisted function that registers the file, for ES modules whose functions
   * may run before the module body (cyclic imports): increments then read
   * `(C || (C = register()))`.
   */
  lazyRegisterName?: string;
}

export function createCounterEmitter(options: EmitterOptions): CounterEmitter {
  const counters = (): T.Expression => options.lazyRegisterName
    ? t.logicalExpression("||", t.identifier(options.countersName), t.assignmentExpression(
      "=", t.identifier(options.countersName), t.callExpression(t.identifier(options.lazyRegisterName), [])))
    : { type: "Identifier", name: options.countersName };
  // The nodes of an increment are built as literals of the shape Babel's builders give:
  // there are tens of thousands in a large file, all known valid, and the builders
  // validate every field of every node.
  const expression = (counter: number): T.Expression => {
    const slot: T.MemberExpression = {
      type: "MemberExpression", object: counters(), property: { type: "NumericLiteral", value: counter },
      computed: true, optional: null,
    };
    return options.counterMode === "hit"
      ? { type: "AssignmentExpression", operator: "=", left: slot, right: { type: "NumericLiteral", value: 1 } }
      : { type: "UpdateExpression", operator: "++", argument: slot, prefix: false };
  };
  const names = spreadNames(options.countersName);
  return {
    expression,
    statement: (counter) => ({ type: "ExpressionStatement", expression: expression(counter) }),
    spreadsAsBuiltIn: () => t.callExpression(t.identifier(names.check), []),
    emptyIterable: () => t.callExpression(t.identifier(names.none), []),
  };
}

function spreadNames(countersName: string): { state: string; check: string; none: string; init: string } {
  return { state: `${countersName}$spread`, check: `${countersName}$spreadsAsBuiltIn`, none: `${countersName}$none`, init: `${countersName}$spreadInit` };
}

/**
 * What an optional call without arguments spreads, `a?.(...(COUNTER, E))`: the only slot
 * of `a?.()` that runs just when `a` is not nullish is its argument list, and only a spread
 * adds nothing to it. Spreading `[]` calls `Array.prototype[Symbol.iterator]` and the array
 * iterator's `next` once a program has replaced either, so such a call is emitted as
 * `CHECK() ? a?.(...(COUNTER, [])) : a?.(...(COUNTER, NONE()))` (`emitCounters`): V8 turns
 * the spread of a literal `[]` into a plain call while its array iterator is untouched, and
 * `NONE()` is an object with its own iterator and `next` (defined by a literal: no setter
 * runs), whose spread calls no code of the program, but in V8's slow path. CHECK compares
 * the two with the ones the file saw at load; a program that replaced them before the file
 * loaded gets NONE every time. Without a usable `Symbol.iterator` (the program replaced
 * `Symbol`), NONE is `[]`, as before. All hoisted, for code that runs before the prelude;
 * only files with such a call get them, and they have ES2020 syntax already.
 */
export function spreadPrelude(countersName: string, global: string): T.Statement[] {
  const names = spreadNames(countersName);
  return template.statements(`
    var ${names.state};
    function ${names.check}() {
      var s = ${names.state} || (${names.state} = ${names.init}());
      return s.array[s.symbol] === s.values && s.arrayIterator.next === s.next;
    }
    function ${names.none}() {
      return (${names.state} || (${names.state} = ${names.init}())).none;
    }
    function ${names.init}() {
      var s = { array: [], symbol: "", values: null, arrayIterator: {}, next: null, none: [] };
      try {
        var g = ${global}, symbol = g.Symbol.iterator, done = { done: true, value: void 0 };
        if (typeof symbol !== "symbol") return s;
        s.none = { [symbol]: function () { return this; }, next: function () { return done; } };
        var array = g.Array.prototype, values = array[symbol];
        if (typeof values !== "function" || values !== array.values) return s;
        var arrayIterator = g.Object.getPrototypeOf([][symbol]()), next = arrayIterator.next;
        s.array = array; s.symbol = symbol; s.values = values; s.arrayIterator = arrayIterator; s.next = next;
      } catch (error) {}
      return s;
    }`, { preserveComments: false, syntacticPlaceholders: true })();
}

export interface FileRegistration {
  path: string;
  fingerprint: string;
  regionPc: string;
  regionSize: number;
  /** The comparison sites' region (traceCmp), for files that have any; absent otherwise, and then not in the record. */
  compareRegionPc?: string;
  compareRegionSize?: number;
  blockCount: number;
  counterCount: number;
  counterMode: "hit" | "count";
  table: string;
  /** Source of an expression for the global object that the file's own bindings leave alone (`globalObjectSource`). */
  global: string;
}

/**
 * Source of an expression for the global object, for the file's prelude. `globalThis`
 * unless the program declares its own at its top level; then another name for it that
 * the program leaves alone, and last a function made from source (which a realm that
 * forbids code generation refuses: the prelude then runs uncounted, see below). Never an
 * identifier the program binds, such as its own `Function`.
 */
export function globalObjectSource(isTopLevelBinding: (name: string) => boolean): string {
  if (!isTopLevelBinding("globalThis")) return "globalThis";
  const aliases = ["global", "self", "window"].filter((name) => !isTopLevelBinding(name));
  return aliases.map((name) => `typeof ${name} === "object" && ${name} !== null ? ${name} : `).join("") +
    `(function () {}).constructor("return this")()`;
}

/**
 * The registration (docs/block-table.md, "Registration"), with %%placeholders%% for the
 * file's values. ES5 so that it runs wherever the user's code runs, and reads globals
 * through the global object because the file's own top-level bindings (`var Map`...) are
 * not set yet. It calls no method a program can replace (`files.push`), and it never
 * throws but for the runtime's refusal of a clashing file (`onRegister`): when a program
 * took away what it needs (`Symbol`, the typed arrays, a usable registry) before the file
 * loaded, the counters are a plain array that no one reads, and the file runs as written.
 */
function registrationSource(counterArray: string, global: string, lazy: boolean, compareRegion: boolean): string {
  const body = `
    var registry, files, file;
    try {
      var g = ${global}, key = g.Symbol.for(${stringifyJson(REGISTRY_KEY)});
      registry = g[key] || (g[key] = { version: 2, files: [], onRegister: null });
      files = registry.files;
      for (var i = 0; i < files.length; i++) {
        var known = files[i];
        if (known.path === %%path%% && known.fingerprint === %%fingerprint%%) return known.counters;
      }
      file = { path: %%path%%, fingerprint: %%fingerprint%%, regionPc: %%regionPc%%, regionSize: %%regionSize%%, ${compareRegion ? "compareRegionPc: %%compareRegionPc%%, compareRegionSize: %%compareRegionSize%%, " : ""}blockCount: %%blockCount%%, counters: new g.${counterArray}(%%counterCount%%), table: %%table%% };
    } catch (error) {
      return [];
    }
    if (registry.onRegister) registry.onRegister(file);
    try {
      files[files.length] = file;
    } catch (error) {}
    return file.counters;`;
  return lazy
    ? `var %%countersName%% = %%registerName%%();\nfunction %%registerName%%() {${body}\n}`
    : `var %%countersName%% = function () {${body}\n}();`;
}

/** A string literal printed as its JSON text: Babel's generator would otherwise escape a long table character by character. */
function stringNode(value: string): T.StringLiteral {
  return { type: "StringLiteral", value, extra: { raw: stringifyJson(value), rawValue: value } };
}

/** Statements that go first in the program (after directives). */
export function preludeStatements(file: FileRegistration, emitter: EmitterOptions): T.Statement[] {
  const counterArray = file.counterMode === "hit" ? "Uint8Array" : "Float64Array";
  const lazy = emitter.lazyRegisterName !== undefined;
  const compareRegion = file.compareRegionPc !== undefined && file.compareRegionSize !== undefined;
  return statementsTemplate(registrationSource(counterArray, file.global, lazy, compareRegion))({
    countersName: t.identifier(emitter.countersName),
    ...(lazy ? { registerName: t.identifier(emitter.lazyRegisterName!) } : {}),
    path: stringNode(file.path),
    fingerprint: stringNode(file.fingerprint),
    regionPc: stringNode(file.regionPc),
    regionSize: t.numericLiteral(file.regionSize),
    ...(compareRegion ? { compareRegionPc: stringNode(file.compareRegionPc!), compareRegionSize: t.numericLiteral(file.compareRegionSize!) } : {}),
    blockCount: t.numericLiteral(file.blockCount),
    counterCount: t.numericLiteral(file.counterCount),
    table: stringNode(file.table),
  });
}

function statementOf(node: T.Node, key: string): T.Statement {
  return (node as unknown as Record<string, T.Statement>)[key];
}

function setSlot(node: T.Node, key: string, value: T.Node): void {
  (node as unknown as Record<string, T.Node>)[key] = value;
}

/**
 * A lone statement in a slot (`if (a) f();`), counted before it runs. A statement that
 * starts by evaluating an expression takes the counter there: `if (a) COUNTER, f();`,
 * `return COUNTER, x;`, `if (a) if ((COUNTER, b)) ...`. Others become a block:
 * `if (a) { COUNTER; break; }`. Each new block is a new scope that Babel builds and scans.
 */
function countStatement(parent: T.Node, key: string, counter: T.Expression): void {
  const statement = statementOf(parent, key);
  if (t.isExpressionStatement(statement)) {
    statement.expression = t.sequenceExpression([counter, statement.expression]);
  } else if ((t.isReturnStatement(statement) || t.isThrowStatement(statement)) && statement.argument) {
    statement.argument = t.sequenceExpression([counter, statement.argument]);
  } else if (t.isIfStatement(statement)) {
    statement.test = t.sequenceExpression([counter, statement.test]);
  } else if (t.isSwitchStatement(statement)) {
    statement.discriminant = t.sequenceExpression([counter, statement.discriminant]);
  } else {
    setSlot(parent, key, t.blockStatement([t.expressionStatement(counter), statement]));
  }
}

/**
 * Counts before the expression in `parent[key]` runs, at the operand it evaluates first:
 * `(COUNTER, a) ? b : c` rather than `(COUNTER, a ? b : c)`, `(COUNTER, a) && b`,
 * `(COUNTER, x, y)` for a sequence. The tree then gets no deeper than the original: a
 * counted arm of a long `?:` or `&&` chain does not add a level per link, which would
 * make Babel's traversal and generator overflow the stack at half the depth they handle
 * without the plugin.
 */
function countFirstOperand(parent: T.Node, key: string, counter: T.Expression): void {
  let value = (parent as unknown as Record<string, T.Expression>)[key];
  while (t.isConditionalExpression(value) || t.isLogicalExpression(value)) {
    parent = value;
    key = t.isConditionalExpression(value) ? "test" : "left";
    value = (parent as unknown as Record<string, T.Expression>)[key];
  }
  if (t.isSequenceExpression(value)) value.expressions.unshift(counter);
  else setSlot(parent, key, t.sequenceExpression([counter, value]));
}

/** `(COUNTER, { [name]: value }[name])`: keeps the name an anonymous function gets from its slot. */
function countedKeepingName(counter: T.Expression, value: T.Expression, keepName: string): T.Expression {
  const name = t.stringLiteral(keepName);
  // `{ [name]: value }[name]` names the value exactly as the slot would; a computed key
  // also avoids `__proto__` setting the prototype.
  const named = t.memberExpression(t.objectExpression([t.objectProperty(name, value, true)]), t.cloneNode(name), true);
  return t.sequenceExpression([counter, named]);
}

function isDecorated(node: T.Class): boolean {
  return Boolean(node.decorators?.length) || node.body.body.some((member) => "decorators" in member && member.decorators?.length);
}

/**
 * Counts a class expression inside itself, at the first code it evaluates, so that the
 * class stays in its slot and takes its name from there exactly as the original does:
 * the `{ [name]: class {} }[name]` wrapper is not equivalent, because V8 then names the
 * class even when a static method or accessor of its own (`static name() {}`,
 * `static get [k]()`) defines `name`. The first code is the heritage, else the first
 * computed key, else (nothing else runs before the static elements) a leading
 * `static { COUNTER; }`. Returns false when the wrapper is to be used: not a class, a
 * decorated class (its decorators run first and are another plugin's to transform), or,
 * with `needsName` false, a class without heritage, for which `(COUNTER, class {})` is
 * enough.
 */
function countInsideClass(value: T.Node, counter: T.Expression, needsName: boolean): boolean {
  if (!t.isClassExpression(value) || isDecorated(value)) return false;
  if (value.superClass) {
    value.superClass = t.sequenceExpression([counter, value.superClass]);
    return true;
  }
  if (!needsName) return false;
  const members = value.body.body;
  const firstComputed = members.find((member) => "computed" in member && member.computed);
  // TypeScript erases `declare`/`abstract` members and fields without a value, computed
  // keys included: a counter there could vanish.
  const keptByTypeScript = (member: T.Node): boolean => t.isClassMethod(member) ||
    ((t.isClassProperty(member) || t.isClassAccessorProperty(member)) && member.value != null &&
     !("declare" in member && member.declare) && !member.abstract);
  if (firstComputed && keptByTypeScript(firstComputed)) {
    const member = firstComputed as T.ClassMethod | T.ClassProperty | T.ClassAccessorProperty;
    member.key = t.sequenceExpression([counter, member.key as T.Expression]);
  } else {
    members.unshift(t.staticBlock([t.expressionStatement(counter)]));
  }
  return true;
}

/**
 * Applies all placements by mutating nodes in place (no path API: the inserted nodes must
 * not be revisited and the paths of other sites must stay valid). Statement lists are
 * rebuilt once each, so several insertions into one list do not disturb each other.
 */
export interface CounterSite {
  placement: Placement;
  counter: number;
  emitter: CounterEmitter;
}

/** Puts `replacement` where `child` is in `parent`: a field, a list, or the sequence a counter wrapped it in. */
function replaceChild(parent: T.Node, child: T.Node, replacement: T.Node): boolean {
  const fields = parent as unknown as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    const list = Array.isArray(value) ? value : t.isSequenceExpression(value as T.Node) ? (value as T.SequenceExpression).expressions : null;
    if (value === child) {
      fields[key] = replacement;
      return true;
    }
    const index = list ? list.indexOf(child) : -1;
    if (index >= 0) {
      list![index] = replacement;
      return true;
    }
  }
  return false;
}

/** Applies the placements; returns whether any used the spread helpers (`spreadPrelude`). */
export function emitCounters(sites: readonly CounterSite[]): { usesSpreadHelpers: boolean } {
  let usesSpreadHelpers = false;
  // Optional calls without arguments to branch once every other counter is in place (`spreadPrelude`).
  const branched: { call: T.OptionalCallExpression; parent: T.Node; counter: T.Expression; emitter: CounterEmitter }[] = [];
  const listStarts = new Map<T.Statement[], T.Statement[]>();
  const beforeStatement = new Map<T.Statement[], Map<T.Statement, T.Statement[]>>();
  for (const { placement, counter, emitter } of sites) {
    switch (placement.type) {
      case "list-start": {
        const first = listStarts.get(placement.list) ?? [];
        first.push(emitter.statement(counter));
        listStarts.set(placement.list, first);
        break;
      }
      case "before-statement": {
        const byStatement = beforeStatement.get(placement.list) ?? new Map<T.Statement, T.Statement[]>();
        byStatement.set(placement.statement, [...(byStatement.get(placement.statement) ?? []), emitter.statement(counter)]);
        beforeStatement.set(placement.list, byStatement);
        break;
      }
      case "wrap-statement":
        countStatement(placement.parent, placement.key, emitter.expression(counter));
        break;
      case "wrap-expression": {
        const value = (placement.parent as unknown as Record<string, T.Expression>)[placement.key];
        if (countInsideClass(withoutTypeWrappers(value), emitter.expression(counter), placement.keepName !== undefined)) break;
        if (placement.keepName === undefined) countFirstOperand(placement.parent, placement.key, emitter.expression(counter));
        else setSlot(placement.parent, placement.key, countedKeepingName(emitter.expression(counter), value, placement.keepName));
        break;
      }
      case "add-else":
        placement.statement.alternate = emitter.statement(counter);
        break;
      case "add-default":
        // First, so that no case can fall through into it; cases are still tested in order.
        placement.statement.cases.unshift(t.switchCase(null, [emitter.statement(counter), t.breakStatement()]));
        break;
      case "optional-property": {
        const { member } = placement;
        const key = member.computed ? (member.property as T.Expression)
          : t.stringLiteral((member.property as T.Identifier).name);
        member.property = t.sequenceExpression([emitter.expression(counter), key]);
        member.computed = true;
        break;
      }
      case "optional-arguments": {
        const args = placement.call.arguments;
        const first = args[0];
        usesSpreadHelpers ||= first === undefined;
        if (first === undefined && placement.chainParent) {
          branched.push({ call: placement.call, parent: placement.chainParent, counter: emitter.expression(counter), emitter });
        } else if (first === undefined) {
          args.push(t.spreadElement(t.sequenceExpression([emitter.expression(counter), emitter.emptyIterable()])));
        } else if (t.isSpreadElement(first)) {
          first.argument = t.sequenceExpression([emitter.expression(counter), first.argument]);
        } else {
          args[0] = t.sequenceExpression([emitter.expression(counter), first as T.Expression]);
        }
        break;
      }
    }
  }
  const lists = new Set([...listStarts.keys(), ...beforeStatement.keys()]);
  for (const list of lists) {
    const inserted = beforeStatement.get(list);
    const rebuilt = [...(listStarts.get(list) ?? [])];
    for (const statement of list) rebuilt.push(...(inserted?.get(statement) ?? []), statement);
    list.splice(0, list.length, ...rebuilt);
  }
  for (const { call, parent, counter, emitter } of branched) {
    const spreading = (iterable: T.Expression): T.OptionalCallExpression => {
      const copy = t.cloneNode(call, true);
      copy.arguments = [t.spreadElement(t.sequenceExpression([t.cloneNode(counter, true), iterable]))];
      return copy;
    };
    const branch = t.conditionalExpression(emitter.spreadsAsBuiltIn(), spreading(t.arrayExpression([])), spreading(emitter.emptyIterable()));
    if (!replaceChild(parent, call, branch)) {
      call.arguments.push(t.spreadElement(t.sequenceExpression([counter, emitter.emptyIterable()])));
    }
  }
  return { usesSpreadHelpers };
}
