// The same source and options give the same block table (every block's kind, range,
// function, counter, slot and PC, the file's region and fingerprint) under Babel 7 and
// Babel 8: on every fixture, and on every library file the benchmark's workloads
// instrument (acorn, js-yaml and marked are the differential suite's libraries), and on
// sources/ast-changes.ts, the constructs whose AST Babel 8 changed.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { fixtureNames, readFixture } from "../../../__tests__/helpers/fixtures";
import { REPO_ROOT } from "../../../__tests__/helpers/instrument";
import { requireBuild } from "../../../__tests__/cli-helpers";

const LEG = path.resolve(__dirname, "..");

interface Job {
  label: string;
  filename: string;
  pluginOptions: Record<string, unknown>;
  presets: [string, Record<string, unknown>][];
  plugins: string[];
  sourceType: "script" | "module";
}

/** The package a resolved preset file belongs to: presets are resolved again under each Babel. */
function packageOf(file: string): string {
  const match = /node_modules[\\/](@babel[\\/][^\\/]+)[\\/]/.exec(file);
  if (!match) throw new Error(`${file} is not in a Babel package`);
  return match[1].replace("\\", "/");
}

function fixtureJobs(): Job[] {
  return fixtureNames().flatMap((name) => {
    const fixture = readFixture(name);
    const presets = fixture.presets.map((item) => {
      const [file, options] = Array.isArray(item) ? item : [item, {}];
      return [packageOf(file as string), options as Record<string, unknown>] as [string, Record<string, unknown>];
    });
    const job = { filename: fixture.filename, presets, plugins: [], sourceType: fixture.sourceType };
    return [
      { ...job, label: `fixtures/${name}`, pluginOptions: fixture.pluginOptions },
      { ...job, label: `fixtures/${name} (pruneCounters: false)`, pluginOptions: { ...fixture.pluginOptions, pruneCounters: false } },
      { ...job, label: `fixtures/${name} (counterMode: "count")`, pluginOptions: { ...fixture.pluginOptions, counterMode: "count" } },
      { ...job, label: `fixtures/${name} (traceCmp: true)`, pluginOptions: { ...fixture.pluginOptions, traceCmp: true } },
    ];
  });
}

async function workloadJobs(): Promise<Job[]> {
  const { workloads } = await import(pathToFileURL(path.join(REPO_ROOT, "bench/workloads.mjs")).href) as
    { workloads: { name: string; files: { from: string; sourceType: "script" | "module" }[] }[] };
  return workloads.flatMap((workload) => workload.files.map((file) => ({
    label: `${workload.name}: ${file.from}`,
    // Resolved in the repository's node_modules: the same input file for both Babels.
    filename: path.join(REPO_ROOT, "node_modules", file.from),
    pluginOptions: { instrumentationFilter: "**" },
    presets: [],
    plugins: [],
    sourceType: file.sourceType,
  })));
}

function blockTables(babelDir: string, jobs: Job[]): { babelVersion: string; tables: Record<string, unknown> } {
  const result = spawnSync(process.execPath, [path.join(LEG, "block-tables.mjs"), babelDir], {
    input: JSON.stringify(jobs), encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, NODE_OPTIONS: "" },
  });
  if (result.status !== 0) throw new Error(`block-tables.mjs ${babelDir} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** The constructs whose AST Babel 8 changed, in TypeScript as an ES module. */
const AST_CHANGES: Job = {
  label: "ast-changes.ts",
  filename: path.join(__dirname, "sources/ast-changes.ts"),
  pluginOptions: { traceCmp: true },
  presets: [["@babel/preset-typescript", {}]],
  plugins: [],
  sourceType: "module",
};

beforeAll(requireBuild);

test("Babel 7 and Babel 8 give the same block tables on every fixture and workload file", async () => {
  const jobs = [...fixtureJobs(), ...await workloadJobs(), AST_CHANGES];
  const babel7 = blockTables(REPO_ROOT, jobs);
  const babel8 = blockTables(LEG, jobs);
  expect(babel7.babelVersion).toMatch(/^7\./);
  expect(babel8.babelVersion).toMatch(/^8\./);
  expect(Object.keys(babel8.tables)).toEqual(jobs.map((job) => job.label));
  for (const job of jobs) {
    expect({ [job.label]: babel8.tables[job.label] }).toEqual({ [job.label]: babel7.tables[job.label] });
  }
});

test("a method keyed by a BigInt literal is named as JavaScript names it, under both Babels", () => {
  for (const babelDir of [REPO_ROOT, LEG]) {
    const table = blockTables(babelDir, [AST_CHANGES]).tables[AST_CHANGES.label] as { blocks: { functionName: string }[] };
    const names = table.blocks.map((block) => block.functionName);
    expect(names).toEqual(expect.arrayContaining(["Box.16", "Box.1000"]));
  }
});
