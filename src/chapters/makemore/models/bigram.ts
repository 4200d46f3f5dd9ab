import { Tensor } from '../../../engine/tensor.js';
import { zeros } from '../../../engine/ops/create.js';
import { embedding } from '../../../engine/ops/indexing.js';
import { crossEntropy } from '../../../engine/ops/nn.js';
import { Module } from '../../../nn/module.js';
import type { ModelConfig } from './types.js';

/**
 * The neural bigram (lecture 1, second half): one (vocab, vocab) table of logits, row i holding
 * the scores of the character after character i. Trained by gradient descent it converges to
 * log of the count matrix, so its loss meets the counting model's.
 */
export class Bigram extends Module {
  logits: Tensor;
  constructor(c: ModelConfig) {
    super();
    // zeros = uniform predictions at the start; the lecture's randn start only adds work
    this.logits = zeros([c.vocabSize, c.vocabSize]).setRequiresGrad();
  }
  forward(idx: Tensor, targets?: Tensor): { logits: Tensor; loss: Tensor | null } {
    const logits = embedding(this.logits, idx); // (B, T, vocab)
    return { logits, loss: targets ? crossEntropy(logits, targets) : null };
  }
}
