import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GradpathError } from '../../util/errors.js';
import { GPT2_SPLIT_PATTERN, Tokenizer, tokenizerFromRanks } from './bpe.js';

/**
 * OpenAI's GPT-2 tokenizer: 256 byte tokens + 50,000 merges + <|endoftext|> = 50,257 ids.
 * The merge ranks are js-tiktoken's copy of OpenAI's file, which `npm run build` puts beside this
 * module (scripts/gpt2-ranks.mjs), so nothing is downloaded and js-tiktoken (22 MB) need not be
 * installed; the encoding itself is our Tokenizer, so the ids are ours and js-tiktoken is only the oracle.
 */
export const GPT2_VOCAB_SIZE = 50257;
export const EOT = 50256;
export const EOT_TEXT = '<|endoftext|>';

let cached: Tokenizer | null = null;

/** js-tiktoken's compact format: one line per run of consecutive ranks, "<tag> <first rank> <base64 token>...". */
export function parseTiktokenRanks(text: string): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [, first, ...tokens] = line.split(' ');
    const offset = Number.parseInt(first, 10);
    tokens.forEach((b64, i) => ranks.set(atob(b64), offset + i)); // atob: one char per byte (latin1), in Node and in browsers
  }
  return ranks;
}

interface TiktokenRanks { pat_str: string; bpe_ranks: string }

/** The ranks file from the build; else js-tiktoken's own, when it is installed. */
function gpt2Ranks(): TiktokenRanks {
  const built = new URL('./gpt2_ranks.json', import.meta.url);
  if (existsSync(built)) return JSON.parse(readFileSync(built, 'utf8')) as TiktokenRanks;
  try {
    return createRequire(import.meta.url)('js-tiktoken/ranks/gpt2') as TiktokenRanks;
  } catch {
    throw new GradpathError("the GPT-2 tokenizer's merge ranks are not installed: run `npm install js-tiktoken && npm run build`");
  }
}

export function gpt2Tokenizer(): Tokenizer {
  if (cached) return cached;
  const gpt2 = gpt2Ranks();
  const ranks = parseTiktokenRanks(gpt2.bpe_ranks);
  if (ranks.size !== 50256) throw new GradpathError(`gpt2 tokenizer: expected 50256 ranks in js-tiktoken's gpt2 file; got ${ranks.size}`);
  if (gpt2.pat_str !== GPT2_SPLIT_PATTERN) throw new GradpathError('gpt2 tokenizer: js-tiktoken\'s gpt2 pre-split pattern differs from ours');
  cached = tokenizerFromRanks(ranks, GPT2_SPLIT_PATTERN, { [EOT_TEXT]: EOT });
  return cached;
}
