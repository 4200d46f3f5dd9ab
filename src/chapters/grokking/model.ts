import { Generator } from '../../util/random.js';
import { randn, zeros } from '../../engine/ops/create.js';
import { embedding } from '../../engine/ops/indexing.js';
import { Tensor } from '../../engine/tensor.js';
import { Module } from '../../nn/module.js';
import { LayerNorm, Linear } from '../../nn/layers.js';
import { SelfAttention } from '../../nn/attention.js';

/** The two transformers of the grokking papers, read out at the last position ('='). */

export interface GrokModelConfig {
  /** 'nanda': one layer, no LayerNorm (Nanda et al. 2023); 'power': two pre-LN layers (Power et al. 2022). */
  arch: 'nanda' | 'power';
  p: number;
  dModel: number;
  nHeads: number;
  dMlp: number;
}

/** Sequence length: [a, b, =]. */
export const N_CTX = 3;

/** N(0, 1) / sqrt(fanIn): Nanda et al.'s initialisation (it sets the weight norm grokking then shrinks). */
function param(shape: number[], fanIn: number, gen: Generator): Tensor {
  return randn(shape, { generator: gen }).mul(1 / Math.sqrt(fanIn)).detach().setRequiresGrad();
}

export interface GrokModel extends Module {
  readonly config: GrokModelConfig;
  /** tokens (B, 3) int32 -> logits (B, p) at the '=' position. */
  forward(tokens: Tensor): Tensor;
  /** The token embedding (p + 1, d_model); its first p rows are what the Fourier analysis reads. */
  embeddingMatrix(): Tensor;
}

class NandaAttention extends Module {
  W_Q: Tensor; // (d, H*dh): heads side by side
  W_K: Tensor;
  W_V: Tensor;
  W_O: Tensor; // (H*dh, d)
  constructor(d: number, readonly nHeads: number, gen: Generator) {
    super();
    this.W_Q = param([d, d], d, gen);
    this.W_K = param([d, d], d, gen);
    this.W_V = param([d, d], d, gen);
    this.W_O = param([d, d], d, gen);
  }
  /**
   * Only the '=' query matters for the output (one layer, read at the last position), so we
   * compute one query instead of three; it sees every position, so no causal mask is needed.
   * x (B, T, d) -> (B, d)
   */
  forward(x: Tensor): Tensor {
    const [B, T, d] = x.shape;
    const H = this.nHeads, dh = d / H;
    const last = x.narrow(1, T - 1, 1).reshape(B, d);
    const q = last.matmul(this.W_Q).reshape(B, H, 1, dh); // (B, H, 1, dh)
    const k = x.matmul(this.W_K).reshape(B, T, H, dh).transpose(1, 2); // (B, H, T, dh)
    const v = x.matmul(this.W_V).reshape(B, T, H, dh).transpose(1, 2); // (B, H, T, dh)
    const att = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(dh)).softmax(-1); // (B, H, 1, T)
    const z = att.matmul(v).reshape(B, d); // (B, H, 1, dh) -> (B, H*dh): heads concatenated
    return z.matmul(this.W_O);
  }
}

/** Nanda et al.'s model: embed + positions, one attention layer, one ReLU MLP, unembed; no LayerNorm, no biases but the MLP's. */
export class NandaTransformer extends Module implements GrokModel {
  W_E: Tensor; // (p + 1, d)
  W_pos: Tensor; // (3, d)
  attn: NandaAttention;
  W_in: Tensor; // (d, d_mlp)
  b_in: Tensor;
  W_out: Tensor; // (d_mlp, d)
  b_out: Tensor;
  W_U: Tensor; // (d, p): only the p results are possible outputs
  constructor(readonly config: GrokModelConfig, gen: Generator) {
    super();
    const { p, dModel: d, dMlp } = config;
    this.W_E = param([p + 1, d], d, gen);
    this.W_pos = param([N_CTX, d], d, gen);
    this.attn = new NandaAttention(d, config.nHeads, gen);
    this.W_in = param([d, dMlp], d, gen);
    this.b_in = zeros([dMlp]).setRequiresGrad();
    this.W_out = param([dMlp, d], dMlp, gen);
    this.b_out = zeros([d]).setRequiresGrad();
    this.W_U = param([d, p], p + 1, gen);
  }
  forward(tokens: Tensor): Tensor {
    const [B, T] = tokens.shape;
    const x = embedding(this.W_E, tokens).add(this.W_pos.narrow(0, 0, T)); // (B, T, d)
    const resid = x.narrow(1, T - 1, 1).reshape(B, this.config.dModel).add(this.attn.forward(x)); // (B, d)
    const hidden = resid.matmul(this.W_in).add(this.b_in).relu(); // (B, d_mlp)
    const out = resid.add(hidden.matmul(this.W_out).add(this.b_out)); // (B, d)
    return out.matmul(this.W_U); // (B, p)
  }
  embeddingMatrix(): Tensor {
    return this.W_E;
  }
}

class PowerBlock extends Module {
  ln_1: LayerNorm;
  attn: SelfAttention;
  ln_2: LayerNorm;
  c_fc: Linear;
  c_proj: Linear;
  constructor(d: number, nHeads: number, dMlp: number, gen: Generator) {
    super();
    this.ln_1 = new LayerNorm(d);
    this.attn = new SelfAttention(d, nHeads, { causal: true, generator: gen });
    this.ln_2 = new LayerNorm(d);
    this.c_fc = new Linear(d, dMlp, { generator: gen });
    this.c_proj = new Linear(dMlp, d, { generator: gen });
  }
  forward(x: Tensor): Tensor {
    const h = x.add(this.attn.forward(this.ln_1.forward(x))); // (B, T, d)
    return h.add(this.c_proj.forward(this.c_fc.forward(this.ln_2.forward(h)).relu()));
  }
}

/** Power et al.'s decoder: two pre-LayerNorm causal blocks and a final LayerNorm. */
export class PowerTransformer extends Module implements GrokModel {
  W_E: Tensor;
  W_pos: Tensor;
  h: PowerBlock[];
  ln_f: LayerNorm;
  W_U: Tensor;
  constructor(readonly config: GrokModelConfig, gen: Generator) {
    super();
    const { p, dModel: d, nHeads, dMlp } = config;
    this.W_E = param([p + 1, d], d, gen);
    this.W_pos = param([N_CTX, d], d, gen);
    this.h = [0, 1].map(() => new PowerBlock(d, nHeads, dMlp, gen));
    this.ln_f = new LayerNorm(d);
    this.W_U = param([d, p], d, gen);
  }
  forward(tokens: Tensor): Tensor {
    const [B, T] = tokens.shape;
    let x = embedding(this.W_E, tokens).add(this.W_pos.narrow(0, 0, T)); // (B, T, d)
    for (const block of this.h) x = block.forward(x);
    const last = this.ln_f.forward(x.narrow(1, T - 1, 1).reshape(B, this.config.dModel)); // (B, d)
    return last.matmul(this.W_U); // (B, p)
  }
  embeddingMatrix(): Tensor {
    return this.W_E;
  }
}

export function buildModel(config: GrokModelConfig, gen: Generator): GrokModel {
  return config.arch === 'power' ? new PowerTransformer(config, gen) : new NandaTransformer(config, gen);
}
