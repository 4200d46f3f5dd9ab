import { readFileSync, statSync } from 'node:fs';
import { GradpathError } from '../../util/errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN, pairKey, Tokenizer, tokenizerFromMerges } from './bpe.js';
import { isHFTokenizerDir, loadHFTokenizer } from './hf_tokenizer.js';

/**
 * Training a byte-level BPE (as minbpe): split the text into pieces with the regex, start
 * from bytes, and repeat: count every adjacent pair of tokens, merge the most frequent pair
 * into a new token everywhere. The list of merges, in order, is the tokenizer.
 */
export interface TrainOptions {
  /** 'gpt2', 'gpt4', a regex source, or null for no pre-split (the whole text is one piece). */
  pattern?: string | null;
  specialTokens?: string[];
  /** Called after each merge (for progress). */
  onMerge?: (i: number, pair: [number, number], count: number) => void;
}

export function resolvePattern(p: string | null | undefined): string | null {
  if (p === undefined || p === 'gpt4') return GPT4_SPLIT_PATTERN;
  if (p === 'gpt2') return GPT2_SPLIT_PATTERN;
  if (p === null || p === 'none') return null;
  try {
    new RegExp(p, 'gu');
  } catch (err) {
    throw new GradpathError(`bpe: bad split pattern: ${(err as Error).message}`);
  }
  return p;
}

/** A distinct piece of the text, as token ids, and how many times it occurs. */
interface Word { ids: number[]; count: number }

export interface TrainedBPE {
  merges: [number, number][];
  pattern: string | null;
  specialTokens: Record<string, number>;
  /** How often each merged pair occurred when it was chosen. */
  counts: number[];
}

export function trainBPE(text: string, vocabSize: number, opts: TrainOptions = {}): TrainedBPE {
  const specials = opts.specialTokens ?? [];
  if (!Number.isInteger(vocabSize) || vocabSize < 256 + specials.length) {
    throw new GradpathError(`bpe train: vocab size must be at least ${256 + specials.length} (256 bytes${specials.length ? ' + special tokens' : ''}); got ${vocabSize}`);
  }
  const pattern = resolvePattern(opts.pattern);
  const words = countPieces(text, pattern);
  const numMerges = vocabSize - 256 - specials.length;
  const merges: [number, number][] = [];
  const counts: number[] = [];

  for (let i = 0; i < numMerges; i++) {
    // 1. count adjacent pairs over all pieces, weighted by how often each piece occurs
    const pairCounts = new Map<number, number>();
    for (const w of words) {
      for (let j = 0; j + 1 < w.ids.length; j++) {
        const k = pairKey(w.ids[j], w.ids[j + 1]);
        pairCounts.set(k, (pairCounts.get(k) ?? 0) + w.count);
      }
    }
    // 2. the most frequent pair; on a tie the one seen first in the text (Map keeps insertion order)
    let bestKey = -1, bestCount = 0;
    for (const [k, c] of pairCounts) if (c > bestCount) [bestKey, bestCount] = [k, c];
    if (bestKey < 0) break; // every piece is a single token: nothing left to merge
    const left = Math.floor(bestKey / 2 ** 21), right = bestKey % 2 ** 21;
    // 3. the pair becomes a new token, replaced left to right in every piece
    const id = 256 + i;
    for (const w of words) w.ids = mergePair(w.ids, left, right, id);
    merges.push([left, right]);
    counts.push(bestCount);
    opts.onMerge?.(i, [left, right], bestCount);
  }
  const specialTokens: Record<string, number> = {};
  specials.forEach((s, i) => (specialTokens[s] = 256 + merges.length + i));
  return { merges, pattern, specialTokens, counts };
}

/** Distinct pieces with their counts, in order of first appearance. */
function countPieces(text: string, pattern: string | null): Word[] {
  const counts = new Map<string, number>();
  const add = (piece: string) => counts.set(piece, (counts.get(piece) ?? 0) + 1);
  if (pattern === null) add(text);
  else for (const m of text.matchAll(new RegExp(pattern, 'gu'))) add(m[0]);
  const utf8 = new TextEncoder();
  return [...counts].map(([piece, count]) => ({ ids: [...utf8.encode(piece)], count }));
}

/** ids with every (left, right) occurrence, scanning left to right, replaced by id. */
export function mergePair(ids: number[], left: number, right: number, id: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < ids.length; j++) {
    if (j + 1 < ids.length && ids[j] === left && ids[j + 1] === right) {
      out.push(id);
      j++;
    } else out.push(ids[j]);
  }
  return out;
}

export function trainedTokenizer(t: TrainedBPE): Tokenizer {
  return tokenizerFromMerges(t.merges, t.pattern, t.specialTokens);
}

/** File format: JSON with the pre-split pattern, the merges in order and the special tokens. */
export function saveBPE(path: string, t: TrainedBPE): void {
  const body = { format: 'gradpath-bpe', version: 1, pattern: t.pattern, merges: t.merges, specialTokens: t.specialTokens };
  writeFileAtomic(path, JSON.stringify(body) + '\n');
}

/** A tokenizer file from `gradpath bpe train`, or a folder with vocab.json + merges.txt (GPT-2's format). */
export function loadBPE(path: string): Tokenizer {
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    if (!isHFTokenizerDir(path)) throw new GradpathError(`bpe: the folder ${path} has no vocab.json and merges.txt`);
    return loadHFTokenizer(path);
  }
  let body: { format?: string; pattern?: string | null; merges?: unknown; specialTokens?: Record<string, number> };
  try {
    body = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GradpathError(`bpe: cannot read tokenizer file ${path}: ${(err as Error).message}`);
  }
  if (body.format !== 'gradpath-bpe' || !Array.isArray(body.merges)) {
    throw new GradpathError(`bpe: ${path} is not a tokenizer written by \`gradpath bpe train\``);
  }
  return tokenizerFromMerges(body.merges as [number, number][], body.pattern ?? null, body.specialTokens ?? {});
}
