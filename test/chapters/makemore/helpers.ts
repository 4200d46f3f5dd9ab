import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '../../../src/util/random.js';

/** Made-up names with structure a model can learn quickly: consonant-vowel syllables. */
export function syllableNames(count: number, seed = 1): string[] {
  const gen = new Generator(seed);
  const cons = 'bdklmnr', vows = 'aeio';
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    const n = gen.randint(1, 4);
    for (let k = 0; k < n; k++) s += cons[gen.randint(0, cons.length)] + vows[gen.randint(0, vows.length)];
    out.push(s);
  }
  return out;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gp-makemore-'));
}

export function writeLines(dir: string, name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}
