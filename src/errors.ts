/**
 * One error base for all of rr. `code` is a stable machine-readable tag,
 * `hint` is the one line that tells the user what to do about it. The CLI
 * prints `rr: ` + the cause chain joined by `: `, then the hint.
 */
export class RrError extends Error {
  readonly code: string;
  readonly hint?: string;
  constructor(message: string, opts: { code?: string; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code ?? "ERR";
    this.hint = opts.hint;
  }
}

/** Something the user asked for does not exist (image, container, file). */
export class NotFoundError extends RrError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { code: "NOT_FOUND", ...opts });
  }
}

/** The user's input is malformed or contradicts itself. */
export class UsageError extends RrError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { code: "USAGE", ...opts });
  }
}

/** A name or resource is taken (container name, port, …). */
export class ConflictError extends RrError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { code: "CONFLICT", ...opts });
  }
}

/** Content did not match the digest that names it. */
export class DigestMismatchError extends RrError {
  constructor(readonly expected: string, readonly actual: string, what: string) {
    super(`${what}: digest mismatch: expected ${expected}, got ${actual}`, { code: "DIGEST_MISMATCH" });
  }
}

/** A system call failed; `step` is set when it happened inside a setup plan. */
export class SyscallError extends RrError {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly path?: string,
    readonly step?: { index: number; total: number },
    opts: { hint?: string } = {},
  ) {
    const where = path === undefined ? "" : ` "${path}"`;
    const at = step ? ` (step ${step.index + 1} of ${step.total})` : "";
    super(`${syscall}${where}: ${strerror(errno)}${at}`, { code: "SYSCALL", hint: opts.hint });
  }
}

/** The text libc would print for an errno, for the common ones. */
export function strerror(errno: number): string {
  return ERRNO_TEXT[errno] ?? `errno ${errno}`;
}

const ERRNO_TEXT: Record<number, string> = {
  1: "Operation not permitted", 2: "No such file or directory", 3: "No such process",
  4: "Interrupted system call", 5: "Input/output error", 7: "Argument list too long",
  8: "Exec format error", 9: "Bad file descriptor", 11: "Resource temporarily unavailable",
  12: "Cannot allocate memory", 13: "Permission denied", 14: "Bad address",
  16: "Device or resource busy", 17: "File exists", 18: "Invalid cross-device link",
  19: "No such device", 20: "Not a directory", 21: "Is a directory", 22: "Invalid argument",
  24: "Too many open files", 26: "Text file busy", 28: "No space left on device",
  30: "Read-only file system", 36: "File name too long", 38: "Function not implemented",
  39: "Directory not empty", 40: "Too many levels of symbolic links", 95: "Operation not supported",
  98: "Address already in use", 110: "Connection timed out", 111: "Connection refused",
};

/** Docker's exit codes for run/create/start/exec. */
export const EXIT_RR_FAILED = 125;
export const EXIT_CANNOT_INVOKE = 126;
export const EXIT_NOT_FOUND = 127;

/** Joins an error's cause chain the way the CLI prints it. */
export function describeError(err: unknown): { message: string; hint?: string } {
  const parts: string[] = [];
  let hint: string | undefined;
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    if (cur instanceof Error) {
      if (cur.message) parts.push(cur.message);
      if (!hint && cur instanceof RrError && cur.hint) hint = cur.hint;
      cur = (cur as { cause?: unknown }).cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return { message: parts.join(": "), hint };
}

/** A child already reported the failure on stderr; exit with its status quietly. */
export class SilentExit extends RrError {
  constructor(readonly exitCode: number) {
    super(`exit status ${exitCode}`, { code: "SILENT" });
  }
}

/**
 * A registry answered with an error status (or not at all: `status` is
 * undefined for connection failures). The message is one line:
 * `GET /v2/x/manifests/y: 404 manifest unknown`.
 */
export class RegistryError extends RrError {
  constructor(
    readonly status: number | undefined,
    readonly method: string,
    readonly url: string,
    detail: string,
    opts: { hint?: string; cause?: unknown; code?: string } = {},
  ) {
    super(`${method} ${registryPath(url)}: ${status === undefined ? "" : `${status} `}${detail}`.trimEnd(), {
      code: opts.code ?? "REGISTRY", hint: opts.hint, cause: opts.cause,
    });
  }
}

/** The path and query of a URL (the host is already in the message's prefix). */
function registryPath(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname.startsWith("/v2/") ? u.pathname + u.search : `${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}
