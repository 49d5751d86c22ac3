// fuzz/engines/native-build.ts keys its cache by every file a build reads: the translation
// units and, transitively, each header they include with quotes (native/pc-map.h, native/fd-io.h),
// so that a change to a shared header rebuilds both the harness and the addon.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sourceClosure } from "../fuzz/engines/native-build";

const NATIVE = path.join(__dirname, "..", "native");

test("the closure of a unit holds every quoted header it includes, transitively, once each; system headers are left to the compiler", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jskcov-native-build-"));
  try {
    fs.writeFileSync(path.join(dir, "a.c"), '#include <stdio.h>\n#include "b.h"\n  # include "c.h"\nint main(void) { return 0; }\n');
    fs.writeFileSync(path.join(dir, "b.h"), '#include "c.h"\n#include "d.h"\n');
    fs.writeFileSync(path.join(dir, "c.h"), "/* #include \"not-a-line-start.h\" */\n");
    fs.writeFileSync(path.join(dir, "d.h"), '#include "b.h"\n'); // a cycle
    expect(sourceClosure(dir, ["a.c"]).map((file) => path.relative(dir, file))).toEqual(["a.c", "b.h", "c.h", "d.h"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the harness's and the addon's cache keys cover the headers they share (fd-io.h, pc-map.h, afl-direct.h)", () => {
  const names = (units: string[]) => sourceClosure(NATIVE, units).map((file) => path.basename(file));
  expect(names(["harness.c", "compare-bridge.c", "libfuzzer-faults.c"])).toEqual(
    expect.arrayContaining(["harness.c", "compare-bridge.c", "libfuzzer-faults.c", "compare-bridge.h", "fd-io.h", "pc-map.h", "afl-direct.h", "libfuzzer-faults.h"]),
  );
  expect(names(["afl-direct.c"]).sort()).toEqual(["afl-direct.c", "afl-direct.h", "fd-io.h", "pc-map.h"]);
});
