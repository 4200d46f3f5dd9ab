import { Tensor } from '../../../engine/tensor.js';
import type { Generator } from '../../../util/random.js';
import { arange } from '../../../engine/ops/create.js';
import { crossEntropy } from '../../../engine/ops/nn.js';
import { Module } from '../../../nn/module.js';
import { Embedding, Linear } from '../../../nn/layers.js';
import type { ModelConfig } from './types.js';

/**
 * The causal bag of words: each position sees the plain average of itself and everything
 * before it. It is attention with all scores equal, the step before the Transformer lets the
 * scores depend on the data. The (T, T) averaging matrix is a constant, not learned.
 */
export function causalAverage(T: number): Tensor {
  const a = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) a[i * T + j] = 1 / (i + 1);
  return new Tensor(a, [T, T]);
}

/** x = x + bow(x); x = x + mlp(x), the residual shape of a Transformer block. */
class BoWBlock extends Module {
  c_fc: Linear;
  c_proj: Linear;
  constructor(c: ModelConfig, gen: Generator) {
    super();
    this.c_fc = new Linear(c.nEmbd, c.nEmbd2, { generator: gen });
    this.c_proj = new Linear(c.nEmbd2, c.nEmbd, { generator: gen });
  }
  forward(x: Tensor, average: Tensor): Tensor {
    x = x.add(average.matmul(x)); // (T, T) @ (B, T, C) -> (B, T, C)
    return x.add(this.c_proj.forward(this.c_fc.forward(x).tanh()));
  }
}

export class BoW extends Module {
  wte: Embedding;
  wpe: Embedding;
  block: BoWBlock;
  lm_head: Linear;
  constructor(c: ModelConfig, gen: Generator) {
    super();
    this.wte = new Embedding(c.vocabSize, c.nEmbd, { generator: gen });
    this.wpe = new Embedding(c.blockSize, c.nEmbd, { generator: gen });
    this.block = new BoWBlock(c, gen);
    this.lm_head = new Linear(c.nEmbd, c.vocabSize, { generator: gen });
  }
  forward(idx: Tensor, targets?: Tensor): { logits: Tensor; loss: Tensor | null } {
    const T = idx.shape[1];
    const x = this.wte.forward(idx).add(this.wpe.forward(arange(T))); // (B, T, C)
    const logits = this.lm_head.forward(this.block.forward(x, causalAverage(T))); // (B, T, vocab)
    return { logits, loss: targets ? crossEntropy(logits, targets) : null };
  }
}
