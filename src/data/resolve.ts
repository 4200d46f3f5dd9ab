/**
 * Finding a dataset file. In order:
 *   1. the user's own file (`-i PATH`), taken as is;
 *   2. `$GRADPATH_DATA_DIR/<fileName>`, taken even if its checksum differs (with a warning);
 *   3. the cache directory, only if its checksum matches (a bad cached file is deleted);
 *   4. a download into the cache, checked before it is stored (skipped offline).
 * When everything fails the result is null and the caller falls back (e.g. to a bundled dataset).
 */
import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { downloadVerified, isOffline } from './download.js';
import { GradpathError } from '../util/errors.js';

export interface DatasetSpec {
  fileName: string;
  /** Lowercase hex SHA-256 of the expected file. */
  sha256: string;
  url: string;
  description: string;
}

export type DatasetSource = 'flag' | 'env' | 'cache' | 'download';

export interface ResolveOptions {
  /** The user's -i flag. */
  path?: string;
  offline?: boolean;
  log?: (msg: string) => void;
  /** Download timeout; 20 s unless given. */
  timeoutMs?: number;
}

/** The cache directory: $GRADPATH_CACHE_DIR, else $XDG_CACHE_HOME/gradpath, else ~/.cache/gradpath. */
export function cacheDir(): string {
  if (process.env.GRADPATH_CACHE_DIR) return process.env.GRADPATH_CACHE_DIR;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'gradpath');
  return join(homedir(), '.cache', 'gradpath');
}

/** Lowercase hex SHA-256 of a file, read in chunks. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function matches(actual: string, spec: DatasetSpec): boolean {
  return actual === spec.sha256.toLowerCase();
}

export async function resolveDataset(
  spec: DatasetSpec,
  opts: ResolveOptions = {},
): Promise<{ path: string; source: DatasetSource } | null> {
  const log = opts.log ?? (() => {});

  if (opts.path !== undefined) {
    if (!existsSync(opts.path)) throw new GradpathError(`input file ${opts.path} does not exist`);
    if (!statSync(opts.path).isFile()) throw new GradpathError(`input file ${opts.path} is not a regular file`);
    return { path: opts.path, source: 'flag' };
  }

  const dataDir = process.env.GRADPATH_DATA_DIR;
  if (dataDir) {
    const path = join(dataDir, spec.fileName);
    if (isFile(path)) {
      if (!matches(sha256File(path), spec)) {
        log(`warning: ${path} does not match the sha256 of ${spec.description}; using it anyway`);
      }
      return { path, source: 'env' };
    }
  }

  const cached = join(cacheDir(), spec.fileName);
  if (isFile(cached)) {
    if (matches(sha256File(cached), spec)) return { path: cached, source: 'cache' };
    log(`removing ${cached}: sha256 mismatch (corrupt or stale download)`);
    rmSync(cached, { force: true });
  }

  if (opts.offline || isOffline()) {
    log(`offline: not downloading ${spec.description} from ${spec.url}`);
    return null;
  }
  return download(spec, cached, opts.timeoutMs ?? 20_000, log);
}

/** Downloads spec.url into the cache, streamed and checked before it is stored; null (and a log line) on failure. */
async function download(
  spec: DatasetSpec,
  dest: string,
  timeoutMs: number,
  log: (msg: string) => void,
): Promise<{ path: string; source: 'download' } | null> {
  log(`downloading ${spec.description} from ${spec.url}`);
  try {
    await downloadVerified(spec.url, dest, { sha256: spec.sha256, timeoutMs });
  } catch (err) {
    log(`download of ${spec.url} failed: ${(err as Error).message}`);
    return null;
  }
  return { path: dest, source: 'download' };
}
