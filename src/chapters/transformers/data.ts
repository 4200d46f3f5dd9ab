import { GradpathError } from '../../util/errors.js';
import { Tensor } from '../../engine/tensor.js';
import type { Generator } from '../../util/random.js';
import { resolveDataset, type DatasetSpec } from '../../data/resolve.js';
import { readTextFile } from '../../data/text.js';

/** Karpathy's tinyshakespeare: all of Shakespeare's plays concatenated, 1,115,394 characters. */
export const TINY_SHAKESPEARE: DatasetSpec = {
  fileName: 'tinyshakespeare.txt',
  sha256: '86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed',
  url: 'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt',
  description: 'tinyshakespeare (1,115,394 characters)',
};

/** Finds the text (-i, $GRADPATH_DATA_DIR, cache, download) and reads it; one clear error when that fails. */
export async function loadText(path: string | undefined, log: (m: string) => void): Promise<{ text: string; path: string }> {
  const found = await resolveDataset(TINY_SHAKESPEARE, { path, log });
  if (!found) {
    throw new GradpathError(`no input text: tinyshakespeare is not in $GRADPATH_DATA_DIR or the cache and could not be downloaded; pass -i FILE (any plain-text file)`);
  }
  return { text: readTextFile(found.path), path: found.path };
}

/**
 * A character-level view of a text, as nanoGPT's shakespeare_char prepare.py: the vocabulary is
 * the sorted set of characters, the first 90% is train and the last 10% validation.
 */
export class CharData {
  readonly chars: string[];
  private readonly index: Map<string, number>;
  readonly train: Int32Array;
  readonly val: Int32Array;

  constructor(text: string, blockSize: number) {
    const all = Array.from(text); // by code point, so a non-BMP character is one token
    if (all.length === 0) throw new GradpathError('the input text is empty');
    const n = Math.floor(0.9 * all.length);
    if (Math.min(n, all.length - n) < blockSize + 1) {
      const need = Math.ceil((blockSize + 1) / 0.1);
      throw new GradpathError(`the input text is too short: ${all.length} characters, but both splits (90% train, 10% validation) need block_size + 1 = ${blockSize + 1}, so about ${need} characters; use a longer text or a smaller --block-size`);
    }
    this.chars = [...new Set(all)].sort();
    this.index = new Map(this.chars.map((c, i) => [c, i]));
    const ids = Int32Array.from(all, (c) => this.index.get(c)!);
    this.train = ids.subarray(0, n);
    this.val = ids.subarray(n);
  }

  get vocabSize(): number {
    return this.chars.length;
  }

  /** Encodes a prompt; a character the text never had is an error (its id would not exist). */
  encode(s: string): number[] {
    return Array.from(s, (c) => {
      const i = this.index.get(c);
      if (i === undefined) throw new GradpathError(`the prompt has the character ${JSON.stringify(c)}, which is not in the training text's vocabulary`);
      return i;
    });
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.chars[ids[i]] ?? '';
    return s;
  }

  /** B random windows of T+1 characters: x (B, T) and y = x shifted by one (B, T). */
  batch(split: 'train' | 'val', B: number, T: number, gen: Generator): { x: Tensor; y: Tensor } {
    const data = split === 'train' ? this.train : this.val;
    if (data.length < T + 1) throw new GradpathError(`the ${split} split has ${data.length} characters, fewer than block_size + 1 = ${T + 1}; use a longer text or a smaller --block-size`);
    const x = new Int32Array(B * T), y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const i = gen.randint(0, data.length - T);
      x.set(data.subarray(i, i + T), b * T);
      y.set(data.subarray(i + 1, i + T + 1), b * T);
    }
    return { x: new Tensor(x, [B, T]), y: new Tensor(y, [B, T]) };
  }
}
