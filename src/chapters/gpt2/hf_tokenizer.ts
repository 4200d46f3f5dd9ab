import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GradpathError } from '../../util/errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { GPT2_SPLIT_PATTERN, PairTable, Tokenizer } from './bpe.js';

/**
 * GPT-2's tokenizer files, as Hugging Face (GPT2Tokenizer, tokenizers' ByteLevel BPE) and most
 * other tools read them:
 *   - vocab.json: {token: id}, where a token's bytes are written one printable character per
 *     byte (GPT-2's byte -> character table below: a space is 'Ġ', a newline 'Ċ');
 *   - merges.txt: a '#version: 0.2' line, then one merge per line, 'left right', earliest first.
 * Special tokens (<|endoftext|>) sit in vocab.json as their text and in no merge. Neither file
 * records the pre-split regex: tools assume GPT-2's, so tokenizer_config.json keeps ours too.
 */

const PRINTABLE = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);

/**
 * byte -> character: printable Latin-1 bytes stand for themselves; the other 68 (controls,
 * space, soft hyphen...) take the characters from U+0100 on, in byte order, so that every token
 * is visible text with no whitespace (merges.txt separates the two halves with a space).
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) out.push(String.fromCharCode(PRINTABLE(b) ? b : next++));
  return out;
})();

const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

export function bytesToUnicode(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}

/** The bytes a vocab.json token stands for; undefined when it has a character outside the table. */
function unicodeToBytes(token: string): Uint8Array | undefined {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token[i]);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

export interface HFTokenizerFiles {
  vocab: Record<string, number>;
  /** 'left right' per merge, earliest first (merges.txt without its version line). */
  merges: string[];
}

/** A tokenizer as vocab.json + merges.txt contents. Two ids with the same bytes cannot be written (vocab.json is keyed by them). */
export function tokenizerToHF(tok: Tokenizer): HFTokenizerFiles {
  const vocab: Record<string, number> = {};
  const specials = new Map([...tok.specialTokens].map(([text, id]) => [id, text]));
  for (let id = 0; id < tok.vocab.length; id++) {
    const bytes = tok.vocab[id];
    if (!bytes) throw new GradpathError(`tokenizer export: id ${id} has no token (vocab.json needs ids 0..${tok.vocab.length - 1} without gaps)`);
    const key = specials.get(id) ?? bytesToUnicode(bytes);
    if (key in vocab) {
      throw new GradpathError(`tokenizer export: ids ${vocab[key]} and ${id} are the same bytes ${JSON.stringify(key)}; vocab.json cannot hold both (retrain with another --vocab-size)`);
    }
    vocab[key] = id;
  }
  const merges = tok.mergePairs().map(({ pair: [a, b] }) => `${bytesToUnicode(tok.vocab[a])} ${bytesToUnicode(tok.vocab[b])}`);
  return { vocab, merges };
}

export const MERGES_HEADER = '#version: 0.2';

/**
 * Writes vocab.json, merges.txt and tokenizer_config.json into dir. modelMaxLength: the
 * context length of the model the tokenizer goes with (Hugging Face warns beyond it).
 */
export function saveHFTokenizer(dir: string, tok: Tokenizer, opts: { modelMaxLength?: number } = {}): string[] {
  const { vocab, merges } = tokenizerToHF(tok);
  mkdirSync(dir, { recursive: true });
  // written by hand in id order (a JS object would put integer-like tokens such as "0" first)
  const entries = Object.entries(vocab).sort((a, b) => a[1] - b[1]);
  writeFileAtomic(join(dir, 'vocab.json'), '{' + entries.map(([t, id]) => `${JSON.stringify(t)}: ${id}`).join(', ') + '}\n');
  writeFileAtomic(join(dir, 'merges.txt'), [MERGES_HEADER, ...merges].join('\n') + '\n');
  const eot = tok.specialTokens.has('<|endoftext|>') ? '<|endoftext|>' : null;
  const config: Record<string, unknown> = {
    tokenizer_class: 'GPT2Tokenizer',
    add_prefix_space: false,
    model_max_length: opts.modelMaxLength ?? 1024,
    ...(eot ? { bos_token: eot, eos_token: eot, unk_token: eot } : {}),
    // not a Hugging Face field: the pre-split this vocabulary was trained with (GPT-2's unless
    // `gradpath bpe train --pattern` chose another), so reading the folder back encodes the same
    gradpath_pattern: tok.pattern,
  };
  writeFileAtomic(join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2) + '\n');
  return ['vocab.json', 'merges.txt', 'tokenizer_config.json'];
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GradpathError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** True when dir holds vocab.json and merges.txt. */
export function isHFTokenizerDir(dir: string): boolean {
  return existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'));
}

/**
 * Reads vocab.json + merges.txt (ours or GPT-2's own) into a Tokenizer. The pre-split is the
 * folder's gradpath_pattern when it has one, else GPT-2's. Tokens in no merge and longer than
 * a byte are special tokens. Our encoder ranks a merge by the id it makes, so the ids must grow
 * line by line (true of GPT-2's files and ours).
 */
export function loadHFTokenizer(dir: string): Tokenizer {
  const vocabPath = join(dir, 'vocab.json'), mergesPath = join(dir, 'merges.txt');
  const vocabJson = readJson(vocabPath);
  if (typeof vocabJson !== 'object' || vocabJson === null || Array.isArray(vocabJson)) throw new GradpathError(`${vocabPath}: expected a JSON object {token: id}`);
  let pattern: string | null = GPT2_SPLIT_PATTERN;
  const cfgPath = join(dir, 'tokenizer_config.json');
  if (existsSync(cfgPath)) {
    const cfg = readJson(cfgPath) as { gradpath_pattern?: string | null };
    if (cfg.gradpath_pattern !== undefined) pattern = cfg.gradpath_pattern;
  }
  const vocab: Uint8Array[] = [];
  const idOf = new Map<string, number>();
  const maybeSpecial = new Map<string, number>();
  for (const [token, id] of Object.entries(vocabJson as Record<string, unknown>)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new GradpathError(`${vocabPath}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}; ids are non-negative integers`);
    if (vocab[id as number]) throw new GradpathError(`${vocabPath}: id ${id} is used twice`);
    const bytes = unicodeToBytes(token);
    if (bytes === undefined || token.startsWith('<|')) maybeSpecial.set(token, id as number);
    vocab[id as number] = bytes ?? new TextEncoder().encode(token);
    idOf.set(token, id as number);
  }
  const lines = readFileSync(mergesPath, 'utf8').split('\n').filter((l, i) => l.length > 0 && !(i === 0 && l.startsWith('#version')));
  const merges = new PairTable(lines.length);
  const merged = new Set<number>();
  let last = -1;
  lines.forEach((line, i) => {
    const parts = line.split(' ');
    const [a, b, ab] = parts.length === 2 ? [idOf.get(parts[0]), idOf.get(parts[1]), idOf.get(parts[0] + parts[1])] : [];
    if (a === undefined || b === undefined || ab === undefined) {
      throw new GradpathError(`${mergesPath}: line ${i + 2} '${line}' is not two tokens of vocab.json whose join is one too`);
    }
    if (ab <= last) throw new GradpathError(`${mergesPath}: line ${i + 2} makes id ${ab} after id ${last}; gradpath needs merged ids in merge order`);
    last = ab;
    merges.set(a, b, ab);
    merged.add(ab);
  });
  const specialTokens: Record<string, number> = {};
  for (const [token, id] of maybeSpecial) if (!merged.has(id)) specialTokens[token] = id;
  for (let id = 0; id < vocab.length; id++) if (!vocab[id]) throw new GradpathError(`${vocabPath}: no token has id ${id} (ids must run 0..${vocab.length - 1})`);
  return new Tokenizer({ vocab, merges, pattern, specialTokens });
}
