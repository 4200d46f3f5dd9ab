import { GradpathError } from '../../util/errors.js';
import { record } from '../autograd.js';
import { getBackend } from '../device.js';
import { batchNormRunningStats } from '../../backends/reference/batchnorm.js';
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
  const be = getBackend();
  // the statistics stay where the kernels put them (on a device backend, on the device)
  let mean = floatsUninit(C), rstd = floatsUninit(C);
  if (!training) {
    if (!runningMean || !runningVar) throw new GradpathError('batch_norm: eval mode needs running statistics');
    be.copyStrided(runningMean.kernelFloats(), [C], [1], 0, mean); // a copy: the backward's constants
    rstd = runningVar.add(eps).sqrt().pow(-1).kernelFloats();
  } else if (N * L <= 1) {
    throw new GradpathError(`batch_norm: needs more than one value per channel in training; got input ${shapeStr(x.shape)}`);
  }
  const xv = x.kernelFloats();
  const out = floatsUninit(xv.length);
  windowKernels().batchNorm(xv, N, C, L, weight?.kernelFloats() ?? null, bias?.kernelFloats() ?? null, eps, training, mean, rstd, out);
  if (training && runningMean && runningVar) {
    const update = be.batchNormRunningStats?.bind(be) ?? batchNormRunningStats;
    update(mean, rstd, C, N * L, eps, momentum, bufferStorage(runningMean), bufferStorage(runningVar));
  }
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(new Tensor(out, [...x.shape]), 'batchNormChannels', inputs,
    { xv, N, C, L, batchStats: training, mean, rstd, hasWeight: !!weight, hasBias: !!bias });
}

/** A running statistic's storage, updated in place by the backend (a buffer is one contiguous array). */
function bufferStorage(t: Tensor): Float32Array {
  if (!t.isContiguous() || t.dtype !== 'float32') throw new GradpathError(`batch_norm: running statistics must be contiguous float32 tensors; got ${shapeStr(t.shape)} ${t.dtype}`);
  return t.kernelFloats();
}
