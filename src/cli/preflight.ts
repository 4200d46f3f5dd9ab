import { existsSync, rmdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkSafetensorsFile } from '../io/safetensors.js';

/**
 * --resume and --sample-only read a checkpoint the command would otherwise load only after
 * minutes of preparation (data, counts, a first log line): a corrupt one is refused first,
 * from its header, in one line. A missing one is left to the command (some start fresh).
 */
export function checkCheckpoints(runDir: string, files: readonly string[]): void {
  for (const f of files) {
    const path = join(runDir, f);
    if (existsSync(path)) checkSafetensorsFile(path);
  }
}

/**
 * Runs a command that makes the run directory `dir`; if it fails before writing anything there,
 * the folders it made are removed again, so a refused command leaves no trace. Only empty folders
 * that did not exist before are removed: nothing a run wrote is ever deleted.
 */
export async function leaveNoTrace<T>(dir: string, fn: () => Promise<T> | T): Promise<T> {
  const made: string[] = [];
  for (let p = resolve(dir); !existsSync(p) && dirname(p) !== p; p = dirname(p)) made.push(p);
  try {
    return await fn();
  } catch (err) {
    for (const p of made) {
      try {
        rmdirSync(p); // fails on a folder that is not empty: then it, and its parents, stay
      } catch {
        break;
      }
    }
    throw err;
  }
}
