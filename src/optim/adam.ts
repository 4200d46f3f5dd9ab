import type { Tensor } from '../engine/tensor.js';
import { Optimizer, type ParamGroup } from './optimizer.js';
import { getBackend } from '../engine/device.js';
import type { AdamStep } from '../backends/backend.js';

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
    getBackend().adam(p, g, s.exp_avg, s.exp_avg_sq, this.scalars(lr, wd));
  }

  /** Where the backend updates many tensors in one call (native: adamMany), every parameter at once. */
  override step(): void {
    const be = getBackend();
    if (!be.adamMany) return super.step();
    this.stepCount++;
    const p: Float32Array[] = [], g: Float32Array[] = [], m: Float32Array[] = [], v: Float32Array[] = [], steps: AdamStep[] = [];
    for (const group of this.groups) {
      const s = this.scalars(group.lr, group.weightDecay);
      for (const t of group.params) {
        if (!t.grad) continue;
        const b = this.buffers(t);
        p.push(t.data as Float32Array); g.push(t.grad.data as Float32Array); m.push(b.exp_avg); v.push(b.exp_avg_sq); steps.push(s);
      }
    }
    be.adamMany(p, g, m, v, steps);
  }

  /** This step's scalars for a group with learning rate lr and weight decay wd (bias corrections folded in). */
  private scalars(lr: number, wd: number): AdamStep {
    const c1 = 1 - Math.pow(this.beta1, this.stepCount), c2 = 1 - Math.pow(this.beta2, this.stepCount);
    return {
      beta1: this.beta1, beta2: this.beta2, eps: this.eps, stepSize: lr / c1, invSqrtC2: 1 / Math.sqrt(c2),
      decay: this.decoupled ? 1 - lr * wd : 1, l2: this.decoupled ? 0 : wd,
    };
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01, as in PyTorch). */
export class AdamW extends Adam {
  constructor(params: Tensor[] | ParamGroup[], opts: AdamOptions = {}) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 0.01 });
    this.decoupled = true;
  }
}
