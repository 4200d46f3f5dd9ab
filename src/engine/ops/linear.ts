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
  const [n, k] = checkLinear('linear', x, weight, bias);
  if (!bias || !backend.linear || x.dtype !== 'float32') {
    const y = x.matmul(weight.T);
    return bias ? y.add(bias) : y;
  }
  const rows = x.numel() / k;
  const out = new Tensor(floatsUninit(rows * n), [...x.shape.slice(0, -1), n]);
  backend.linear(x.kernelFloats(), weight.kernelFloats(), bias.kernelFloats(), out.storage as Float32Array, rows, k, n);
  return record(out, 'linear', [x, weight, bias]);
}

/** (out, in) of weight, after checking that x, weight and bias fit together. */
function checkLinear(what: string, x: Tensor, weight: Tensor, bias: Tensor | null): [number, number] {
  const [n, k] = weight.shape;
  if (weight.ndim !== 2 || x.ndim < 1 || x.shape[x.ndim - 1] !== k || (bias && (bias.ndim !== 1 || bias.shape[0] !== n))) {
    throw new GradpathError(`${what}: input ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)} and bias ${bias ? shapeStr(bias.shape) : 'none'} do not fit (weight is (out, in))`);
  }
  return [n, k];
}

/**
 * gelu(linear(x, weight, bias)), the first half of a transformer's MLP. Where the backend has
 * the fused kernels (native), one call forward and, backward, the GELU's and the bias's
 * gradients in one pass (biasGeluBackward) before the two matmuls; one graph node keeping the
 * pre-activation and GELU's tanh values. Otherwise linear then gelu, the same math.
 */
export function linearGelu(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const backend = getBackend();
  const [n, k] = checkLinear('linear_gelu', x, weight, bias);
  if (!backend.linearGelu || x.dtype !== 'float32') return linear(x, weight, bias).gelu();
  const rows = x.numel() / k;
  const pre = floatsUninit(rows * n), th = floatsUninit(rows * n);
  const out = new Tensor(floatsUninit(rows * n), [...x.shape.slice(0, -1), n]); // (..., n)
  backend.linearGelu(x.floatValues(), weight.floatValues(), bias ? bias.floatValues() : null, pre, out.data as Float32Array, th, rows, k, n);
  return record(out, 'linearGelu', bias ? [x, weight, bias] : [x, weight], { pre, th, rows, n });
}
