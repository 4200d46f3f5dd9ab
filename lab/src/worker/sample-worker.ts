/**
 * The GPT-2 page's sampler: fetches a checkpoint that `gradpath gpt2 train` wrote (through
 * `gradpath lab RUN_DIR`'s /api/runs), builds the model with the chapter's code, and samples
 * with the CLI's own `sample` and tokenizer, off the page's thread (a big model takes seconds).
 */
import '../shims/process.js';
import ranksUrl from '../../../dist/src/chapters/gpt2/gpt2_ranks.json?url';
import { startBackend } from './backend.js';
import { decodeCheckpoint } from '../../../src/io/checkpoint.js';
import { gpt2FromCheckpoint } from '../../../src/chapters/gpt2/weights.js';
import { sample } from '../../../src/chapters/gpt2/sample.js';
import { parseTiktokenRanks, EOT, EOT_TEXT } from '../../../src/chapters/gpt2/gpt2_tokenizer.js';
import { GPT2_SPLIT_PATTERN, tokenizerFromRanks, type Tokenizer } from '../../../src/chapters/gpt2/bpe.js';
import { Generator } from '../../../src/util/random.js';
import type { GPT2 } from '../../../src/chapters/gpt2/model.js';

/** `url`: a checkpoint the server offers; `bytes`: one opened from the disk (then `url` only names it). */
export interface SampleRequest { url: string; bytes?: Uint8Array; prompt: string; maxNewTokens: number; topK: number; temperature: number; seed: number; numSamples: number }
export type SampleReply =
  | { type: 'loaded'; backend: string; params: number; config: Record<string, unknown>; step: number }
  | { type: 'sample'; index: number; text: string }
  | { type: 'done' }
  | { type: 'error'; message: string };

const post = (m: SampleReply) => self.postMessage(m);
let tokenizer: Promise<Tokenizer> | null = null;
let loaded: { url: string; model: GPT2 } | null = null;

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function loadTokenizer(): Promise<Tokenizer> {
  const res = await fetch(ranksUrl);
  if (!res.ok) throw new Error(`cannot fetch the GPT-2 merges (${ranksUrl}): HTTP ${res.status}`);
  const ranks = parseTiktokenRanks(((await res.json()) as { bpe_ranks: string }).bpe_ranks);
  return tokenizerFromRanks(ranks, GPT2_SPLIT_PATTERN, { [EOT_TEXT]: EOT });
}

async function run(r: SampleRequest): Promise<void> {
  const backend = await startBackend(0);
  const tok = await (tokenizer ??= loadTokenizer());
  if (r.bytes || loaded?.url !== r.url) {
    const ckpt = decodeCheckpoint(r.bytes ?? await fetchBytes(r.url), r.url, { kind: 'gpt2' });
    const { model, config } = gpt2FromCheckpoint(ckpt, r.url);
    loaded = { url: r.url, model };
    const params = model.parameters().reduce((n, p) => n + p.numel(), 0);
    post({ type: 'loaded', backend: backend.description, params, config: { ...config }, step: ckpt.step });
  }
  // the CLI's loop: one generator, seeded once, for all the samples
  const gen = new Generator(r.seed);
  for (let i = 0; i < r.numSamples; i++) {
    post({ type: 'sample', index: i, text: sample(loaded.model, { prompt: r.prompt || undefined, maxNewTokens: r.maxNewTokens, topK: r.topK, temperature: r.temperature, generator: gen }, tok) });
  }
  post({ type: 'done' });
}

self.onmessage = (e: MessageEvent<SampleRequest>) => void run(e.data).catch((err: Error) => post({ type: 'error', message: err.message }));
