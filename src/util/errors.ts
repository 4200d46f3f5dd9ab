/**
 * Errors a user can cause (bad flags, bad files, bad shapes) are GradpathErrors:
 * the CLI prints their message as one line and exits non-zero, without a stack trace.
 * Anything else is a bug and keeps its stack.
 */
export class GradpathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradpathError';
  }
}

/** Throws a GradpathError with `message` unless `cond` holds. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new GradpathError(typeof message === 'function' ? message() : message);
}
