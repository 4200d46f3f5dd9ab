import { Tensor } from '../engine/tensor.js';
import { conv2d } from '../engine/ops/conv.js';
import { maxPool2d, avgPool2d } from '../engine/ops/pool.js';
import { batchNormChannels } from '../engine/ops/batchnorm.js';
import { flatten } from '../engine/ops/view.js';
import { pair, type Pair } from '../engine/ops/window.js';
import type { Generator } from '../util/random.js';
import { Module } from './module.js';
import { BatchNormBase, uniform } from './layers.js';

/** The layers of convolutional networks, with PyTorch's names, parameter layouts and initialisation. */

/** weight (out, in/groups, kh, kw), bias (out); uniform(+-1/sqrt(fan_in)) as PyTorch's default. */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair,
    readonly opts: { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number; bias?: boolean; generator?: Generator } = {}) {
    super();
    this.kernelSize = pair('Conv2d', 'kernel_size', kernelSize, 1);
    const groups = opts.groups ?? 1;
    const fanIn = (inChannels / groups) * this.kernelSize[0] * this.kernelSize[1];
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = uniform([outChannels, inChannels / groups, ...this.kernelSize], bound, opts.generator);
    this.bias = opts.bias === false ? null : uniform([outChannels], bound, opts.generator);
  }
  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.opts;
    return conv2d(x, this.weight, this.bias, { stride, padding, dilation, groups }); // (N, C, H, W) -> (N, out, OH, OW)
  }
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: { stride?: Pair; padding?: Pair; dilation?: Pair } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.opts);
  }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: { stride?: Pair; padding?: Pair } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.opts);
  }
}

/** Batch norm over the channels of (N, C, H, W), with running statistics for eval mode. */
export class BatchNorm2d extends BatchNormBase {
  forward(x: Tensor): Tensor {
    return batchNormChannels(x, this.running_mean, this.running_var, this.weight, this.bias, this.training, this.momentum, this.eps);
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim), as nn.Flatten. */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
