import { GradpathError } from '../util/errors.js';
import { Tensor } from '../engine/tensor.js';
import { Generator, defaultGenerator } from '../util/random.js';
import { arange } from '../engine/ops/create.js';
import { cat } from '../engine/ops/view.js';
import { addLayerNorm, crossEntropy, multinomial, topk } from '../engine/ops/nn.js';
import { linearGelu } from '../engine/ops/linear.js';
import { noGrad } from '../engine/autograd.js';
import { Module } from '../nn/module.js';
import { Dropout, Embedding, LayerNorm, Linear } from '../nn/layers.js';
import { SelfAttention } from '../nn/attention.js';
import type { Part, TensorParallel } from '../dist/tensor-parallel.js';
import { ColumnParallelLinear, VocabParallelEmbedding } from '../dist/tensor-parallel-layers.js';
import { TensorParallelMLP, TensorParallelSelfAttention, type WholeAttention } from '../dist/tensor-parallel-blocks.js';
import { vocabParallelCrossEntropy } from '../dist/tensor-parallel-loss.js';
import { SequenceParallelDropout, sequencePart } from '../dist/sequence-parallel.js';

/**
 * GPT, as in nanoGPT's model.py: token + position embeddings, pre-LayerNorm blocks of
 * self-attention and a 4x GELU MLP, a final LayerNorm, and a head tied to the token embedding.
 * Parameter names match Hugging Face's GPT-2 (transformer.* prefix dropped): wte, wpe,
 * h.0.ln_1, h.0.attn.c_attn, ..., ln_f. Shared by makemore's transformer, chargpt and GPT-2.
 */
export interface GPTConfig {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  dropout?: number;
  /** Biases in Linear and LayerNorm layers (GPT-2: true; nanoGPT's faster variant: false). */
  bias?: boolean;
  /** Bidirectional attention (an encoder) instead of causal. */
  bidirectional?: boolean;
  /** Tie the output head to the token embedding (GPT-2 does). */
  tieWeights?: boolean;
  /**
   * Position information: 'learned' adds a wpe table (GPT-2); 'rope' has no table and leaves
   * positions to the attention modules (rotary embeddings), which then must come from a factory.
   */
  pos?: 'learned' | 'rope';
  /**
   * Initialisation: 'gpt2' (nanoGPT's N(0, 0.02), residual projections scaled down) or 'pytorch'
   * (each layer's own default: embeddings N(0, 1), Linear U(±1/sqrt(fan_in)), as makemore leaves them).
   */
  init?: 'gpt2' | 'pytorch';
}

/**
 * What an attention module sees besides x: the absolute position of x's first token (for RoPE
 * and for the causal mask over cached keys) and, when decoding incrementally, this layer's cache
 * (a bag of tensors whose layout each attention design chooses: K and V for MHA, c_KV for MLA).
 */
export interface AttentionContext {
  pos: number;
  cache?: Record<string, Tensor>;
}

/** An attention layer a Block can hold; SelfAttention (no cache, learned positions) is the default. */
export type AttentionLayer = Module & { forward(x: Tensor, ctx?: AttentionContext): Tensor };
export type AttentionFactory<A extends AttentionLayer = AttentionLayer> = (config: GPTConfig, gen: Generator, layer: number) => A;

/**
 * Per-layer state of incremental decoding: `pos` tokens have been processed, and layer i keeps
 * whatever its attention put in `layers[i]`. bytes() measures what is really held.
 */
export class KVCache {
  pos = 0;
  layers: Record<string, Tensor>[];
  constructor(readonly nLayer: number) {
    this.layers = Array.from({ length: nLayer }, () => ({}));
  }
  reset(): void {
    this.pos = 0;
    this.layers = Array.from({ length: this.nLayer }, () => ({}));
  }
  /** Bytes of every tensor held (float32: 4 per element). */
  bytes(): number {
    let n = 0;
    for (const l of this.layers) for (const t of Object.values(l)) n += t.numel() * t.storage.BYTES_PER_ELEMENT;
    return n;
  }
}

export function validateGPTConfig(c: GPTConfig): void {
  for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new GradpathError(`gpt: ${k} must be a positive integer; got ${c[k]}`);
  }
  if (c.nEmbd % c.nHead !== 0) throw new GradpathError(`gpt: n_embd ${c.nEmbd} is not divisible by n_head ${c.nHead}`);
  if (c.pos !== undefined && c.pos !== 'learned' && c.pos !== 'rope') throw new GradpathError(`gpt: pos must be learned or rope; got ${c.pos}`);
  if (c.init !== undefined && c.init !== 'gpt2' && c.init !== 'pytorch') throw new GradpathError(`gpt: init must be gpt2 or pytorch; got ${c.init}`);
}

/** Normal(0, std) initialisation, as nanoGPT's _init_weights. */
function normal_(t: Tensor, std: number, gen: Generator): void {
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = gen.normal() * std;
}

export class MLP extends Module {
  c_fc: Linear;
  c_proj: Linear;
  dropout: Dropout;
  constructor(nEmbd: number, opts: { bias?: boolean; dropout?: number; generator?: Generator } = {}) {
    super();
    this.c_fc = new Linear(nEmbd, 4 * nEmbd, opts);
    this.c_proj = new Linear(4 * nEmbd, nEmbd, opts);
    this.dropout = new Dropout(opts.dropout ?? 0, opts.generator);
  }
  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(linearGelu(x, this.c_fc.weight, this.c_fc.bias))); // (B, T, C)
  }
}

/** A is the attention module's type: nn.SelfAttention unless a factory builds another. */
export class Block<A extends AttentionLayer = SelfAttention> extends Module {
  ln_1: LayerNorm;
  attn: A;
  ln_2: LayerNorm;
  mlp: MLP | TensorParallelMLP;
  /** attention: builds this block's attention (MQA, GQA, MLA, RoPE...); default nn.SelfAttention. */
  constructor(c: GPTConfig, gen: Generator, attention?: AttentionFactory<A>, layer = 0) {
    super();
    const opts = { bias: c.bias ?? true, dropout: c.dropout ?? 0, generator: gen };
    this.ln_1 = new LayerNorm(c.nEmbd, { bias: opts.bias });
    // without a factory A is SelfAttention (the type parameter's default)
    this.attn = attention ? attention(c, gen, layer) : (new SelfAttention(c.nEmbd, c.nHead, { ...opts, causal: !c.bidirectional }) as unknown as A);
    this.ln_2 = new LayerNorm(c.nEmbd, { bias: opts.bias });
    this.mlp = new MLP(c.nEmbd, opts);
  }
  forward(x: Tensor, ctx?: AttentionContext): Tensor {
    // x + attn, and ln_2 of it, in one pass where the backend fuses them
    const { sum, out } = addLayerNorm(x, this.attn.forward(this.ln_1.forward(x), ctx), this.ln_2.weight, this.ln_2.bias, this.ln_2.eps); // (B, T, C)
    return sum.add(this.mlp.forward(out));
  }
}

/**
 * With opts.layers = [start, end), the model is one pipeline stage (src/dist/pipeline.ts): it keeps
 * only blocks h.start .. h.end-1 (under their global names: `h` is then a sparse array), the
 * embeddings only when start is 0 and ln_f and the head only when end is n_layer; the fields of
 * the parts it does not hold are left unset. A stage runs forwardStage, not forward.
 */
export class GPT<A extends AttentionLayer = SelfAttention> extends Module {
  wte: Embedding | VocabParallelEmbedding;
  /** Learned position table (B, T) -> (T, C); left unset (undefined) when config.pos is 'rope'. */
  wpe!: Embedding;
  drop: Dropout;
  h: Block<A>[];
  ln_f: LayerNorm;
  lm_head: Linear | ColumnParallelLinear;
  readonly config: GPTConfig;
  /** The tensor-parallel group this model is split over (null: whole). */
  readonly parallel: TensorParallel | null;
  /** The blocks this model holds: [0, n_layer) unless it is a pipeline stage. */
  readonly layers: [number, number];
  /** Tensor parallel: the vocabulary rows (wte) and head columns this rank holds; null when whole. */
  vocabRows: Part | null = null;

  /**
   * opts.attention: a factory for each block's attention (see chapters/transformers).
   * opts.parallel: split the model over a tensor-parallel group (Megatron; dist/tensor-parallel.ts).
   * opts.layers: a pipeline stage's blocks (dist/pipeline.ts).
   */
  constructor(config: GPTConfig, gen: Generator = defaultGenerator, opts: { attention?: AttentionFactory<A>; parallel?: TensorParallel | null; layers?: [number, number] } = {}) {
    super();
    validateGPTConfig(config);
    this.config = { dropout: 0, bias: true, bidirectional: false, tieWeights: true, init: 'gpt2', ...config };
    const c = this.config;
    if (c.pos === 'rope' && !opts.attention) throw new GradpathError('gpt: pos rope needs an attention factory that applies rotary embeddings');
    this.wte = new Embedding(c.vocabSize, c.nEmbd, { generator: gen });
    if (c.pos !== 'rope') this.wpe = new Embedding(c.blockSize, c.nEmbd, { generator: gen });
    this.drop = new Dropout(c.dropout, gen);
    this.h = Array.from({ length: c.nLayer }, (_, i) => new Block<A>(c, gen, opts.attention, i));
    this.ln_f = new LayerNorm(c.nEmbd, { bias: c.bias });
    this.lm_head = new Linear(c.nEmbd, c.vocabSize, { bias: false, generator: gen });
    if (c.init === 'gpt2') this.initGPT2(gen);
    if (c.tieWeights) this.lm_head.weight = this.wte.weight; // one tensor, listed once (as wte.weight)
    this.parallel = opts.parallel ?? null;
    if (this.parallel) this.splitForTensorParallel(this.parallel);
    this.layers = opts.layers ?? [0, c.nLayer];
    if (opts.layers) this.keepOnlyStage(...opts.layers);
  }

  /**
   * Megatron tensor parallelism: each rank keeps its cut of the whole model built above (same
   * seed on every rank, so the split model equals the single-process one): vocab-parallel wte and
   * head, column/row-parallel attention (its heads) and MLP; under sequence parallelism the
   * embedding dropout acts on this rank's slice of the sequence. Names stay the global ones.
   */
  private splitForTensorParallel(tp: TensorParallel): void {
    const wte = VocabParallelEmbedding.cut(this.wte as Embedding, tp);
    this.vocabRows = wte.rows; // the head's columns, also on a last pipeline stage that holds no wte
    this.lm_head = this.config.tieWeights ? new ColumnParallelLinear(tp, wte.weight, null) : ColumnParallelLinear.cut(this.lm_head as Linear, tp, wte.rows);
    this.wte = wte;
    if (tp.sequenceParallel) this.drop = new SequenceParallelDropout(this.drop.p, this.drop.generator, tp);
    for (const b of this.h) {
      b.attn = new TensorParallelSelfAttention(b.attn as unknown as WholeAttention, tp) as unknown as A;
      b.mlp = new TensorParallelMLP(b.mlp as MLP, tp);
    }
  }

  /**
   * Drops what a pipeline stage does not hold. The whole model was built first, so every stage's
   * weights are exactly those of a one-process run from the same seed (the cost: the whole model
   * exists for a moment on every rank). With tied weights the last stage keeps the head's copy
   * of wte (as lm_head.weight); the pipeline all-reduces its gradient with the first stage's.
   */
  private keepOnlyStage(start: number, end: number): void {
    const L = this.config.nLayer;
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= L)) {
      throw new GradpathError(`gpt: a stage's layers must be a non-empty range within 0..${L}; got [${start}, ${end})`);
    }
    for (let i = 0; i < L; i++) if (i < start || i >= end) delete this.h[i]; // sparse: names stay global
    const self = this as Partial<GPT<A>>;
    if (start > 0) delete self.wte, delete self.wpe;
    if (end < L) delete self.ln_f, delete self.lm_head;
  }

  /** Whether this model holds only some of the blocks (a pipeline stage). */
  get isStage(): boolean {
    return this.layers[0] > 0 || this.layers[1] < this.config.nLayer;
  }

  /** idx (B, T) int32 -> (B, T, C): token and (learned) position embeddings, dropout. */
  private embed(idx: Tensor, start: number): Tensor {
    const T = idx.shape[1];
    const tp = this.parallel;
    // under sequence parallelism this rank holds positions seq.start .. of the sequence
    const seq = tp?.sequenceParallel ? sequencePart(T, tp) : { start: 0, length: T };
    let x = this.wte.forward(idx); // (B, T, C); under SP (B, T/tp, C)
    if (this.wpe) x = x.add(this.wpe.forward(arange(start + seq.start, start + seq.start + seq.length))); // + (T, C); under SP its (T/tp, C)
    return this.drop.forward(x);
  }

  /** (B, T, C) -> logits (B, T, vocab) and, with targets (B, T), the mean cross-entropy. */
  protected head(x: Tensor, targets?: Tensor | null): { logits: Tensor; loss: Tensor | null } {
    const logits = this.lm_head.forward(this.ln_f.forward(x)); // (B, T, vocab); tensor parallel: (B, T, vocab/tp), this rank's columns
    const tp = this.parallel;
    if (tp) return { logits, loss: vocabParallelCrossEntropy(logits, targets!, tp, { columns: this.vocabRows!, vocabSize: this.lossVocab(), ignoreIndex: -1 }) };
    const loss = targets ? crossEntropy(logits, targets, { ignoreIndex: -1 }) : null;
    return { logits, loss };
  }

  /**
   * One pipeline stage's forward: the first stage takes idx (B, T), the others the previous
   * stage's output (B, T, C); the last returns logits and (with targets) the loss, the others
   * their blocks' output (B, T, C) as `hidden`.
   */
  forwardStage(input: Tensor, targets?: Tensor | null): { hidden?: Tensor; logits?: Tensor; loss?: Tensor | null } {
    const [start, end] = this.layers;
    let x = start === 0 ? this.embed(input, 0) : input; // (B, T, C)
    for (let i = start; i < end; i++) x = this.h[i].forward(x, { pos: 0 });
    return end === this.config.nLayer ? this.head(x, targets) : { hidden: x };
  }

  /** nanoGPT's init: N(0, 0.02) weights, zero biases, residual projections scaled by 1/sqrt(2 n_layer). */
  private initGPT2(gen: Generator): void {
    for (const [name, p] of this.namedParameters()) {
      if (name.endsWith('bias')) (p.data as Float32Array).fill(0);
      else if (name.startsWith('ln') || name.includes('.ln_')) continue;
      else normal_(p, name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * this.config.nLayer) : 0.02, gen);
    }
  }

  /**
   * idx (B, T) int32 -> logits (B, T, vocab); with targets (B, T), also the mean cross-entropy.
   * With opts.cache, idx holds only the new tokens: they sit at positions cache.pos.. and attend
   * to the cached ones, and the cache advances by T (incremental decoding).
   */
  forward(idx: Tensor, targets?: Tensor | null, opts: { cache?: KVCache } = {}): { logits: Tensor; loss: Tensor | null } {
    const [, T] = idx.shape;
    const cache = opts.cache;
    if (this.isStage) throw new GradpathError(`gpt: this model is a pipeline stage holding only blocks ${this.layers[0]}..${this.layers[1] - 1}; run it through the pipeline (forwardStage)`);
    const start = cache ? cache.pos : 0;
    if (cache && this.h.some((b) => (b.attn as AttentionLayer) instanceof SelfAttention)) {
      throw new GradpathError('gpt: nn.SelfAttention keeps no KV cache; build the model with an attention factory (chapters/transformers buildModel)');
    }
    if (start + T > this.config.blockSize) throw new GradpathError(`gpt: sequence of length ${start + T} is longer than the block size ${this.config.blockSize}`);
    const tp = this.parallel;
    if (tp && !targets) throw new GradpathError('gpt: a tensor-parallel model holds only part of the logits: forward it with targets (sampling needs the merged model)');
    let x = this.embed(idx, start); // (B, T, C); under SP (B, T/tp, C)
    this.h.forEach((block, i) => {
      x = block.forward(x, { pos: start, cache: cache?.layers[i] });
    });
    if (cache) cache.pos += T;
    return this.head(x, targets);
  }

  /** Columns of the logits the loss is over (GPT-2 overrides: its embedding table is padded). */
  protected lossVocab(): number {
    return this.config.vocabSize;
  }

  /** Parameters excluding position embeddings (as nanoGPT reports them). */
  numParams(nonEmbedding = true): number {
    return this.numParameters() - (nonEmbedding && this.wpe ? this.wpe.weight.numel() : 0);
  }

  /**
   * Samples maxNewTokens tokens after idx (B, T), cropping the context to the block size.
   * temperature scales the logits; topK keeps only the k most likely tokens.
   * With opts.cache (a KVCache, which the caller may inspect afterwards), each step feeds only the
   * newest token; when the block is full the cache restarts from the last half block of tokens.
   */
  generate(idx: Tensor, maxNewTokens: number, opts: { temperature?: number; topK?: number; generator?: Generator; cache?: KVCache } = {}): Tensor {
    const temperature = opts.temperature ?? 1.0;
    const bs = this.config.blockSize;
    const cache = opts.cache;
    return noGrad(() => {
      const wasTraining = this.training;
      this.eval();
      let seq = idx;
      cache?.reset();
      for (let i = 0; i < maxNewTokens; i++) {
        const T = seq.shape[1];
        let logits: Tensor;
        if (cache && cache.pos > 0 && cache.pos < bs) {
          logits = this.forward(seq.narrow(1, T - 1, 1), null, { cache }).logits; // (B, 1, vocab)
        } else if (cache) {
          cache.reset(); // (re)fill: the whole prompt, or the last half block once the block is full
          const keep = T <= bs ? T : Math.max(1, bs >> 1);
          logits = this.forward(seq.narrow(1, T - keep, keep), null, { cache }).logits;
        } else {
          const ctx = T <= bs ? seq : seq.narrow(1, T - bs, bs);
          logits = this.forward(ctx).logits;
        }
        const last = logits.narrow(1, logits.shape[1] - 1, 1).squeeze(1).div(temperature); // (B, vocab)
        const probs = restrictTopK(last, opts.topK).softmax(-1);
        const next = multinomial(probs, 1, opts.generator); // (B, 1)
        seq = cat([seq.int(), next], 1); // (B, T + 1)
      }
      this.train(wasTraining);
      return seq;
    });
  }
}

/** Logits with everything below the k-th largest set to -inf (no-op when k is unset). */
export function restrictTopK(logits: Tensor, k?: number): Tensor {
  const V = logits.shape[logits.ndim - 1];
  if (!k || k >= V) return logits;
  const kth = topk(logits, k).values.narrow(-1, k - 1, 1); // (B, 1)
  return logits.maskedFill(logits.lt(kth), -Infinity);
}

