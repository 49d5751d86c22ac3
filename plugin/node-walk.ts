// A plain walk over the AST. Block discovery only reads the tree, so it does not need
// Babel's NodePath machinery (paths, scopes, caches), which costs more than the parse.
import type { types as T } from "@babel/core";
import { t } from "./babel-types";
/** A node with the chain of its ancestors. */
export interface NodeCursor<N extends T.Node = T.Node> {
  node: N;
  parent: NodeCursor | undefined;
  /** Field of the parent that holds the node (for lists, the list's field). */
  key: string;
}

export interface WalkVisitor {
  /** Return false to skip the node's children (and its exit). */
  enter(cursor: NodeCursor): boolean;
  exit(cursor: NodeCursor): void;
}

/** Fields that hold TypeScript or Flow types only: no code runs there (Babel 7 and Babel 8 names). */
const TYPE_ONLY_KEYS = new Set(["typeAnnotation", "returnType", "typeParameters", "superTypeParameters",
  "superTypeArguments", "typeArguments", "implements", "predicate"]);

/** Nodes without code-bearing children, most of them identifiers and literals: not walked. */
function isLeaf(node: T.Node): boolean {
  switch (node.type) {
    case "Identifier": return !node.decorators; // TS parameter decorators are code
    case "StringLiteral": case "NumericLiteral": case "BooleanLiteral": case "NullLiteral":
    case "RegExpLiteral": case "BigIntLiteral": case "ThisExpression": case "Super":
    case "TemplateElement": case "PrivateName": case "EmptyStatement": case "DebuggerStatement":
    case "Directive": case "DirectiveLiteral":
      return true;
    default:
      return false;
  }
}

/**
 * Per node type, the visitor keys that can hold code: computed once, read for every node.
 * One table per Babel (its VISITOR_KEYS object), since Babel 7 and 8 name some fields differently.
 */
const codeKeysByBabel = new WeakMap<object, Map<string, readonly string[]>>();
function codeKeysTable(): (type: string) => readonly string[] {
  const visitorKeys = t.VISITOR_KEYS;
  let codeKeysByType = codeKeysByBabel.get(visitorKeys);
  if (codeKeysByType === undefined) {
    codeKeysByType = new Map();
    codeKeysByBabel.set(visitorKeys, codeKeysByType);
  }
  const table = codeKeysByType;
  return (type) => {
    let keys = table.get(type);
    if (keys === undefined) {
      keys = (visitorKeys[type] ?? []).filter((key) => !TYPE_ONLY_KEYS.has(key));
      table.set(type, keys);
    }
    return keys;
  };
}

/** Depth-first, children in Babel's visitor-key order (source order). Leaves are skipped. */
export function walk(root: T.Node, visitor: WalkVisitor): void {
  // Indexed loops rather than for-of: the walk often runs before the JIT has optimized
  // it, where an array iterator is a call per element.
  const codeKeys = codeKeysTable();
  const visit = (cursor: NodeCursor): void => {
    if (!visitor.enter(cursor)) return;
    const node = cursor.node as unknown as Record<string, T.Node | T.Node[] | null | undefined>;
    const keys = codeKeys(cursor.node.type);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      const child = node[key];
      if (Array.isArray(child)) {
        for (let i = 0; i < child.length; i++) {
          const item = child[i];
          if (item && !isLeaf(item)) visit({ node: item, parent: cursor, key });
        }
      } else if (child && !isLeaf(child)) {
        visit({ node: child, parent: cursor, key });
      }
    }
    visitor.exit(cursor);
  };
  visit({ node: root, parent: undefined, key: "" });
}

/** The nearest ancestor (not the node itself) that satisfies `test`. */
export function findAncestor(cursor: NodeCursor, test: (node: T.Node) => boolean): NodeCursor | undefined {
  for (let current = cursor.parent; current; current = current.parent) {
    if (test(current.node)) return current;
  }
  return undefined;
}
