import type { Tensor } from '../../../engine/tensor.js';
import type { Generator } from '../../../util/random.js';
import { cat } from '../../../engine/ops/view.js';
import { Module } from '../../../nn/module.js';
import { Linear } from '../../../nn/layers.js';
import { RecurrentLM, type Cell } from './recurrent.js';
import type { ModelConfig } from './types.js';

/**
 * The LSTM cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al.): besides h
 * it carries a cell state c that is only ever scaled (forget gate f) and added to (input gate i
 * times candidate g), so information and gradients survive many steps; h = o * tanh(c) is what
 * the rest of the network sees. The four gates come out of one Linear, in the order i, f, g, o.
 */
export class LSTMCell extends Module implements Cell {
  readonly stateSize = 2;
  xh_to_gates: Linear;
  constructor(c: ModelConfig, gen: Generator) {
    super();
    this.xh_to_gates = new Linear(c.nEmbd + c.nEmbd2, 4 * c.nEmbd2, { generator: gen });
    // forget-gate bias 1: start by remembering (Jozefowicz et al. 2015)
    const b = this.xh_to_gates.bias!.data as Float32Array;
    b.fill(1, c.nEmbd2, 2 * c.nEmbd2);
  }
  step(x: Tensor, [hPrev, cPrev]: Tensor[]): Tensor[] {
    const gates = this.xh_to_gates.forward(cat([x, hPrev], 1)); // (B, 4 * nEmbd2)
    const [i, f, g, o] = gates.chunk(4, 1);
    const c = f.sigmoid().mul(cPrev).add(i.sigmoid().mul(g.tanh())); // (B, nEmbd2)
    const h = o.sigmoid().mul(c.tanh());
    return [h, c];
  }
}

export function createLSTM(c: ModelConfig, gen: Generator): RecurrentLM<LSTMCell> {
  return new RecurrentLM(c, new LSTMCell(c, gen), gen);
}
