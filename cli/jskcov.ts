#!/usr/bin/env node
// jskcov: run a Node program with kcov-style coverage, symbolize PCs, report lines.

// Each command's module is loaded only when it runs: report's istanbul libraries alone
// take a quarter of a second to load, which every `jskcov run` would pay.
/* eslint-disable @typescript-eslint/no-require-imports */

import { UsageError } from "./arguments";

const HELP = `Usage: jskcov <command> [options]

Kcov-style coverage for JavaScript and TypeScript (babel-plugin-kcov).

Commands:
  run        Run a Node program instrumented; write a kcov dump and its block map
  symbolize  Print the source range of PCs, as gVisor's 'runsc symbolize'
  report     Line coverage as lcov and HTML
  merge      One dump and block map from several (separate runs, per-process dumps)
  fuzz       Fuzz a Jazzer.js-style target, guided by the kcov coverage

'jskcov <command> --help' describes each command.

Quick start:
  jskcov run --filter 'src/**' -- src/main.js input.txt
  jskcov symbolize kcov.out
  jskcov report --lcov --html
  jskcov fuzz fuzz/parse.fuzz.js corpus/ -- -max_total_time=60
`;

/** The status to exit with; undefined when the command leaves it to the program it runs in this process. */
async function main(args: string[]): Promise<number | undefined> {
  const [command, ...rest] = args;
  switch (command) {
    case "run":
      return (require("./run-command") as typeof import("./run-command")).runCommand(rest);
    case "symbolize":
      return (require("./symbolize-command") as typeof import("./symbolize-command")).symbolizeCommand(rest);
    case "report":
      return (require("./report-command") as typeof import("./report-command")).reportCommand(rest);
    case "merge":
      return (require("./merge-command") as typeof import("./merge-command")).mergeCommand(rest);
    case "fuzz":
      return (require("./fuzz-command") as typeof import("./fuzz-command")).fuzzCommand(rest);
    case undefined:
      process.stderr.write(HELP);
      return 2;
    case "help":
    case "-h":
    case "--help":
      process.stdout.write(HELP);
      return 0;
    default:
      process.stderr.write(`jskcov: unknown command '${command}'\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    if (status !== undefined) process.exitCode = status;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`jskcov: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
