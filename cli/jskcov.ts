#!/usr/bin/env node
// jskcov: run a Node program with kcov-style coverage, symbolize PCs, report lines.

import { UsageError } from "./arguments";
import { mergeCommand } from "./merge-command";
import { reportCommand } from "./report-command";
import { runCommand } from "./run-command";
import { symbolizeCommand } from "./symbolize-command";

const HELP = `Usage: jskcov <command> [options]

Kcov-style coverage for JavaScript and TypeScript (babel-plugin-kcov).

Commands:
  run        Run a Node program instrumented; write a kcov dump and its block map
  symbolize  Print the source range of PCs, as gVisor's 'runsc symbolize'
  report     Line coverage as lcov and HTML
  merge      One dump and block map from several (separate runs, per-process dumps)

'jskcov <command> --help' describes each command.

Quick start:
  jskcov run --filter 'src/**' -- src/main.js input.txt
  jskcov symbolize kcov.out
  jskcov report --lcov --html
`;

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "run":
      return runCommand(rest);
    case "symbolize":
      return symbolizeCommand(rest);
    case "report":
      return reportCommand(rest);
    case "merge":
      return mergeCommand(rest);
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
    process.exitCode = status;
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
