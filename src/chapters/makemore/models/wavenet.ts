import type { Tensor } from '../../../engine/tensor.js';
import type { Generator } from '../../../util/random.js';
import { Module } from '../../../nn/module.js';
import { BatchNorm1d, Embedding, Linear } from '../../../nn/layers.js';
import { windowForward } from './context.js';
import type { ModelConfig } from './types.js';

/** Lecture 5: 8 characters of context, fused two at a time in three levels (8 -> 4 -> 2 -> 1). */
export const WAVENET_CONTEXT = 8;

/** One level of the tree: pairs of neighbours concatenated, Linear, BatchNorm, tanh. */
class FuseLevel extends Module {
  linear: Linear;
  bn: BatchNorm1d;
  constructor(inFeatures: number, hidden: number, gen: Generator) {
    super();
    // no bias: BatchNorm's shift makes it redundant (lecture 3)
    this.linear = new Linear(2 * inFeatures, hidden, { bias: false, generator: gen });
    this.bn = new BatchNorm1d(hidden);
  }
  forward(x: Tensor): Tensor {
    const [N, T, C] = x.shape;
    const pairs = x.reshape(N * (T / 2), 2 * C); // FlattenConsecutive(2): (N, T/2, 2C) folded
    const h = this.bn.forward(this.linear.forward(pairs)).tanh(); // statistics over N and T/2, as the lecture's BatchNorm over dims (0, 1)
    return h.view(N, T / 2, -1); // (N, T/2, hidden)
  }
}

export class WaveNet extends Module {
  wte: Embedding;
  levels: FuseLevel[];
  lm_head: Linear;
  constructor(c: ModelConfig, gen: Generator) {
    super();
    this.wte = new Embedding(c.vocabSize, c.nEmbd, { generator: gen });
    this.levels = [new FuseLevel(c.nEmbd, c.nEmbd2, gen), new FuseLevel(c.nEmbd2, c.nEmbd2, gen), new FuseLevel(c.nEmbd2, c.nEmbd2, gen)];
    this.lm_head = new Linear(c.nEmbd2, c.vocabSize, { generator: gen });
    // a less confident start (the lecture's `layers[-1].weight *= 0.1`)
    const w = this.lm_head.weight.data as Float32Array;
    for (let i = 0; i < w.length; i++) w[i] *= 0.1;
  }
  forward(idx: Tensor, targets?: Tensor): { logits: Tensor; loss: Tensor | null } {
    return windowForward(idx, targets, WAVENET_CONTEXT, (w) => {
      let x = this.wte.forward(w); // (N, 8, nEmbd)
      for (const level of this.levels) x = level.forward(x); // (N, 4, H) -> (N, 2, H) -> (N, 1, H)
      return this.lm_head.forward(x.view(w.shape[0], -1)); // (N, vocab)
    });
  }
}
