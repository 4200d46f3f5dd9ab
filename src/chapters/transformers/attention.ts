import { GradpathError } from '../../util/errors.js';
import { Tensor } from '../../engine/tensor.js';
import type { Generator } from '../../util/random.js';
import { cat } from '../../engine/ops/view.js';
import { Module } from '../../nn/module.js';
import { Dropout, LayerNorm, Linear } from '../../nn/layers.js';
import { scaledDotProductAttention as attend } from '../../nn/attention.js';
import type { AttentionContext } from '../../models/gpt.js';
import { Rope } from './rope.js';

/** Appends new entries (along `dim`) to the tensor cached under `key` and returns all of them. */
function append(cache: Record<string, Tensor> | undefined, key: string, x: Tensor, dim: number): Tensor {
  if (!cache) return x;
  const all = cache[key] ? cat([cache[key], x], dim) : x.contiguous();
  cache[key] = all.detach();
  return all;
}

export interface AttentionOptions {
  causal?: boolean;
  dropout?: number;
  bias?: boolean;
  generator?: Generator;
  /** Rotary embeddings on q and k, over positions up to blockSize. */
  rope?: { blockSize: number };
}

/**
 * Grouped-query attention (Ainslie et al. 2023), which covers the two classic cases:
 * nKvHead = nHead is multi-head attention (Vaswani et al.), nKvHead = 1 is multi-query attention
 * (Shazeer 2019). Query heads are split into nKvHead groups and each group shares one K/V head, so
 * the KV cache shrinks by nHead / nKvHead while the queries keep their full resolution.
 * Names follow nanoGPT: c_attn projects to q, k, v at once ((nh + 2 nkv) hs outputs; 3C for MHA,
 * so an MHA layer has exactly nn.SelfAttention's parameters), c_proj mixes the heads.
 */
export class GroupedQueryAttention extends Module {
  c_attn: Linear;
  c_proj: Linear;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  readonly headSize: number;
  readonly causal: boolean;
  readonly rope: Rope | null;
  /** The attention weights of the last forward (B, nh, T, S), kept when keepAttention is set. */
  lastAttention: Tensor | null = null;
  keepAttention = false;

  constructor(readonly nEmbd: number, readonly nHead: number, readonly nKvHead: number, opts: AttentionOptions = {}) {
    super();
    if (nEmbd % nHead !== 0) throw new GradpathError(`attention: n_embd ${nEmbd} is not divisible by n_head ${nHead}`);
    if (!Number.isInteger(nKvHead) || nKvHead < 1 || nHead % nKvHead !== 0) {
      throw new GradpathError(`attention: n_head ${nHead} is not divisible by n_kv_head ${nKvHead} (each K/V head serves a whole group of query heads)`);
    }
    this.headSize = nEmbd / nHead;
    this.causal = opts.causal ?? true;
    const lin = { bias: opts.bias, generator: opts.generator };
    this.c_attn = new Linear(nEmbd, (nHead + 2 * nKvHead) * this.headSize, lin);
    this.c_proj = new Linear(nEmbd, nEmbd, lin);
    this.attn_dropout = new Dropout(opts.dropout ?? 0, opts.generator);
    this.resid_dropout = new Dropout(opts.dropout ?? 0, opts.generator);
    this.rope = opts.rope ? new Rope(this.headSize, opts.rope.blockSize) : null;
  }

  forward(x: Tensor, ctx: AttentionContext = { pos: 0 }): Tensor {
    const [B, T, C] = x.shape; // (B, T, C)
    const nh = this.nHead, nkv = this.nKvHead, hs = this.headSize, g = nh / nkv;
    const [qf, kf, vf] = this.c_attn.forward(x).split([nh * hs, nkv * hs, nkv * hs], 2);
    let q = qf.reshape(B, T, nh, hs).transpose(1, 2); // (B, nh, T, hs)
    let k = kf.reshape(B, T, nkv, hs).transpose(1, 2); // (B, nkv, T, hs)
    let v = vf.reshape(B, T, nkv, hs).transpose(1, 2); // (B, nkv, T, hs)
    if (this.rope) {
      q = this.rope.apply(q, ctx.pos);
      k = this.rope.apply(k, ctx.pos); // cached keys are stored already rotated
    }
    k = append(ctx.cache, 'k', k, 2); // (B, nkv, S, hs)
    v = append(ctx.cache, 'v', v, 2); // (B, nkv, S, hs)
    // query head h = j g + r uses K/V head j: group the queries, broadcast K/V over the group
    const q5 = q.reshape(B, nkv, g, T, hs); // (B, nkv, g, T, hs)
    const { y, att } = attend(q5, k.unsqueeze(2), v.unsqueeze(2), { scale: 1 / Math.sqrt(hs), causal: this.causal, dropout: this.attn_dropout }); // (B, nkv, g, T, hs)
    if (this.keepAttention) this.lastAttention = att.reshape(B, nh, T, att.shape[att.ndim - 1]).detach();
    const out = y.reshape(B, nh, T, hs).transpose(1, 2).reshape(B, T, C); // re-assemble heads: (B, T, C)
    return this.resid_dropout.forward(this.c_proj.forward(out));
  }

  /** K/V cache elements per token per layer: 2 n_kv d_h (2 n_h d_h for MHA, 2 d_h for MQA). */
  cacheElementsPerToken(): number {
    return 2 * this.nKvHead * this.headSize;
  }
}

export interface MLAOptions {
  nEmbd: number;
  nHead: number;
  /** d_c: the joint K/V latent, the only content the cache keeps per token. */
  kvRank: number;
  /** d_c': the query latent (saves activations in training, not cache). */
  qRank: number;
  /** d_h^R: the decoupled rotary part of queries (per head) and of the key (shared by all heads). */
  ropeDim: number;
  blockSize: number;
  causal?: boolean;
  dropout?: number;
  /** Bias of the LayerNorms on the latents; the projections never have biases (as DeepSeek). */
  bias?: boolean;
  generator?: Generator;
}

/**
 * Multi-head Latent Attention (DeepSeek-V2, section 2.1). Per token:
 *   c_KV = W_DKV h (d_c)               k^C = W_UK c_KV, v^C = W_UV c_KV  (n_h d_h each)
 *   c_Q  = W_DQ h  (d_c')              q^C = W_UQ c_Q,  q^R = RoPE(W_QR c_Q)  (n_h d_h^R)
 *   k^R  = RoPE(W_KR h)  (d_h^R, one shared by all heads)
 *   head i: q = [q^C_i; q^R_i], k = [k^C_i; k^R], scores scaled by 1/sqrt(d_h + d_h^R).
 * RoPE is kept out of c_KV because a rotation between W_UK and the query would block absorbing
 * W_UK into the query side; the small shared k^R carries position instead.
 * Names: q_a_proj = W_DQ, q_b_proj = [W_UQ; W_QR] per head, kv_a_proj = [W_DKV; W_KR],
 * kv_b_proj = [W_UK; W_UV] per head, c_proj = W_O. LayerNorms on both latents (ln_q, ln_kv)
 * follow DeepSeek's code (RMSNorm there); they act before the cache, so absorption still holds.
 */
export class MultiHeadLatentAttention extends Module {
  q_a_proj: Linear;
  ln_q: LayerNorm;
  q_b_proj: Linear;
  kv_a_proj: Linear;
  ln_kv: LayerNorm;
  kv_b_proj: Linear;
  c_proj: Linear;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  readonly nHead: number;
  readonly headSize: number;
  readonly kvRank: number;
  readonly qRank: number;
  readonly ropeDim: number;
  readonly causal: boolean;
  readonly rope: Rope;
  /** With a cache, use the absorbed form (attention computed in the d_c latent space). */
  absorb = true;
  lastAttention: Tensor | null = null;
  keepAttention = false;
  private readonly absorbed = new WeakMap<object, { wq: Tensor; wo: Tensor }>();

  constructor(o: MLAOptions) {
    super();
    const { nEmbd: C, nHead: nh } = o;
    if (C % nh !== 0) throw new GradpathError(`mla: n_embd ${C} is not divisible by n_head ${nh}`);
    for (const [name, v] of [['kv-rank', o.kvRank], ['q-rank', o.qRank], ['rope-dim', o.ropeDim]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new GradpathError(`mla: --${name} must be a positive integer; got ${v}`);
    }
    if (o.ropeDim % 2 !== 0) throw new GradpathError(`mla: --rope-dim ${o.ropeDim} must be even (RoPE rotates pairs of channels)`);
    this.nHead = nh;
    this.headSize = C / nh;
    this.kvRank = o.kvRank;
    this.qRank = o.qRank;
    this.ropeDim = o.ropeDim;
    this.causal = o.causal ?? true;
    const dh = C / nh, dr = o.ropeDim, lin = { bias: false, generator: o.generator };
    this.q_a_proj = new Linear(C, o.qRank, lin);
    this.ln_q = new LayerNorm(o.qRank, { bias: o.bias });
    this.q_b_proj = new Linear(o.qRank, nh * (dh + dr), lin);
    this.kv_a_proj = new Linear(C, o.kvRank + dr, lin);
    this.ln_kv = new LayerNorm(o.kvRank, { bias: o.bias });
    this.kv_b_proj = new Linear(o.kvRank, nh * 2 * dh, lin);
    this.c_proj = new Linear(nh * dh, C, lin);
    this.attn_dropout = new Dropout(o.dropout ?? 0, o.generator);
    this.resid_dropout = new Dropout(o.dropout ?? 0, o.generator);
    this.rope = new Rope(dr, o.blockSize);
  }

  /** The latents of x: c_Q (B, T, d_c'), the rotated q^R (B, nh, T, dr), c_KV (B, T, d_c), k^R (B, 1, T, dr). */
  private latents(x: Tensor, pos: number) {
    const [B, T] = x.shape;
    const nh = this.nHead, dh = this.headSize, dr = this.ropeDim, dc = this.kvRank;
    const cq = this.ln_q.forward(this.q_a_proj.forward(x)); // (B, T, d_c')
    const q = this.q_b_proj.forward(cq).reshape(B, T, nh, dh + dr).transpose(1, 2); // (B, nh, T, dh + dr)
    const qC = q.narrow(-1, 0, dh); // (B, nh, T, dh)
    const qR = this.rope.apply(q.narrow(-1, dh, dr), pos); // (B, nh, T, dr)
    const kva = this.kv_a_proj.forward(x); // (B, T, d_c + dr)
    const ckv = this.ln_kv.forward(kva.narrow(-1, 0, dc)); // (B, T, d_c)
    const kR = this.rope.apply(kva.narrow(-1, dc, dr).unsqueeze(1), pos); // (B, 1, T, dr)
    return { cq, qC, qR, ckv, kR };
  }

  forward(x: Tensor, ctx: AttentionContext = { pos: 0 }): Tensor {
    return ctx.cache && this.absorb ? this.forwardAbsorbed(x, ctx) : this.forwardExplicit(x, ctx);
  }

  /** Training form: up-project c_KV into per-head keys and values, then ordinary attention. */
  forwardExplicit(x: Tensor, ctx: AttentionContext = { pos: 0 }): Tensor {
    const [B, T, C] = x.shape;
    const nh = this.nHead, dh = this.headSize, dr = this.ropeDim;
    const l = this.latents(x, ctx.pos);
    const ckv = append(ctx.cache, 'ckv', l.ckv, 1); // (B, S, d_c): the cache holds only this...
    const kR = append(ctx.cache, 'kr', l.kR, 2); // (B, 1, S, dr): ...and the shared rope key
    const S = ckv.shape[1];
    const kv = this.kv_b_proj.forward(ckv).reshape(B, S, nh, 2 * dh).transpose(1, 2); // (B, nh, S, 2 dh)
    const k = cat([kv.narrow(-1, 0, dh), kR.expand(B, nh, S, dr)], -1); // (B, nh, S, dh + dr)
    const q = cat([l.qC, l.qR], -1); // (B, nh, T, dh + dr)
    const { y, att } = attend(q, k, kv.narrow(-1, dh, dh), { scale: 1 / Math.sqrt(dh + dr), causal: this.causal, dropout: this.attn_dropout }); // (B, nh, T, dh)
    if (this.keepAttention) this.lastAttention = att.detach();
    return this.resid_dropout.forward(this.c_proj.forward(y.transpose(1, 2).reshape(B, T, C))); // (B, T, C)
  }

  /**
   * The absorbed projections. Per head, q^C . k^C = (W_UQ c_Q)^T W_UK c_KV = (W_UK^T W_UQ c_Q)^T c_KV,
   * so W_UK^T W_UQ (d_c x d_c') maps c_Q straight to a query in latent space; and
   * W_O (W_UV sum_s a_s c_KV,s) = (W_O,i W_UV,i) (sum_s a_s c_KV,s), so keys and values are never
   * materialised. wq: (nh, d_c', d_c), wo: (nh d_c, C) (already transposed for a right matmul).
   */
  absorbedWeights(): { wq: Tensor; wo: Tensor } {
    const nh = this.nHead, dh = this.headSize, dr = this.ropeDim, dc = this.kvRank, C = nh * dh;
    const wkv = this.kv_b_proj.weight.reshape(nh, 2 * dh, dc); // (nh, 2 dh, d_c)
    const wuk = wkv.narrow(1, 0, dh), wuv = wkv.narrow(1, dh, dh); // (nh, dh, d_c)
    const wuq = this.q_b_proj.weight.reshape(nh, dh + dr, this.qRank).narrow(1, 0, dh); // (nh, dh, d_c')
    const wq = wuq.transpose(1, 2).matmul(wuk); // (nh, d_c', d_c)
    const wo = this.c_proj.weight.reshape(C, nh, dh).transpose(0, 1).matmul(wuv); // (nh, C, d_c)
    return { wq, wo: wo.permute(0, 2, 1).reshape(nh * dc, C) }; // wo: (nh d_c, C)
  }

  /** Inference form: attention in the latent space, reading c_KV and k^R straight from the cache. */
  forwardAbsorbed(x: Tensor, ctx: AttentionContext = { pos: 0 }): Tensor {
    const [B, T] = x.shape;
    const nh = this.nHead, dh = this.headSize, dr = this.ropeDim, dc = this.kvRank;
    let w = ctx.cache && this.absorbed.get(ctx.cache);
    if (!w) {
      w = this.absorbedWeights(); // once per cache: the weights do not change while decoding
      if (ctx.cache) this.absorbed.set(ctx.cache, w);
    }
    const l = this.latents(x, ctx.pos);
    const ckv = append(ctx.cache, 'ckv', l.ckv, 1).unsqueeze(1); // (B, 1, S, d_c), shared by every head
    const kR = append(ctx.cache, 'kr', l.kR, 2); // (B, 1, S, dr)
    const qLat = l.cq.unsqueeze(1).matmul(w.wq); // (B, 1, T, d_c') @ (nh, d_c', d_c) -> (B, nh, T, d_c)
    // [qLat; q^R] . [c_KV; k^R] is the explicit score of head i: one matmul over d_c + dr channels
    const q = cat([qLat, l.qR], -1); // (B, nh, T, d_c + dr)
    const k = cat([ckv, kR], -1); // (B, 1, S, d_c + dr)
    const { y, att } = attend(q, k, ckv, { scale: 1 / Math.sqrt(dh + dr), causal: this.causal }); // (B, nh, T, d_c)
    if (this.keepAttention) this.lastAttention = att.detach();
    return y.transpose(1, 2).reshape(B, T, nh * dc).matmul(w.wo); // (B, T, nh d_c) @ (nh d_c, C) -> (B, T, C)
  }

  /** Cache elements per token per layer: d_c + d_h^R. */
  cacheElementsPerToken(): number {
    return this.kvRank + this.ropeDim;
  }
}
