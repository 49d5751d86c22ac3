// For the placement tests: the first run writes, to the file named by CPUS_REPORT_FILE, the
// CPUs this executor may run on (/proc/self/status) and whether it was told that its CPU is
// its own (JSKCOV_EXECUTOR_OWN_CPU, so that it spins although bound to one CPU).
const fs = require("node:fs");

let reported = false;
module.exports.fuzz = function fuzz() {
  if (reported) return;
  reported = true;
  const cpus = /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))[1];
  fs.writeFileSync(process.env.CPUS_REPORT_FILE, JSON.stringify({ cpus, ownCpu: process.env.JSKCOV_EXECUTOR_OWN_CPU ?? null }));
};
