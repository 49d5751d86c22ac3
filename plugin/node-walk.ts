// A plain walk over the AST. Block discovery only reads the tree, so it does not need
// Babel's NodePath machinery (paths, scopes, caches), which costs more than the parse.
import { types as T } from "@babel/core";

// @babel/core exports `types` through a getter: read it once, not on every check.
const t = T;

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

/** Depth-first, children in Babel's visitor-key order (source order). */
export function walk(root: T.Node, visitor: WalkVisitor): void {
  const visit = (cursor: NodeCursor): void => {
    if (!visitor.enter(cursor)) return;
    for (const key of t.VISITOR_KEYS[cursor.node.type] ?? []) {
      const child = (cursor.node as unknown as Record<string, T.Node | T.Node[] | null | undefined>)[key];
      if (Array.isArray(child)) {
        for (const item of child) if (item) visit({ node: item, parent: cursor, key });
      } else if (child) {
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
