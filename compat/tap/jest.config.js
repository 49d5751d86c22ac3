// The tap leg (README.md, "Supported versions"): the end-to-end test of a tap project
// under `jskcov run`, run by the repository's Jest on the build `npm test` made, with tap
// from this folder's node_modules (`npm ci --prefix compat/tap` first).
const path = require("node:path");

const REPO = path.resolve(__dirname, "../..");

/** @type {import('jest').Config} */
module.exports = {
  rootDir: REPO,
  testEnvironment: "node",
  roots: ["<rootDir>/compat/tap/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": [require.resolve("ts-jest", { paths: [REPO] }), {}] },
  testTimeout: 180000,
};
