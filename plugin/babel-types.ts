// The Babel that is running the plugin: its @babel/types helpers (`t`) and its template.
// They come from the plugin API, never from an `import "@babel/core"`: under Babel 8 the
// AST is Babel 8's (node types, visitor keys), and the @babel/core this package would
// resolve for itself may be another major, whose helpers would misread it.
import type { ConfigAPI, types as BabelTypes, template as BabelTemplate } from "@babel/core";

/** The plugin API as Babel 7 and Babel 8 pass it: the core's exports, types and template included. */
export type BabelApi = ConfigAPI & { types: typeof BabelTypes; template: typeof BabelTemplate };

// @babel/core and @babel/types export every helper (`isIdentifier`, `VISITOR_KEYS`...)
// through a getter. The plugin calls them for every node of every file, so it uses one
// plain copy per Babel, where each is a property load instead of a getter call.
const plainCopies = new WeakMap<object, typeof BabelTypes>();

/** The helpers of the Babel that runs the current file; set by `useBabel`. */
export let t: typeof BabelTypes;
export let template: typeof BabelTemplate;

/**
 * Makes `t` and `template` those of `api`. Called for every file, not once: one process
 * may run the plugin under two Babels (tools, tests comparing Babel 7 with Babel 8).
 */
export function useBabel(api: BabelApi): void {
  let copy = plainCopies.get(api.types);
  if (copy === undefined) {
    copy = { ...api.types };
    plainCopies.set(api.types, copy);
  }
  t = copy;
  template = api.template;
}

/** A parsed `template.statements`, filled in per file: `(placeholders) => statements`. */
export type StatementsBuilder = (values: Record<string, BabelTypes.Node>) => BabelTypes.Statement[];

// Per Babel (its template function), then per source: a builder makes the nodes of the
// Babel that parsed it, so one process running two Babels must not share them.
const statementBuilders = new WeakMap<typeof BabelTemplate, Map<string, StatementsBuilder>>();

/**
 * The current Babel's template of `source` (statements, `%%name%%` placeholders, comments
 * dropped), parsed once per Babel and source: parsing it for every file was a fixed cost on each.
 */
export function statementsTemplate(source: string): StatementsBuilder {
  let builders = statementBuilders.get(template);
  if (builders === undefined) {
    builders = new Map();
    statementBuilders.set(template, builders);
  }
  let build = builders.get(source);
  if (build === undefined) {
    build = template.statements(source, { syntacticPlaceholders: true, preserveComments: false }) as unknown as StatementsBuilder;
    builders.set(source, build);
  }
  return build;
}
