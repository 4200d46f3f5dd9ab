import { GradpathError } from '../../util/errors.js';
import { record } from '../autograd.js';
import { syncHost } from '../device.js';
import { numel, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { floatsUninit } from '../pool.js';
import { windowKernels } from './window.js';

/**
 * Batch norm over the channels (dim 1) of x (N, C, ...), fused: one kernel for the forward and
 * one for the backward instead of a dozen tensor ops (a conv net's activations are its biggest
 * tensors). Training uses the batch's statistics and updates the running ones in place
 * (momentum, unbiased variance, as PyTorch); eval mode uses the running ones.
 */
export function batchNormChannels(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
  training: boolean, momentum = 0.1, eps = 1e-5): Tensor {
  if (x.ndim < 2) throw new GradpathError(`batch_norm: expects input (N, C, ...); got ${shapeStr(x.shape)}`);
  const N = x.shape[0], C = x.shape[1], L = numel(x.shape.slice(2));
  for (const [name, p] of [['weight', weight], ['bias', bias], ['running_mean', runningMean], ['running_var', runningVar]] as const) {
    if (p && (p.ndim !== 1 || p.shape[0] !== C)) throw new GradpathError(`batch_norm: ${name} ${shapeStr(p.shape)} does not match the ${C} channels of ${shapeStr(x.shape)}`);
  }
  const mean = new Float32Array(C), rstd = new Float32Array(C);
  if (!training) {
    if (!runningMean || !runningVar) throw new GradpathError('batch_norm: eval mode needs running statistics');
    const rm = runningMean.floatValues(), rv = runningVar.floatValues();
    for (let c = 0; c < C; c++) {
      mean[c] = rm[c];
      rstd[c] = 1 / Math.sqrt(rv[c] + eps);
    }
  } else if (N * L <= 1) {
    throw new GradpathError(`batch_norm: needs more than one value per channel in training; got input ${shapeStr(x.shape)}`);
  }
  const xv = x.floatValues();
  const out = floatsUninit(xv.length);
  windowKernels().batchNorm(xv, N, C, L, weight?.floatValues() ?? null, bias?.floatValues() ?? null, eps, training, mean, rstd, out);
  if (training && runningMean && runningVar) {
    syncHost(mean); // the kernel wrote them (on a device backend, on the device)
    syncHost(rstd);
    const n = N * L, rm = runningMean.data, rv = runningVar.data;
    for (let c = 0; c < C; c++) {
      const biasedVar = 1 / (rstd[c] * rstd[c]) - eps;
      rm[c] = (1 - momentum) * rm[c] + momentum * mean[c];
      rv[c] = (1 - momentum) * rv[c] + momentum * biasedVar * (n / (n - 1));
    }
  }
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(new Tensor(out, [...x.shape]), 'batchNormChannels', inputs,
    { xv, N, C, L, batchStats: training, mean, rstd, hasWeight: !!weight, hasBias: !!bias });
}
