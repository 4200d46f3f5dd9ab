import type { Tensor } from '../../../engine/tensor.js';
import type { Generator } from '../../../util/random.js';
import { cat } from '../../../engine/ops/view.js';
import { Module } from '../../../nn/module.js';
import { Linear } from '../../../nn/layers.js';
import { RecurrentLM, type Cell } from './recurrent.js';
import type { ModelConfig } from './types.js';

/** The vanilla (Elman) RNN cell: h = tanh(W [x, h_prev] + b). */
export class RNNCell extends Module implements Cell {
  readonly stateSize = 1;
  xh_to_h: Linear;
  constructor(c: ModelConfig, gen: Generator) {
    super();
    this.xh_to_h = new Linear(c.nEmbd + c.nEmbd2, c.nEmbd2, { generator: gen });
  }
  step(x: Tensor, [hPrev]: Tensor[]): Tensor[] {
    return [this.xh_to_h.forward(cat([x, hPrev], 1)).tanh()]; // (B, nEmbd2)
  }
}

export function createRNN(c: ModelConfig, gen: Generator): RecurrentLM<RNNCell> {
  return new RecurrentLM(c, new RNNCell(c, gen), gen);
}
