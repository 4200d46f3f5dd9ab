import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';

/** GRADPATH_OFFLINE set (to anything but 0 or false): nothing is downloaded. */
export function isOffline(): boolean {
  const v = process.env.GRADPATH_OFFLINE;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export interface DownloadOptions {
  /** Lowercase hex SHA-256 the file must have. */
  sha256?: string;
  /** Where the expected SHA-256 is known only from the response (the Hugging Face hub's X-Linked-Etag). */
  sha256From?: (res: Response) => string | undefined;
  /** For the whole transfer; 20 s unless given. */
  timeoutMs?: number;
}

/**
 * Streams `url` into a temporary file beside `dest` while hashing it, checks the SHA-256, and
 * only then renames it into place: a failed, cut or corrupt download never leaves a file at
 * `dest`, and a large file is never held in memory. Throws an Error saying what went wrong.
 */
export async function downloadVerified(url: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 20_000) });
  } catch (err) {
    throw new Error(describeFetchError(err));
  }
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`.trimEnd());
  const expected = (opts.sha256 ?? opts.sha256From?.(res))?.toLowerCase();
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}`;
  const hash = createHash('sha256');
  try {
    const fd = openSync(tmp, 'w');
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const actual = hash.digest('hex');
    if (expected && /^[0-9a-f]{64}$/.test(expected) && actual !== expected) throw new Error(`sha256 is ${actual}, expected ${expected}`);
    renameSync(tmp, dest);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(describeFetchError(err));
  }
}

function describeFetchError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message ?? e.message;
}
