import type { Window2d, WindowKernels } from '../../backends/backend.js';
import { referenceWindowKernels } from '../../backends/reference/index.js';
import { GradpathError } from '../../util/errors.js';
import { getBackend } from '../device.js';
import { shapeStr } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** The active backend's window kernels (im2col, pooling, batch norm), the reference ones where it has none. */
export function windowKernels(): WindowKernels {
  const b = getBackend();
  return b.im2col ? (b as unknown as WindowKernels) : referenceWindowKernels;
}

/** An int or an (h, w) pair, as PyTorch's kernel_size, stride, padding and dilation. */
export type Pair = number | readonly [number, number];

export function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= min)) throw new GradpathError(`${op}: ${name} must be a whole number >= ${min} (or a pair of them); got ${typeof v === 'number' ? v : `(${v.join(', ')})`}`);
  return p;
}

/** The window geometry of an op over x (N, C, H, W), checked: every output dim at least 1. */
export function window2d(op: string, x: Tensor, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair): Window2d {
  if (x.ndim !== 4) throw new GradpathError(`${op}: expects input (N, C, H, W); got ${shapeStr(x.shape)} (add a batch dim with unsqueeze(0))`);
  const [N, C, H, W] = x.shape;
  const [kh, kw] = pair(op, 'kernel_size', kernel, 1);
  const [sh, sw] = pair(op, 'stride', stride, 1);
  const [ph, pw] = pair(op, 'padding', padding, 0);
  const [dh, dw] = pair(op, 'dilation', dilation, 1);
  const OH = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  if (OH < 1 || OW < 1) {
    throw new GradpathError(`${op}: a ${kh}x${kw} window (dilation ${dh}x${dw}, padding ${ph}x${pw}) does not fit the ${H}x${W} input ${shapeStr(x.shape)}`);
  }
  return { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW };
}
