// JSON's functions as they were when jskcov loaded, before the program ran. A program may
// replace JSON.parse or JSON.stringify (to read big integers, to log, to break things on
// purpose); the plugin's block tables, the transform cache's keys, the coverage dump's block
// map and the run's records must not go through its replacement, nor fail with it. They are
// captured with the runtime's other built-ins, in intrinsics.ts.

export { parseJson, stringifyJson } from "./intrinsics";
