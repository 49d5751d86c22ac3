// import() as Node runs it, for code compiled to CommonJS: TypeScript's CommonJS output
// turns `import()` into require(), which cannot load an ES module on Node 20.

export const importModule = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;
