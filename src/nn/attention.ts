import { GradpathError } from '../util/errors.js';
import { Tensor } from '../engine/tensor.js';
import type { Generator } from '../engine/random.js';
import { full } from '../engine/ops/create.js';
import { attentionSoftmax, triu } from '../engine/ops/nn.js';
import { Module } from './module.js';
import { Dropout, Linear } from './layers.js';

const maskCache = new Map<number, Tensor>();

/** (T, T) mask with 1 above the diagonal: the future positions a causal head must not see. */
export function causalMask(T: number): Tensor {
  let m = maskCache.get(T);
  if (!m) {
    m = triu(full([T, T], 1), 1);
    maskCache.set(T, m);
  }
  return m;
}

/**
 * Scaled dot-product attention: softmax(q k^T / sqrt(d)) v, optionally causal.
 * q (B, nh, T, hs), k and v (B, nh, S, hs) -> (B, nh, T, hs).
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: { causal?: boolean; dropout?: Dropout } = {}): Tensor {
  const hs = q.shape[q.ndim - 1];
  // fused scale + causal mask + softmax; with a cache, the T new queries sit at the end of S keys
  let att = attentionSoftmax(q.matmul(k.transpose(-2, -1)), 1 / Math.sqrt(hs), opts.causal ?? false); // (B, nh, T, S)
  if (opts.dropout) att = opts.dropout.forward(att);
  return att.matmul(v); // (B, nh, T, hs)
}

/**
 * Multi-head self-attention with nanoGPT's names: c_attn projects to q, k, v at once, c_proj
 * mixes the heads. causal = true for GPT (decoder), false for an encoder (bidirectional).
 */
export class SelfAttention extends Module {
  c_attn: Linear;
  c_proj: Linear;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  constructor(readonly nEmbd: number, readonly nHead: number, opts: { causal?: boolean; dropout?: number; bias?: boolean; generator?: Generator } = {}) {
    super();
    if (nEmbd % nHead !== 0) throw new GradpathError(`attention: n_embd ${nEmbd} is not divisible by n_head ${nHead}`);
    this.causal = opts.causal ?? true;
    this.c_attn = new Linear(nEmbd, 3 * nEmbd, { bias: opts.bias, generator: opts.generator });
    this.c_proj = new Linear(nEmbd, nEmbd, { bias: opts.bias, generator: opts.generator });
    this.attn_dropout = new Dropout(opts.dropout ?? 0, opts.generator);
    this.resid_dropout = new Dropout(opts.dropout ?? 0, opts.generator);
  }
  readonly causal: boolean;
  /** The attention weights of the last forward (B, nh, T, T), kept when `keepAttention` is set (for pictures). */
  lastAttention: Tensor | null = null;
  keepAttention = false;

  forward(x: Tensor): Tensor {
    const [B, T, C] = x.shape; // (B, T, C)
    const hs = C / this.nHead;
    // one copy moves q, k and v into head-major layout; each is then a contiguous slice
    const qkv = this.c_attn.forward(x).reshape(B, T, 3, this.nHead, hs).permute(2, 0, 3, 1, 4).contiguous(); // (3, B, nh, T, hs)
    const [q, k, v] = [0, 1, 2].map((i) => qkv.narrow(0, i, 1).squeeze(0)); // (B, nh, T, hs)
    let y: Tensor;
    if (this.keepAttention) {
      const att = attentionSoftmax(q.matmul(k.transpose(-2, -1)), 1 / Math.sqrt(hs), this.causal); // (B, nh, T, T)
      this.lastAttention = att.detach();
      y = this.attn_dropout.forward(att).matmul(v);
    } else {
      y = scaledDotProductAttention(q, k, v, { causal: this.causal, dropout: this.attn_dropout });
    }
    y = y.transpose(1, 2).reshape(B, T, C); // re-assemble heads: (B, T, C)
    return this.resid_dropout.forward(this.c_proj.forward(y));
  }
}

/** nanoGPT's CausalSelfAttention. */
export class CausalSelfAttention extends SelfAttention {
  constructor(nEmbd: number, nHead: number, opts: { dropout?: number; bias?: boolean; generator?: Generator } = {}) {
    super(nEmbd, nHead, { ...opts, causal: true });
  }
}
