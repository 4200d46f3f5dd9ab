import type { Backend } from '../backends/backend.js';
import { referenceBackend } from '../backends/reference/index.js';

/**
 * The active backend. Every op asks for it at call time, so switching backends (e.g. to the
 * reference one for a test) changes every op at once.
 */
let active: Backend = referenceBackend;

export function getBackend(): Backend {
  return active;
}

export function setBackend(backend: Backend): void {
  active = backend;
}

/** Runs fn with `backend` active, then restores the previous one. */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const prev = active;
  active = backend;
  try {
    return fn();
  } finally {
    active = prev;
  }
}
