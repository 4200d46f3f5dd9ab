import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GradpathError } from '../util/errors.js';
import { camel } from './names.js';
import type { OptionSpecs, PathKind } from './args.js';

/**
 * Path flags are checked before a command does any work: an input must exist and be a file; an
 * output must be makeable and writable, and not a file where a folder goes (or the reverse).
 */

/** The nearest folder on the way to `path` that exists (where a new file or folder would be made). */
function nearestExisting(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Refuses, before any work, a path that cannot be what the flag needs. */
export function checkPath(cmdPath: string, flag: string, kind: PathKind, path: string): void {
  const fail = (what: string) => new GradpathError(`${cmdPath}: ${flag} ${path}: ${what}`);
  const st = existsSync(path) ? statSync(path) : undefined;
  if (kind === 'file') {
    if (!st) throw fail('does not exist');
    if (st.isDirectory()) throw fail('is a directory; give a file');
    return;
  }
  if (st && kind === 'out-dir' && !st.isDirectory()) throw fail('is a file, not a directory; give a directory (new or existing) for the output');
  if (st && kind === 'out-file' && st.isDirectory()) throw fail('is a directory; give a file name for the output');
  const base = st ? (kind === 'out-dir' ? resolve(path) : dirname(resolve(path))) : nearestExisting(path);
  if (!statSync(base).isDirectory()) throw fail(`${base} is a file, so nothing can be made inside it; choose another path`);
  try {
    accessSync(base, constants.W_OK);
  } catch {
    throw fail(`cannot write in ${base} (permission denied); choose a writable location`);
  }
}

/** Checks every path flag (`path` in its spec) of parsed options: before a command runs, not while it parses. */
export function checkPaths(cmdPath: string, specs: OptionSpecs, opts: Record<string, unknown>): void {
  for (const [name, spec] of Object.entries(specs)) {
    const value = opts[camel(name)];
    if (spec.type === 'string' && spec.path && typeof value === 'string') checkPath(cmdPath, `--${name}`, spec.path, value);
  }
}
