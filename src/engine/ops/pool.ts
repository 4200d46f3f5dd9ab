import { record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { floatsUninit } from '../pool.js';
import { window2d, windowKernels, type Pair } from './window.js';

/** 2-D pooling over x (N, C, H, W), as torch.nn.functional.max_pool2d and avg_pool2d. */

export interface Pool2dOptions {
  /** Default: the kernel size (windows that do not overlap). */
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}

/** The max of each window -> (N, C, OH, OW); the gradient goes to the position that won. */
export function maxPool2d(x: Tensor, kernelSize: Pair, opts: Pool2dOptions = {}): Tensor {
  const win = window2d('max_pool2d', x, kernelSize, opts.stride ?? kernelSize, opts.padding ?? 0, opts.dilation ?? 1);
  const n = win.N * win.C * win.OH * win.OW;
  const out = floatsUninit(n), idx = new Int32Array(n);
  windowKernels().maxPool2d(x.kernelFloats(), win, out, idx);
  return record(new Tensor(out, [win.N, win.C, win.OH, win.OW]), 'maxPool2d', [x], { win, idx });
}

/** The mean of each window, zero padding included in the count -> (N, C, OH, OW). */
export function avgPool2d(x: Tensor, kernelSize: Pair, opts: Omit<Pool2dOptions, 'dilation'> = {}): Tensor {
  const win = window2d('avg_pool2d', x, kernelSize, opts.stride ?? kernelSize, opts.padding ?? 0, 1);
  const out = floatsUninit(win.N * win.C * win.OH * win.OW);
  windowKernels().avgPool2d(x.kernelFloats(), win, out);
  return record(new Tensor(out, [win.N, win.C, win.OH, win.OW]), 'avgPool2d', [x], win);
}
