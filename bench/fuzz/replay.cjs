// Runs a fuzz target once on every file of the given corpus directories, ignoring what it
// throws: run under `jskcov run --filter <the library>`, it measures how many of the
// library's blocks a corpus reaches, the same way for every fuzzer's corpus. Hang inputs
// (timeout-*, afl-fuzz's hangs/ is not passed) would stop the replay and are left out, as
// are afl-fuzz's README.txt files.
//   node replay.cjs TARGET DIR...
const fs = require("node:fs");
const path = require("node:path");

async function main() {
  const [target, ...dirs] = process.argv.slice(2);
  const { fuzz } = require(path.resolve(target));
  let inputs = 0;
  for (const dir of dirs) {
    for (const name of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (!fs.statSync(file).isFile() || name.startsWith("timeout-") || name === "README.txt") continue;
      inputs++;
      try {
        await fuzz(fs.readFileSync(file));
      } catch {
        // A finding; coverage is what is measured here.
      }
    }
  }
  process.stdout.write(`${inputs}\n`);
}

main();
