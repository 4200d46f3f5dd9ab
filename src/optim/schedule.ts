import { GradpathError } from '../util/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { getBackend } from '../engine/device.js';
import * as composed from '../backends/reference/fused.js';

/** Learning-rate schedules: pure functions from step to learning rate. */
export type Schedule = (step: number) => number;

export function constantLR(lr: number): Schedule {
  return () => lr;
}

/** Multiplies lr by gamma every stepSize steps. */
export function stepLR(lr: number, stepSize: number, gamma = 0.1): Schedule {
  return (step) => lr * Math.pow(gamma, Math.floor(step / stepSize));
}

/** Linear warmup to maxLr over warmupSteps, then cosine decay to minLr at decaySteps, then minLr (nanoGPT's). */
export function cosineWithWarmup(opts: { maxLr: number; minLr: number; warmupSteps: number; decaySteps: number }): Schedule {
  const { maxLr, minLr, warmupSteps, decaySteps } = opts;
  return (step) => {
    if (step < warmupSteps) return (maxLr * (step + 1)) / warmupSteps;
    if (step >= decaySteps) return minLr;
    const ratio = (step - warmupSteps) / Math.max(1, decaySteps - warmupSteps);
    return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (maxLr - minLr);
  };
}

/** Linear decay from `from` to `to` over `steps` (micrograd's and the bigram lecture's). */
export function linearLR(from: number, to: number, steps: number): Schedule {
  return (step) => from + (to - from) * Math.min(1, step / Math.max(1, steps));
}

/**
 * The global L2 norm of the parameters' gradients: one backend pass each (in place when they lie
 * in wasm memory), summed on the backend where it can (a device backend then reads back one
 * float per call, not one per parameter).
 */
export function gradNorm(params: Tensor[]): number {
  const backend = getBackend();
  const grads = params.flatMap((p) => (p.grad ? [p.grad.storage as Float32Array] : []));
  return Math.sqrt(backend.sumSquaresMany ? backend.sumSquaresMany(grads) : composed.sumSquaresMany(backend, grads));
}

/** Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  if (!(maxNorm > 0)) throw new GradpathError(`clip_grad_norm: max norm must be positive; got ${maxNorm}`);
  const norm = gradNorm(params);
  if (norm > maxNorm) scaleGrads(params, maxNorm / (norm + 1e-6));
  return norm;
}

/** Multiplies every gradient by `factor` in place (clipping; a distributed step computes the norm over ranks first). */
export function scaleGrads(params: Tensor[], factor: number): void {
  const backend = getBackend();
  const scale = Float32Array.of(factor);
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad.storage as Float32Array;
    backend.binary('mul', g, [1], scale, [0], g, [g.length]);
  }
}
