import { GradpathError } from '../util/errors.js';
import type { Tensor } from '../engine/tensor.js';
import type { StateDict } from '../io/checkpoint.js';
import { makeResident, residentFloats } from '../engine/resident.js';
import { syncHost } from '../engine/device.js';

/** A group of parameters sharing hyperparameters (e.g. no weight decay for biases and norms). */
export interface ParamGroup {
  params: Tensor[];
  lr?: number;
  weightDecay?: number;
}

interface ResolvedGroup { params: Tensor[]; lr: number; weightDecay: number }

/**
 * Base optimizer: parameter groups, zeroGrad, and per-parameter state (moment buffers) that
 * saves to and loads from a state dict keyed `<buffer>.<index>`, so checkpoints resume exactly.
 */
export abstract class Optimizer {
  readonly groups: ResolvedGroup[];
  /** Number of step() calls so far. */
  stepCount = 0;
  protected readonly state = new Map<Tensor, Record<string, Float32Array>>();

  constructor(params: Tensor[] | ParamGroup[], defaults: { lr: number; weightDecay: number }) {
    const groups: ParamGroup[] = params.length && !(params[0] as ParamGroup).params ? [{ params: params as Tensor[] }] : (params as ParamGroup[]);
    this.groups = groups.map((g) => ({ params: g.params, lr: g.lr ?? defaults.lr, weightDecay: g.weightDecay ?? defaults.weightDecay }));
    for (const g of this.groups) {
      if (!(g.lr >= 0)) throw new GradpathError(`optimizer: learning rate must be non-negative; got ${g.lr}`);
      for (const p of g.params) if (!p.requiresGrad) throw new GradpathError('optimizer: every parameter must require grad');
    }
    // parameters (and, in buffers(), their moments) live where the kernels update them in place
    makeResident(this.allParams());
  }

  /** Sets the learning rate of every group (schedules call this each step). */
  setLearningRate(lr: number): void {
    for (const g of this.groups) g.lr = lr;
  }

  get lr(): number {
    return this.groups[0]?.lr ?? 0;
  }

  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.zeroGrad();
  }

  step(): void {
    this.stepCount++;
    for (const g of this.groups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        this.update(p.storage as Float32Array, p.grad.storage as Float32Array, this.buffers(p), g.lr, g.weightDecay);
      }
    }
  }

  /** Updates one parameter in place from its gradient. */
  protected abstract update(param: Float32Array, grad: Float32Array, state: Record<string, Float32Array>, lr: number, weightDecay: number): void;

  /** Names of the per-parameter buffers this optimizer keeps (for state dicts). */
  protected abstract bufferNames(): string[];

  protected buffers(p: Tensor): Record<string, Float32Array> {
    let s = this.state.get(p);
    if (!s) {
      s = Object.fromEntries(this.bufferNames().map((n) => [n, residentFloats(p.numel())]));
      this.state.set(p, s);
    }
    return s;
  }

  private allParams(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  stateDict(): StateDict {
    const out: StateDict = { step: { shape: [], data: Float32Array.of(this.stepCount) } };
    this.allParams().forEach((p, i) => {
      const s = this.state.get(p);
      if (s) {
        for (const [name, buf] of Object.entries(s)) {
          syncHost(buf); // the moments may live on a device
          out[`${name}.${i}`] = { shape: [...p.shape], data: buf };
        }
      }
    });
    return out;
  }

  loadStateDict(sd: StateDict): void {
    this.stepCount = sd.step ? sd.step.data[0] : 0;
    this.allParams().forEach((p, i) => {
      for (const name of this.bufferNames()) {
        const src = sd[`${name}.${i}`];
        if (!src) continue;
        if (src.data.length !== p.numel()) throw new GradpathError(`optimizer state '${name}.${i}' has ${src.data.length} values but the parameter has ${p.numel()}`);
        const buf = this.buffers(p)[name];
        syncHost(buf, true);
        buf.set(src.data as Float32Array);
      }
    });
  }
}
