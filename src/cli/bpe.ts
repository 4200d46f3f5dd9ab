import { readFileSync } from 'node:fs';
import { defineCommand } from './args.js';
import { GradpathError } from '../util/errors.js';
import { readTextFile } from '../data/text.js';
import { checkPath } from './paths.js';
import { gpt2Tokenizer } from '../chapters/gpt2/gpt2_tokenizer.js';
import { loadBPE, saveBPE, trainBPE, trainedTokenizer } from '../chapters/gpt2/bpe_train.js';
import { GPT2_SPLIT_PATTERN, type Tokenizer } from '../chapters/gpt2/bpe.js';
import { saveHFTokenizer } from '../chapters/gpt2/hf_tokenizer.js';

/** `gradpath bpe`: train a byte-level BPE, and encode/decode with it or with GPT-2's. */

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

function readInput(path: string | undefined): string {
  if (path === undefined) return readStdin();
  return readTextFile(path);
}

export function tokenizerFor(encoding: string): Tokenizer {
  return encoding === 'gpt2' ? gpt2Tokenizer() : loadBPE(encoding);
}

const train = defineCommand({
  name: 'train',
  summary: 'Train a byte-level BPE tokenizer on a text file',
  usage: 'gradpath bpe train -i FILE --vocab-size N -o FILE|DIR [--format gradpath|hf] [--pattern gpt4|gpt2|none|REGEX] [--special TOKEN,...]',
  options: {
    input: { type: 'string', short: 'i', path: 'file', help: 'Training text (or give it as the argument)', placeholder: 'FILE' },
    'vocab-size': { type: 'int', min: 256, default: 512, help: 'Vocabulary size: 256 bytes + merges + special tokens' },
    out: { type: 'string', short: 'o', aliases: ['out-dir', 'output'], help: 'Where to write the tokenizer: a JSON file (gradpath) or a folder (hf)', placeholder: 'FILE|DIR' },
    format: { type: 'choice', choices: ['gradpath', 'hf'], default: 'gradpath', help: 'gradpath: one JSON file; hf: a folder with GPT-2\'s vocab.json + merges.txt (Hugging Face and others read it)' },
    pattern: { type: 'string', default: 'gpt4', help: 'Pre-split: gpt4, gpt2, none, or a regex' },
    special: { type: 'string', help: 'Comma-separated special tokens, e.g. <|endoftext|>', placeholder: 'TOKENS' },
    verbose: { type: 'boolean', help: 'Print every merge' },
  },
  run(opts) {
    if (!opts.input) throw new GradpathError('gradpath bpe train: -i FILE is required');
    if (!opts.out) throw new GradpathError('gradpath bpe train: -o FILE (or a folder with --format hf) is required');
    checkPath('gradpath bpe train', '--out', opts.format === 'hf' ? 'out-dir' : 'out-file', opts.out);
    const text = readInput(opts.input);
    const specials = opts.special ? opts.special.split(',').filter(Boolean) : [];
    const t0 = performance.now();
    const trained = trainBPE(text, opts.vocabSize, {
      pattern: opts.pattern,
      specialTokens: specials,
      onMerge: (i, pair, count) => {
        if (opts.verbose) console.error(`merge ${i + 1}: (${pair[0]}, ${pair[1]}) -> ${256 + i}  (${count} occurrences)`);
      },
    });
    if (opts.format === 'hf') {
      saveHFTokenizer(opts.out, trainedTokenizer(trained));
      if (trained.pattern !== GPT2_SPLIT_PATTERN) console.error(`note: vocab.json + merges.txt do not record the pre-split; other tools will split with GPT-2's pattern, gradpath reads ours from tokenizer_config.json (train with --pattern gpt2 for the same ids everywhere)`);
    } else saveBPE(opts.out, trained);
    const tok = loadBPE(opts.out);
    const ids = tok.encode(text);
    const bytes = Buffer.byteLength(text, 'utf8');
    console.log(`${trained.merges.length} merges in ${((performance.now() - t0) / 1000).toFixed(1)} s; vocabulary ${tok.vocabSize}; ` +
      `${bytes} bytes -> ${ids.length} tokens (${(bytes / Math.max(1, ids.length)).toFixed(2)} bytes/token); wrote ${opts.out}`);
  },
});

const encoding = { type: 'string' as const, default: 'gpt2', help: 'gpt2, a tokenizer file from `gradpath bpe train`, or a folder with vocab.json + merges.txt', placeholder: 'gpt2|FILE|DIR' };

const encode = defineCommand({
  name: 'encode',
  summary: 'Read text on stdin (or -i), print its token ids as one JSON array',
  options: {
    encoding,
    input: { type: 'string', short: 'i', path: 'file', help: 'Read this file instead of stdin', placeholder: 'FILE' },
    'no-special': { type: 'boolean', help: 'Encode <|endoftext|> as plain text, not as its special id' },
  },
  run(opts) {
    const tok = tokenizerFor(opts.encoding);
    console.log(JSON.stringify(tok.encode(readInput(opts.input), opts.noSpecial ? 'none' : 'all')));
  },
});

const decode = defineCommand({
  name: 'decode',
  summary: 'Read a JSON array of token ids on stdin (or -i), print the text',
  options: {
    encoding,
    input: { type: 'string', short: 'i', path: 'file', help: 'Read this file instead of stdin', placeholder: 'FILE' },
  },
  run(opts) {
    const raw = readInput(opts.input);
    let ids: unknown;
    try {
      ids = JSON.parse(raw);
    } catch {
      throw new GradpathError('gradpath bpe decode: input is not JSON; expected an array of token ids like [15496, 995]');
    }
    if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x))) {
      throw new GradpathError('gradpath bpe decode: expected a JSON array of integer token ids');
    }
    process.stdout.write(tokenizerFor(opts.encoding).decode(ids as number[]));
  },
});

export const command = defineCommand({
  name: 'bpe',
  summary: 'Byte-pair encoding: train a tokenizer, encode and decode (GPT-2\'s or your own)',
  usage: 'gradpath bpe <train|encode|decode> [options]',
  description: `Examples:
  gradpath bpe train -i tinyshakespeare.txt --vocab-size 512 -o shakespeare.bpe.json
  echo "Hello world" | gradpath bpe encode                 # GPT-2 ids: [15496,995,198]
  echo "[15496,995]" | gradpath bpe decode
  echo "Hello world" | gradpath bpe encode --encoding shakespeare.bpe.json`,
  options: {},
  subcommands: [train, encode, decode],
});
