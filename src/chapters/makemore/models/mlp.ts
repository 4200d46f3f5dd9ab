import type { Tensor } from '../../../engine/tensor.js';
import type { Generator } from '../../../util/random.js';
import { Module } from '../../../nn/module.js';
import { Embedding, Linear } from '../../../nn/layers.js';
import { windowForward } from './context.js';
import type { ModelConfig } from './types.js';

/** Bengio et al. 2003 (lecture 2): the previous 3 characters are embedded, concatenated, tanh. */
export const MLP_CONTEXT = 3;

export class MLP extends Module {
  wte: Embedding;
  hidden: Linear;
  lm_head: Linear;
  constructor(c: ModelConfig, gen: Generator) {
    super();
    this.wte = new Embedding(c.vocabSize, c.nEmbd, { generator: gen });
    this.hidden = new Linear(MLP_CONTEXT * c.nEmbd, c.nEmbd2, { generator: gen });
    this.lm_head = new Linear(c.nEmbd2, c.vocabSize, { generator: gen });
  }
  forward(idx: Tensor, targets?: Tensor): { logits: Tensor; loss: Tensor | null } {
    return windowForward(idx, targets, MLP_CONTEXT, (w) => {
      const emb = this.wte.forward(w); // (N, 3, nEmbd)
      const h = this.hidden.forward(emb.view(w.shape[0], -1)).tanh(); // (N, nEmbd2)
      return this.lm_head.forward(h); // (N, vocab)
    });
  }
}
