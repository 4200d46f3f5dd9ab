import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { GradpathError } from '../../util/errors.js';
import { GPT2_SPLIT_PATTERN, Tokenizer, tokenizerFromRanks } from './bpe.js';

/**
 * OpenAI's GPT-2 tokenizer: 256 byte tokens + 50,000 merges + <|endoftext|> = 50,257 ids.
 * The merge ranks come from js-tiktoken's shipped copy of OpenAI's file (no download); the
 * encoding itself is our Tokenizer, so the ids are ours and js-tiktoken is only the oracle.
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
    tokens.forEach((b64, i) => ranks.set(Buffer.from(b64, 'base64').toString('latin1'), offset + i)); // latin1: one char per byte
  }
  return ranks;
}

export function gpt2Tokenizer(): Tokenizer {
  if (cached) return cached;
  const ranks = parseTiktokenRanks(gpt2Ranks.bpe_ranks);
  if (ranks.size !== 50256) throw new GradpathError(`gpt2 tokenizer: expected 50256 ranks in js-tiktoken's gpt2 file; got ${ranks.size}`);
  if (gpt2Ranks.pat_str !== GPT2_SPLIT_PATTERN) throw new GradpathError('gpt2 tokenizer: js-tiktoken\'s gpt2 pre-split pattern differs from ours');
  cached = tokenizerFromRanks(ranks, GPT2_SPLIT_PATTERN, { [EOT_TEXT]: EOT });
  return cached;
}
