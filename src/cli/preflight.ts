import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
