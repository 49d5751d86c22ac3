/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", {}],
  },
  setupFiles: ["<rootDir>/__tests__/helpers/colourless-env.ts"],
  testTimeout: 60000,
};
