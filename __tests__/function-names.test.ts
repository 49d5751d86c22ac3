// Differential test of the names functions and classes take from where they stand
// (NamedEvaluation). Every position the plugin counts in, and a few it does not, is
// combined with every kind of anonymous function or class, including classes whose own
// static members define `name`; the original and the instrumented value must have the
// same `name` (its type and value) and the same own property descriptors.
import { transform, instrument, loadCommonJs } from "./helpers/instrument";

/** `V` is replaced by the value; each position leaves the value in `x`. */
const POSITIONS: Record<string, string> = {
  "var destructuring default": "var { x = V } = {};",
  "array destructuring default": "var [x = V] = [];",
  "parameter default": "var x = (function (p = V) { return p; })();",
  "assignment destructuring default": "var x; ({ x = V } = {});",
  "??=": "var x = null; x ??= V;",
  "||=": "var x = 0; x ||= V;",
  "&&=": "var x = 1; x &&= V;",
  "plain assignment": "var x; x = V;",
  "instance field": "var x = new (class { x = V; })().x;",
  "static field": "var x = (class { static x = V; }).x;",
  "computed literal field": 'var x = (class { static ["x"] = V; }).x;',
  "private field": "var x = (class { static #x = V; static get() { return this.#x; } }).get();",
  "object property": "var x = ({ x: V }).x;",
  "conditional arm": "var x = k ? V : 0;",
  "logical right operand": "var x = 0 || (V);",
  "arrow body": "var x = (() => V)();",
  "in an else-if test": "var x; if (!k) {} else if ((x = V)) {}",
};

const VALUES: Record<string, string> = {
  "arrow": "() => {}",
  "function": "function () {}",
  "named function": "function f() {}",
  "async function": "async function () {}",
  "generator": "function* () {}",
  "class": "class {}",
  "named class": "class C { static name() {} }",
  "class with heritage and static name()": "class extends Object { static name() {} }",
  "class with static name()": "class { static name() {} }",
  "class with static async name()": "class { static async name() {} }",
  "class with static 'name'()": "class { static 'name'() {} }",
  "class with static [\"name\"]()": 'class { static ["name"]() {} }',
  "class with static [k]() (k is \"name\")": "class { static [k]() {} }",
  "class with static [other]() and static name()": "class { static [other]() {} static name() {} }",
  "class with a computed field first": "class { static [(log.push('key'), other)] = 1; static name() {} }",
  "class with static get name": "class { static get name() { return 5; } }",
  "class with static set name": "class { static set name(v) {} }",
  "class with static get [k]": "class { static get [k]() { return 3; } }",
  "class with static name field": "class { static name = 1; }",
  "class with static [\"name\"] field": 'class { static ["name"] = 1; }',
  "class with static #name()": "class { static #name() {} }",
  "class with instance name()": "class { name() {} }",
  "class whose static field reads its name": "class { static seen = this.name; static name() {} }",
  "class whose static block redefines name": 'class { static { Object.defineProperty(this, "name", { value: 7 }); } }',
};

const PRELUDE = 'var k = "name", other = "other", log = [];\n';
const EPILOGUE = "\nmodule.exports = { x, log };";

/** What a program can observe of a function's or class's name. */
function observable(value: unknown): unknown {
  if (typeof value !== "function") return { notAFunction: typeof value };
  const descriptors = Object.getOwnPropertyNames(value).map((key) => {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    const shown = typeof descriptor.value === "function" ? `[function ${descriptor.value.name}]`
      : key === "prototype" ? typeof descriptor.value : descriptor.value;
    return [key, { ...descriptor, value: shown, get: typeof descriptor.get, set: typeof descriptor.set }];
  });
  const ownName = (value as { name?: unknown }).name;
  return { typeofName: typeof ownName, name: typeof ownName === "function" ? "[function]" : ownName, descriptors };
}

function run(code: string): unknown {
  const { x, log } = loadCommonJs(code);
  return { value: observable(x), log };
}

const cases = Object.entries(POSITIONS).flatMap(([position, template]) =>
  Object.entries(VALUES).map(([value, source]) => [position, value, template.replace("V", source)] as const));

test.each(cases)("%s, %s: same name and descriptors as the original", (_position, _value, body) => {
  const source = PRELUDE + body + EPILOGUE;
  const plain = transform(source, "names.js", { sourceType: "script" }).code;
  for (const pruneCounters of [true, false]) {
    const { code } = instrument(source, "names.js", { instrumentationFilter: "**", pruneCounters }, { sourceType: "script" });
    expect(run(code)).toEqual(run(plain));
  }
});

test("the repro from issue 12: a static name() keeps the class's name a function", () => {
  const source = "var { xCls2 = class { static name() {} } } = {};\nmodule.exports = typeof xCls2.name;";
  const { code } = instrument(source, "repro.js", { instrumentationFilter: "**" }, { sourceType: "script" });
  expect(loadCommonJs(code)).toBe("function");
});

const cjsPlugin = require.resolve("@babel/plugin-transform-modules-commonjs");

test.each([
  "class { static name() {} }",
  "(class { static name() {} })",
  "(() => {})",
  "function () {}",
  "(other ? class { static name() {} } : 0)",
  "class extends Object { static get name() { return 1; } }",
])("export default %s: same name and descriptors as the original", (value) => {
  const source = `var other = 1;\nexport default ${value};`;
  const load = (code: string) => observable(loadCommonJs(code).default);
  const plain = transform(source, "names.mjs", { sourceType: "module", plugins: [cjsPlugin] }).code;
  const { code } = instrument(source, "names.mjs", { instrumentationFilter: "**" }, { sourceType: "module", plugins: [cjsPlugin] });
  expect(load(code)).toEqual(load(plain));
});
