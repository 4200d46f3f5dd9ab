import type { Tensor } from '../engine/tensor.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

/** SGD with optional momentum and (L2, coupled) weight decay, as torch.optim.SGD. */
export class SGD extends Optimizer {
  readonly momentum: number;
  constructor(params: Tensor[] | ParamGroup[], opts: { lr: number; momentum?: number; weightDecay?: number }) {
    super(params, { lr: opts.lr, weightDecay: opts.weightDecay ?? 0 });
    this.momentum = opts.momentum ?? 0;
  }
  protected bufferNames(): string[] {
    return this.momentum ? ['momentum_buffer'] : [];
  }
  protected update(p: Float32Array, g: Float32Array, s: Record<string, Float32Array>, lr: number, wd: number): void {
    const buf = s.momentum_buffer;
    const first = this.stepCount === 1;
    for (let i = 0; i < p.length; i++) {
      let d = g[i] + wd * p[i];
      if (buf) {
        buf[i] = first ? d : this.momentum * buf[i] + d;
        d = buf[i];
      }
      p[i] -= lr * d;
    }
  }
}
