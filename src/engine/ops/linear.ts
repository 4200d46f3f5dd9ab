import { GradpathError } from '../../util/errors.js';
import { record } from '../autograd.js';
import { getBackend } from '../device.js';
import { shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { floatsUninit } from '../pool.js';

/**
 * F.linear: x (..., in) @ weight^T + bias, weight (out, in), bias (out) -> (..., out). Where the
 * backend has the fused kernel (native: the bias is the GEMM's starting value, as PyTorch's
 * addmm), one pass and one graph node; otherwise a matmul and a broadcast add. The backward is
 * the same either way: dx = g W, dW = g^T x, db = the sum of g's rows.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const backend = getBackend();
  const [n, k] = weight.shape;
  if (weight.ndim !== 2 || x.ndim < 1 || x.shape[x.ndim - 1] !== k || (bias && (bias.ndim !== 1 || bias.shape[0] !== n))) {
    throw new GradpathError(`linear: input ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)} and bias ${bias ? shapeStr(bias.shape) : 'none'} do not fit (weight is (out, in))`);
  }
  if (!bias || !backend.linear || x.dtype !== 'float32') {
    const y = x.matmul(weight.T);
    return bias ? y.add(bias) : y;
  }
  const rows = x.numel() / k;
  const out = new Tensor(floatsUninit(rows * n), [...x.shape.slice(0, -1), n]);
  backend.linear(x.kernelFloats(), weight.kernelFloats(), bias.kernelFloats(), out.storage as Float32Array, rows, k, n);
  return record(out, 'linear', [x, weight, bias]);
}
