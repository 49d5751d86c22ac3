// @babel/core and @babel/types export every helper (`isIdentifier`, `VISITOR_KEYS`...)
// through a getter. The plugin calls them for every node of every file, so it uses this
// one plain copy, where each is a property load instead of a getter call.
import { types } from "@babel/core";

export const t: typeof types = { ...types };
