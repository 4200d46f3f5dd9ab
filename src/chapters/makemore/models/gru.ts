import type { Tensor } from '../../../engine/tensor.js';
import type { Generator } from '../../../util/random.js';
import { cat } from '../../../engine/ops/view.js';
import { Module } from '../../../nn/module.js';
import { Linear } from '../../../nn/layers.js';
import { RecurrentLM, type Cell } from './recurrent.js';
import type { ModelConfig } from './types.js';

/**
 * The GRU cell (Cho et al. 2014), in makemore's form: an update gate z decides how much of the
 * state to replace, a reset gate r how much of the old state the candidate may look at. The
 * additive update lets gradients pass through many steps, which a tanh RNN struggles with.
 */
export class GRUCell extends Module implements Cell {
  readonly stateSize = 1;
  xh_to_z: Linear;
  xh_to_r: Linear;
  xh_to_hbar: Linear;
  constructor(c: ModelConfig, gen: Generator) {
    super();
    const n = c.nEmbd + c.nEmbd2;
    this.xh_to_z = new Linear(n, c.nEmbd2, { generator: gen });
    this.xh_to_r = new Linear(n, c.nEmbd2, { generator: gen });
    this.xh_to_hbar = new Linear(n, c.nEmbd2, { generator: gen });
  }
  step(x: Tensor, [hPrev]: Tensor[]): Tensor[] {
    const xh = cat([x, hPrev], 1); // (B, nEmbd + nEmbd2)
    const r = this.xh_to_r.forward(xh).sigmoid();
    const z = this.xh_to_z.forward(xh).sigmoid();
    const hbar = this.xh_to_hbar.forward(cat([x, r.mul(hPrev)], 1)).tanh(); // the candidate
    return [hPrev.add(z.mul(hbar.sub(hPrev)))]; // (1 - z) * hPrev + z * hbar
  }
}

export function createGRU(c: ModelConfig, gen: Generator): RecurrentLM<GRUCell> {
  return new RecurrentLM(c, new GRUCell(c, gen), gen);
}
