import { totalmem } from 'node:os';
import { GPT } from '../../models/gpt.js';
import type { TensorParallel } from '../../dist/tensor-parallel.js';
import { Tensor } from '../../engine/tensor.js';
import { Generator, defaultGenerator } from '../../util/random.js';
import { crossEntropy } from '../../engine/ops/nn.js';
import { randn } from '../../engine/ops/create.js';
import { residentFloats } from '../../engine/resident.js';
import { getBackend } from '../../engine/device.js';
import { GradpathError } from '../../util/errors.js';
import { GPT2_VOCAB_SIZE } from './gpt2_tokenizer.js';

/**
 * GPT-2 on top of the shared GPT (src/models/gpt.ts), which already has GPT-2's layout, its
 * names, tanh GELU, tied embeddings and the residual-scaled init (c_proj std 0.02/sqrt(2L)).
 * What this adds: the four OpenAI sizes, and vocabulary padding: the embedding table gets
 * paddedVocabSize rows (50304 = 64 * 786, friendlier to matmul kernels, as llm.c and nanoGPT
 * do), while logits and the loss only ever see the first vocabSize (50257) entries.
 */
export interface GPT2Config {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** Context length (GPT-2: 1024). */
  blockSize: number;
  /** Real vocabulary (GPT-2: 50257). */
  vocabSize: number;
  /** Rows of the embedding table, >= vocabSize (default vocabSize: no padding). */
  paddedVocabSize?: number;
}

export const GPT2_PRESETS: Record<string, GPT2Config> = {
  gpt2: { nLayer: 12, nHead: 12, nEmbd: 768, blockSize: 1024, vocabSize: GPT2_VOCAB_SIZE }, // 124M
  'gpt2-medium': { nLayer: 24, nHead: 16, nEmbd: 1024, blockSize: 1024, vocabSize: GPT2_VOCAB_SIZE }, // 350M
  'gpt2-large': { nLayer: 36, nHead: 20, nEmbd: 1280, blockSize: 1024, vocabSize: GPT2_VOCAB_SIZE }, // 774M
  'gpt2-xl': { nLayer: 48, nHead: 25, nEmbd: 1600, blockSize: 1024, vocabSize: GPT2_VOCAB_SIZE }, // 1558M
};

/** The next multiple of 64 (50257 -> 50304). */
export const padVocab = (v: number): number => Math.ceil(v / 64) * 64;

export class GPT2 extends GPT {
  readonly gpt2: Required<GPT2Config>;

  /**
   * opts.parallel: split over a tensor-parallel group (each rank cuts its part of this same
   * initialisation); opts.layers: only these blocks, a pipeline stage (models/gpt.ts).
   */
  constructor(config: GPT2Config, gen: Generator = defaultGenerator, opts: { parallel?: TensorParallel | null; layers?: [number, number] } = {}) {
    const padded = config.paddedVocabSize ?? config.vocabSize;
    if (padded < config.vocabSize) throw new GradpathError(`gpt2: padded vocabulary ${padded} is smaller than the vocabulary ${config.vocabSize}`);
    super({ vocabSize: padded, blockSize: config.blockSize, nLayer: config.nLayer, nHead: config.nHead, nEmbd: config.nEmbd, bias: true, tieWeights: true, dropout: 0 }, gen, opts);
    this.gpt2 = { ...config, paddedVocabSize: padded };
    // padding rows are never looked up as inputs and are cut from the logits: keep them zero
    // (the tied weight: wte's, or the last pipeline stage's copy as the head; a tp rank holds rows from rows.start)
    const tied = (this.wte ?? this.lm_head)?.weight;
    const firstRow = this.vocabRows?.start ?? 0;
    (tied?.data as Float32Array | undefined)?.fill(0, Math.max(0, config.vocabSize - firstRow) * config.nEmbd);
  }

  /** The loss is over the real vocabulary; a tensor-parallel model's padding columns are left out of it. */
  protected override lossVocab(): number {
    return this.gpt2.vocabSize;
  }

  /** idx (B, T) -> logits (B, T, vocabSize), padding removed; with targets, the mean cross-entropy. */
  override forward(idx: Tensor, targets?: Tensor): { logits: Tensor; loss: Tensor | null } {
    const { vocabSize } = this.gpt2;
    const ids = idx.intValues();
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocabSize) throw new GradpathError(`gpt2: token id ${ids[i]} is outside the vocabulary of ${vocabSize}`);
    }
    return super.forward(idx, targets);
  }

  /** The head's logits without the padding columns (B, T, vocabSize), and the loss over those. */
  protected override head(x: Tensor, targets?: Tensor | null): { logits: Tensor; loss: Tensor | null } {
    // tensor parallel: logits are this rank's columns (padding included), the loss vocab-parallel
    if (this.parallel) return super.head(x, targets);
    const { vocabSize, paddedVocabSize } = this.gpt2;
    let { logits } = super.head(x);
    if (paddedVocabSize !== vocabSize) logits = logits.narrow(-1, 0, vocabSize); // (B, T, V)
    const loss = targets ? crossEntropy(logits, targets, { ignoreIndex: -1 }) : null;
    return { logits, loss };
  }
}

/** Configuration from a preset name with optional overrides (a tiny model for tests: nLayer 2, ...). */
export function gpt2Config(preset: string | undefined, overrides: Partial<GPT2Config> = {}): GPT2Config {
  const base = preset ? GPT2_PRESETS[preset] : GPT2_PRESETS.gpt2;
  if (!base) throw new GradpathError(`gpt2: unknown model '${preset}'; choose one of ${Object.keys(GPT2_PRESETS).join(', ')}`);
  const c = { ...base, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) } as GPT2Config;
  if (c.nEmbd % c.nHead !== 0) throw new GradpathError(`gpt2: n_embd ${c.nEmbd} is not divisible by n_head ${c.nHead}`);
  return c;
}

/** Parameter count of a configuration, without building it (tied head counted once). */
export function countParams(c: GPT2Config): number {
  const C = c.nEmbd, Vp = c.paddedVocabSize ?? c.vocabSize;
  const perLayer = 2 * C /* ln_1 */ + 3 * C * C + 3 * C /* c_attn */ + C * C + C /* attn c_proj */ + 2 * C /* ln_2 */ + 4 * C * C + 4 * C /* c_fc */ + 4 * C * C + C; /* mlp c_proj */
  return Vp * C + c.blockSize * C + c.nLayer * perLayer + 2 * C;
}

/**
 * Training FLOPs per token (PaLM appendix B, as nanoGPT's estimate_mfu): 6 per parameter
 * (2 forward, 4 backward) plus attention's q.k and att.v, 12 * L * C * T.
 */
export function flopsPerToken(c: GPT2Config, T: number): number {
  const N = countParams(c) - c.blockSize * c.nEmbd; // position embeddings do no multiplies
  return 6 * N + 12 * c.nLayer * c.nEmbd * T;
}

export interface MemoryEstimate { params: number; grads: number; optimizer: number; activations: number; runtime: number; total: number }

/**
 * Bytes a training step needs, estimated before allocating anything: float32 parameters,
 * their gradients, AdamW's two moments, and the activations autograd keeps for backward
 * (per layer and token about 24 C floats for layer norms, q/k/v, MLP and residuals, plus 4
 * (nh x T) attention maps; the logits about 4 times over: logits, log-softmax, their gradients).
 */
export function estimateTrainingMemory(c: GPT2Config, B: number, T: number): MemoryEstimate {
  const P = countParams(c) * 4;
  const tokens = B * T, Vp = c.paddedVocabSize ?? c.vocabSize;
  const perToken = c.nLayer * (24 * c.nEmbd + 4 * c.nHead * T) + 4 * Vp + 4 * c.nEmbd;
  // x1.25 for gradients alive during backward and temporaries. Calibrated with a step's storage
  // pooled in wasm memory: 124M at B=4 peaks at 2.6-2.8 GB RSS with T=64 (estimate 2.85 GB)
  // and 4.3 GB with T=256 (estimate 5.2 GB)
  const activations = tokens * perToken * 4 * 1.25;
  const est = { params: P, grads: P, optimizer: 2 * P, activations, runtime: 256 * 2 ** 20 /* Node, tokenizer, a shard */, total: 0 };
  est.total = est.params + est.grads + est.optimizer + est.activations + est.runtime;
  return est;
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

export function describeMemory(e: MemoryEstimate): string {
  return `${gib(e.total)} (parameters ${gib(e.params)}, gradients ${gib(e.grads)}, AdamW state ${gib(e.optimizer)}, activations ${gib(e.activations)})`;
}

/** Refuses a configuration whose estimate does not fit in this machine's memory (os.totalmem()). */
export function checkMemory(c: GPT2Config, B: number, T: number, available = totalmem()): MemoryEstimate {
  const e = estimateTrainingMemory(c, B, T);
  if (e.total > 0.9 * available) {
    throw new GradpathError(`gpt2 train: this configuration needs about ${describeMemory(e)}, more than the ${gib(available)} of memory here; use a smaller model, --batch-size or --seq-len`);
  }
  return e;
}

/**
 * This machine's float32 matmul peak in GFLOP/s, for the utilisation figure: 1024^3 (the first
 * row of `gradpath bench matmul`), median of `repeats` runs after a warm-up, on operands in the
 * kernels' memory as a training step's are (~0.1 s).
 */
export function measureMatmulGflops(n = 1024, repeats = 3): number {
  const operand = () => {
    const x = residentFloats(n * n);
    x.set(randn([n, n]).data as Float32Array);
    return x;
  };
  // the backend directly, into one output: a fresh one would add its page faults to the time
  const a = operand(), b = operand(), out = residentFloats(n * n), backend = getBackend();
  const run = () => backend.matmul(a, b, out, 1, n, n, n, false, false, 0, 0);
  run(); // warm up (JIT, kernels)
  const rates: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    rates.push((2 * n * n * n) / ((performance.now() - t0) * 1e6));
  }
  return rates.sort((x, y) => x - y)[repeats >> 1];
}
