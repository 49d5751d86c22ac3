// The Babel 8 leg (README.md, "Supported versions"): the repository's own suites, run by
// Jest 30 on Node 24 (`npm test` in this folder), with the Babel packages they use
// resolved in this folder's node_modules instead of the repository's Babel 7.
// Jest 30 loads Babel 8's ES modules through require() only on Node >= 24.9 with
// --experimental-vm-modules; `npm run test:node22` runs the end-to-end suites again with their programs on Node 22.
const path = require("node:path");

const REPO = path.resolve(__dirname, "../..");
const BABEL_PACKAGES = ["core", "parser", "generator", "traverse", "types", "register",
  "preset-typescript", "preset-react", "preset-env", "plugin-transform-modules-commonjs"];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: REPO,
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__", "<rootDir>/compat/babel8/__tests__"],
  testMatch: [
    "**/__tests__/fixtures.test.ts",
    "**/__tests__/differential.test.ts",
    "**/__tests__/construct-conformance.test.ts",
    "**/__tests__/entry-jest.test.ts",
    "**/__tests__/cli-run.test.ts",
    "**/__tests__/cli-run-module-format.test.ts",
    "**/compat/babel8/__tests__/*.test.ts",
  ],
  transform: { "^.+\\.ts$": [require.resolve("ts-jest"), {}] },
  moduleNameMapper: {
    [`^(@babel/(?:${BABEL_PACKAGES.join("|")}))(/.*)?$`]: path.join(__dirname, "node_modules/$1$2"),
  },
  cacheDirectory: path.join(__dirname, "node_modules/.cache/jest"),
  setupFiles: ["<rootDir>/__tests__/helpers/colourless-env.ts"],
  testTimeout: 60000,
};
