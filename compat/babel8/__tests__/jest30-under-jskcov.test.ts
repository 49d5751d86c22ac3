// Jest 30 under `jskcov run` (this leg's Jest): its @jest/transform is one bundle whose
// exports are getters, and ES module tests go through _transformAndBuildScriptAsync;
// both are hooked (cli/jest-hooks.ts). The same checks as Jest 29's in cli-process-tree.
import { removeProjects, requireBuild } from "../../../__tests__/cli-helpers";
import { expectJestCoveredByWorkers } from "../../../__tests__/jest-projects";

beforeAll(requireBuild);
afterAll(removeProjects);

test("Jest 30 with 2 workers: the same results as without jskcov, and the workers' coverage", () => {
  expect(expectJestCoveredByWorkers(false)).toMatch(/^30\./);
});

test("Jest 30 ES module tests (--experimental-vm-modules) with 2 workers: the same results, and the workers' coverage", () => {
  expect(expectJestCoveredByWorkers(true)).toMatch(/^30\./);
});
