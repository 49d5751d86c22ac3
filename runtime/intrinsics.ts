// The built-ins the runtime calls once the program under test runs, as they were when the
// runtime loaded. The runtime shares its realm with the program, and a program may replace
// or delete built-ins (a polyfill, a mock, a test of its own error paths, a target that
// patches Array.prototype.push): the registration of an instrumented file, the counter
// flushes, the kcov calls and the comparison recorders must then neither break nor call
// the replacement, which would also let the program observe the fuzzer.
//
// So those paths take every built-in they need from here. A prototype method is uncurried
// once (`fillTypedArray(array, 0)` is `array.fill(0)` with no lookup). Where a plain loop
// or a comparison does the job (Math.min, Array.prototype.push, every, some, a for-of
// loop's iterator), the runtime writes that instead: as fast, and nothing to capture.
// Left to the program: the typed arrays' own accessors (length, buffer, byteOffset), read
// by property access on the hot paths; and node:fs, which file-area.ts captures when it
// first loads it (the runtime loads no fs unless a device has a file).

/** `call.bind(method)`: `uncurry(method)(self, ...args)` is `method.call(self, ...args)`; used at load only. */
function uncurry<This, Args extends unknown[], Result>(method: (this: This, ...args: Args) => Result): (self: This, ...args: Args) => Result {
  return Function.prototype.call.bind(method) as (self: This, ...args: Args) => Result;
}

// JSON: the plugin's block tables, the coverage dump's block map and the run's records (own-json.ts re-exports them).
export const parseJson: typeof JSON.parse = JSON.parse;
export const stringifyJson: typeof JSON.stringify = JSON.stringify;

// Constructors, for `new` and `instanceof`.
export const OwnUint8Array = Uint8Array;
export const OwnUint32Array = Uint32Array;
export const OwnFloat64Array = Float64Array;
export const OwnBigUint64Array = BigUint64Array;
export const OwnSharedArrayBuffer = SharedArrayBuffer;
export const OwnMap = Map;
export const OwnWeakMap = WeakMap;

// Functions that use no `this`.
export const atomicsLoad = Atomics.load;
export const atomicsStore = Atomics.store;
export const mathFloor = Math.floor;
export const isArray = Array.isArray;
export const isView = ArrayBuffer.isView;
export const isInteger = Number.isInteger;
export const isSafeInteger = Number.isSafeInteger;
export const parseInteger = parseInt;
export const freeze = Object.freeze;
export const toBigInt = BigInt;
export const asUintN = BigInt.asUintN;
export const toNumber = Number;

// Prototype methods, uncurried.
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as Uint8Array;
export const fillTypedArray = uncurry(typedArrayPrototype.fill) as <T extends Uint8Array | Uint32Array | Float64Array>(array: T, value: number) => T;
export const copyWithinTypedArray = uncurry(typedArrayPrototype.copyWithin) as (array: BigUint64Array, target: number, start: number, end: number) => unknown;
/** `text.charCodeAt(index)`; V8 inlines it as it inlines the method. */
export const charCodeAt = uncurry(String.prototype.charCodeAt);
export const sliceString = uncurry(String.prototype.slice);
/** RegExp.prototype.exec itself: `test` would look `exec` up on the RegExp. */
export const execRegExp = uncurry(RegExp.prototype.exec);
export const mapGet = uncurry(Map.prototype.get) as <K, V>(map: Map<K, V>, key: K) => V | undefined;
export const mapSet = uncurry(Map.prototype.set) as <K, V>(map: Map<K, V>, key: K, value: V) => Map<K, V>;
export const weakMapGet = uncurry(WeakMap.prototype.get) as <K extends object, V>(map: WeakMap<K, V>, key: K) => V | undefined;
export const weakMapSet = uncurry(WeakMap.prototype.set) as <K extends object, V>(map: WeakMap<K, V>, key: K, value: V) => WeakMap<K, V>;

// Getters that read internal slots: a Proxy or a look-alike object gets undefined.
export const typedArrayTag = Object.getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag)!.get! as () => string | undefined;
export const typedArrayLength = Object.getOwnPropertyDescriptor(typedArrayPrototype, "length")!.get! as () => number;
/** `getter.call(self)`, for the getters above. */
export const callGetter = uncurry(Function.prototype.call) as (getter: () => unknown, self: unknown) => unknown;
