import type { Tensor } from '../../../engine/tensor.js';
import type { Generator } from '../../../util/random.js';
import { zeros } from '../../../engine/ops/create.js';
import { stack } from '../../../engine/ops/view.js';
import { crossEntropy } from '../../../engine/ops/nn.js';
import { Module } from '../../../nn/module.js';
import { Embedding, Linear } from '../../../nn/layers.js';
import type { ModelConfig } from './types.js';

/**
 * One step of a recurrence: input x (B, nEmbd) and the carried state (h first, then anything
 * else the cell keeps, like the LSTM's cell c) -> the new state. h (B, nEmbd2) is what is read out.
 */
export interface Cell extends Module {
  step(x: Tensor, state: Tensor[]): Tensor[];
  /** How many tensors the state holds (1 for RNN/GRU, 2 for LSTM). */
  readonly stateSize: number;
}

/**
 * makemore's RNN language model around any cell: embed each character, run the cell left to
 * right from a learned start state, read every hidden state out through a linear head.
 */
export class RecurrentLM<C extends Cell> extends Module {
  start: Tensor;
  wte: Embedding;
  cell: C;
  lm_head: Linear;
  constructor(c: ModelConfig, cell: C, gen: Generator) {
    super();
    this.start = zeros([1, c.nEmbd2]).setRequiresGrad(); // learned h before the first character
    this.wte = new Embedding(c.vocabSize, c.nEmbd, { generator: gen });
    this.cell = cell;
    this.lm_head = new Linear(c.nEmbd2, c.vocabSize, { generator: gen });
  }
  forward(idx: Tensor, targets?: Tensor): { logits: Tensor; loss: Tensor | null } {
    const [B, T] = idx.shape;
    const emb = this.wte.forward(idx); // (B, T, nEmbd)
    const h0 = this.start.expand(B, this.start.shape[1]); // (B, nEmbd2)
    let state = [h0, ...Array.from({ length: this.cell.stateSize - 1 }, () => zeros([B, this.start.shape[1]]))];
    const hiddens: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      state = this.cell.step(emb.narrow(1, t, 1).squeeze(1), state); // (B, nEmbd2) each
      hiddens.push(state[0]);
    }
    const logits = this.lm_head.forward(stack(hiddens, 1)); // (B, T, vocab)
    return { logits, loss: targets ? crossEntropy(logits, targets) : null };
  }
}
