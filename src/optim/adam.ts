import type { Tensor } from '../engine/tensor.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

export interface AdamOptions { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number }

/**
 * Adam (Kingma & Ba) with bias correction. `decoupled` selects AdamW (Loshchilov & Hutter):
 * weight decay shrinks the weights directly instead of being added to the gradient.
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  protected decoupled = false;
  constructor(params: Tensor[] | ParamGroup[], opts: AdamOptions = {}) {
    super(params, { lr: opts.lr ?? 1e-3, weightDecay: opts.weightDecay ?? 0 });
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
  }
  protected bufferNames(): string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }
  protected update(p: Float32Array, g: Float32Array, s: Record<string, Float32Array>, lr: number, wd: number): void {
    const { beta1: b1, beta2: b2, eps } = this;
    const m = s.exp_avg, v = s.exp_avg_sq;
    const c1 = 1 - Math.pow(b1, this.stepCount), c2 = 1 - Math.pow(b2, this.stepCount);
    const stepSize = lr / c1, invSqrtC2 = 1 / Math.sqrt(c2);
    const decay = this.decoupled ? 1 - lr * wd : 1;
    const l2 = this.decoupled ? 0 : wd;
    const ob1 = 1 - b1, ob2 = 1 - b2;
    // hot loop over every parameter: constants hoisted, each array read once and written once
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] + l2 * p[i];
      const mi = b1 * m[i] + ob1 * gi;
      const vi = b2 * v[i] + ob2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + eps);
    }
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01, as in PyTorch). */
export class AdamW extends Adam {
  constructor(params: Tensor[] | ParamGroup[], opts: AdamOptions = {}) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 0.01 });
    this.decoupled = true;
  }
}
