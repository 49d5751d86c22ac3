// Human-readable names for the code units that own blocks (program, functions, class
// field initializers, static blocks). Names feed symbolize output and, through the
// function key, the placement of PCs inside a file's region.
import type { types as T } from "@babel/core";
import { bigIntName } from "./babel-compat";
import { t } from "./babel-types";
import { findAncestor, type NodeCursor } from "./node-walk";

export const TOP_LEVEL_NAME = "(top level)";
const ANONYMOUS = "<anonymous>";

/** Name of a property key as JavaScript would print it in a function name. */
export function propertyKeyName(key: T.Node, computed: boolean): string | undefined {
  if (t.isPrivateName(key)) return `#${key.id.name}`;
  if (computed) {
    return t.isStringLiteral(key) || t.isNumericLiteral(key) ? String(key.value) : undefined;
  }
  if (t.isIdentifier(key)) return key.name;
  if (t.isStringLiteral(key) || t.isNumericLiteral(key)) return String(key.value);
  if (t.isBigIntLiteral(key)) return bigIntName(key.value);
  return undefined;
}

/** The name a binding or assignment target gives to an anonymous function assigned to it. */
function targetName(target: T.Node | null | undefined): string | undefined {
  if (!target) return undefined;
  if (t.isIdentifier(target)) return target.name;
  if (t.isMemberExpression(target) && !target.computed) {
    const object = targetName(target.object) ?? (t.isThisExpression(target.object) ? "this" : undefined);
    const property = propertyKeyName(target.property, false);
    return object && property ? `${object}.${property}` : property;
  }
  return undefined;
}

/** Name inferred from where an anonymous function or class expression stands. */
function contextualName(cursor: NodeCursor): string | undefined {
  const parent = cursor.parent?.node;
  if (t.isVariableDeclarator(parent) && parent.init === cursor.node) return targetName(parent.id);
  if (t.isAssignmentExpression(parent) && parent.right === cursor.node) return targetName(parent.left);
  if (t.isAssignmentPattern(parent) && parent.right === cursor.node) return targetName(parent.left);
  if ((t.isObjectProperty(parent) || t.isClassProperty(parent) || t.isClassAccessorProperty(parent)) &&
      parent.value === cursor.node) {
    return propertyKeyName(parent.key, parent.computed);
  }
  if (t.isClassPrivateProperty(parent) && parent.value === cursor.node) return propertyKeyName(parent.key, false);
  if (t.isExportDefaultDeclaration(parent)) return "default";
  return undefined;
}

function enclosingClassName(cursor: NodeCursor): string {
  const classCursor = findAncestor(cursor, (node) => t.isClass(node));
  return classCursor ? (classCursor.node as T.Class).id?.name ?? contextualName(classCursor) ?? ANONYMOUS : ANONYMOUS;
}

/**
 * Name of a code unit: the program, a function of any form, a class field initializer
 * (`cursor` is the property) or a static block.
 */
export function unitName(cursor: NodeCursor): string {
  const node = cursor.node;
  if (t.isProgram(node)) return TOP_LEVEL_NAME;
  if (t.isStaticBlock(node)) return `${enclosingClassName(cursor)}.<static>`;
  if (t.isClassMethod(node) || t.isClassPrivateMethod(node) || t.isClassProperty(node) ||
      t.isClassPrivateProperty(node) || t.isClassAccessorProperty(node)) {
    const key = propertyKeyName(node.key, "computed" in node ? Boolean(node.computed) : false) ?? "[computed]";
    const accessor = "kind" in node && (node.kind === "get" || node.kind === "set") ? `${node.kind} ` : "";
    return `${enclosingClassName(cursor)}.${accessor}${key}`;
  }
  if (t.isObjectMethod(node)) {
    const key = propertyKeyName(node.key, node.computed) ?? "[computed]";
    return node.kind === "get" || node.kind === "set" ? `${node.kind} ${key}` : key;
  }
  if ((t.isFunctionDeclaration(node) || t.isFunctionExpression(node)) && node.id) return node.id.name;
  return contextualName(cursor) ?? ANONYMOUS;
}
