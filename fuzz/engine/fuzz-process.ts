// The executor of the built-in engine: the child process `jskcov fuzz` starts with
// `jskcov run`'s preload (so the target and what it loads are instrumented), running the
// engine and the target in one thread. argv[2] is the path of its ExecutorConfig (JSON).

import * as fs from "node:fs";
import { readDictionary } from "./dictionary";
import { BuiltinFuzzer, type ExecutorConfig } from "./fuzz-loop";
import { CorpusReadError } from "./input-files";
import { DictionaryTokens, type TokenSource } from "./token-source";
import { CompareFeedback } from "./compare-feedback";
import { publishEndStatus } from "./current-input";
import { startStackReporter } from "./hang-stack";
import { readRunConfig } from "../../cli/run-config";
import { installJazzerCoreFallback } from "../jazzer-compat";
import { describeLoadFailure, loadFuzzTarget } from "../target";
import { ArtifactWriteError } from "../findings";
import { keepStderrFromTarget } from "./status-lines";

/** The token sources of a session: the extension point for mutation tokens (token-source.ts). */
function tokenSourcesFor(config: ExecutorConfig): TokenSource[] {
  const sources: TokenSource[] = [];
  if (config.flags.dict !== "") sources.push(new DictionaryTokens(readDictionary(config.flags.dict)));
  // Comparison feedback when the target was built with traceCmp (jskcov fuzz, unless --no-cmp).
  if (readRunConfig()?.traceCmp === true) sources.push(new CompareFeedback(config.skipSeeds));
  return sources;
}

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as ExecutorConfig;

async function main(): Promise<void> {
  // Ctrl-C reaches the whole process group: the supervisor decides what happens.
  process.on("SIGINT", () => {});
  // Before the target loads: a target that hangs while loading has a stack to report too.
  startStackReporter();
  keepStderrFromTarget();
  installJazzerCoreFallback();
  let target;
  try {
    target = await loadFuzzTarget(config.target);
  } catch (error) {
    process.stderr.write(`jskcov fuzz: ${describeLoadFailure(config.target, error)}\n`);
    process.exit(1);
  }
  const status = await new BuiltinFuzzer(config, target, tokenSourcesFor(config)).run();
  process.exit(status);
}

// The engine's own failures (a corpus file it cannot read, an artifact it cannot write)
// end the executor with their message: the engine's unhandledRejection handler, there for
// the target's escaped rejections, would otherwise swallow them and the session end with
// status 1 and no word. The end status tells the supervisor the exit is not the target's.
main().catch((error: unknown) => {
  const why = error instanceof CorpusReadError || error instanceof ArtifactWriteError ? error.message : `the engine failed (not a finding of the target): ${(error as Error)?.stack ?? String(error)}`;
  process.stderr.write(`jskcov fuzz: ${why}\n`);
  publishEndStatus(config.currentInputFile, 1);
  process.exit(1);
});
