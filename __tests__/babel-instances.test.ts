// One process, two Babels (a tool, or a test comparing Babel 7 with Babel 8): each file's
// prelude must be built by the Babel transforming it, never from a template another Babel
// parsed, whose nodes belong to that Babel. The second "Babel" here is Babel 7 with its
// template wrapped, so the test can see which template built the prelude.
import * as path from "node:path";
import * as babel from "@babel/core";
import kcovPlugin from "../plugin";
import { REPO_ROOT } from "./helpers/instrument";

const SOURCE = "exports.f = function (x) { switch (x) { case 1: return 'one'; } return x === 'PK' ? 1 : 0; };";

function transformWith(plugin: babel.PluginItem): string {
  const result = babel.transformSync(SOURCE, {
    filename: path.join(REPO_ROOT, "two-babels.js"), cwd: REPO_ROOT, babelrc: false, configFile: false,
    plugins: [[plugin, { traceCmp: true }]],
  });
  return result!.code!;
}

test("a second Babel in the same process builds the registration and comparison hooks with its own template", () => {
  const first = transformWith(kcovPlugin);
  const statements = jest.fn((...args: Parameters<typeof babel.template.statements>) => babel.template.statements(...args));
  const otherTemplate = Object.assign((...args: Parameters<typeof babel.template>) => babel.template(...args), babel.template, { statements });
  const otherBabel = (api: object, options: object, dirname: string) =>
    (kcovPlugin as unknown as (api: object, options: object, dirname: string) => babel.PluginObj)(
      { ...api, types: babel.types, template: otherTemplate }, options, dirname);
  const second = transformWith(otherBabel);
  expect(second).toBe(first);
  const sources = statements.mock.calls.map(([source]) => String(source));
  expect(sources.some((source) => source.includes("babel-plugin-kcov.registry"))).toBe(true);
  expect(sources.some((source) => source.includes("babel-plugin-kcov.compare"))).toBe(true);
  // And then from its cache: the same Babel parses each source once.
  statements.mockClear();
  expect(transformWith(otherBabel)).toBe(first);
  expect(statements).not.toHaveBeenCalled();
});
