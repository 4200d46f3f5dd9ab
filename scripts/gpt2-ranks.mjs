// Copies GPT-2's merge ranks out of js-tiktoken into dist/src/chapters/gpt2/gpt2_ranks.json (run by
// `npm run build`). js-tiktoken is a devDependency: 22 MB with every OpenAI encoding, of which the
// GPT-2 tokenizer needs this 0.5 MB; the built package carries the file, so installing gradpath
// does not install js-tiktoken (only `gradpath bench bpe`, which times it, wants it).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, 'dist', 'src', 'chapters', 'gpt2', 'gpt2_ranks.json');
let ranks;
try {
  ranks = createRequire(import.meta.url)('js-tiktoken/ranks/gpt2');
} catch {
  if (existsSync(out)) process.exit(0); // built before: keep it
  console.error(`gpt2-ranks: js-tiktoken is not installed, so ${out} is not written; the GPT-2 tokenizer needs it: npm install js-tiktoken && npm run build`);
  process.exit(0);
}
const { explicit_n_vocab, pat_str, special_tokens, bpe_ranks } = ranks;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ source: 'js-tiktoken/ranks/gpt2 (OpenAI GPT-2 encoding)', explicit_n_vocab, pat_str, special_tokens, bpe_ranks }));
