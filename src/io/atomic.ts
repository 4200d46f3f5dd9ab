import { mkdirSync, renameSync, writeSync, openSync, fsyncSync, closeSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file so that readers see either the old content or the new, never half of it:
 * write a temporary file beside it, flush it to disk, then rename over the target. `data` may
 * be a list of byte chunks written one after another, so a large file (a checkpoint) need
 * never be assembled in memory.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      if (Array.isArray(data)) for (const chunk of data) writeAll(fd, chunk);
      else writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** writeSync may write less than asked; 16 MiB at a time keeps any copy Node makes of shared memory small. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, Math.min(bytes.length - done, 2 ** 24));
}
