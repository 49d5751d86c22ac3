// Errors the runtime throws. KcovError mirrors an ioctl's errno; KcovRegistrationError is
// a build problem (two instrumented files that cannot share one realm).

/** The errno names a kcov call can fail with, as Linux spells them. */
export type KcovErrorCode = "EINVAL" | "EBUSY" | "ENOTSUP" | "EBADF";

/** Linux errno values, so a port of C fuzzer code can compare numbers. */
const ERRNO: Record<KcovErrorCode, number> = { EBADF: 9, EBUSY: 16, EINVAL: 22, ENOTSUP: 95 };

/**
 * A kcov call that the kernel would have refused. `code` and `errno` are what the ioctl
 * would have returned; the message says what was wrong and what to call instead.
 * It is not thrown for registration problems (see KcovRegistrationError).
 */
export class KcovError extends Error {
  readonly code: KcovErrorCode;
  readonly errno: number;

  constructor(code: KcovErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "KcovError";
    this.code = code;
    this.errno = ERRNO[code];
  }
}

/**
 * Two instrumented files that cannot be counted together in one realm: their PC regions
 * overlap, or the same path was loaded from two different builds. Thrown from the
 * registration an instrumented file runs when it loads (so that module fails to load),
 * or from the first runtime call if the files registered before the runtime was loaded.
 */
export class KcovRegistrationError extends Error {
  /** The file that was already registered, then the one that clashed with it. */
  readonly files: readonly [string, string];

  constructor(files: readonly [string, string], message: string) {
    super(message);
    this.name = "KcovRegistrationError";
    this.files = files;
  }
}
