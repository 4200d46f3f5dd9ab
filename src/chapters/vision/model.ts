import { GradpathError } from '../../util/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import { Module } from '../../nn/module.js';
import { Linear, Dropout, ReLU, Sequential, type Layer } from '../../nn/layers.js';
import { Conv2d, MaxPool2d, BatchNorm2d, Flatten } from '../../nn/conv.js';
import type { Generator } from '../../util/random.js';

/**
 * The chapter's networks for 28x28 grey images and 10 classes:
 * - cnn: AlexNet's shape at Fashion-MNIST's scale: blocks of conv 3x3 -> BatchNorm -> ReLU ->
 *   max-pool 2x2 that halve the image and widen the channels, then dropout and two fully
 *   connected layers (AlexNet: 5 conv + 3 FC layers on 224x224x3; here 2 + 2 on 28x28x1);
 * - mlp: the baseline that sees the image as 784 unrelated numbers;
 * - resnet / plain: a small net of residual blocks, with and without the skip connections, for
 *   the loss-landscape pictures (Li et al. 2018 compare exactly these).
 */
export const MODELS = ['cnn', 'mlp', 'resnet', 'plain'] as const;
export type ModelName = (typeof MODELS)[number];

export interface ModelConfig {
  model: ModelName;
  /** Channels of the first conv block (doubled by the next); hidden width of the MLP's first layer. */
  width: number;
  /** Width of the fully connected hidden layer. */
  hidden: number;
  /** Dropout before each fully connected layer (cnn, mlp). */
  dropout: number;
  /** Residual blocks per stage (resnet, plain). */
  depth: number;
}

export const DEFAULT_MODEL: Record<ModelName, ModelConfig> = {
  cnn: { model: 'cnn', width: 16, hidden: 128, dropout: 0.25, depth: 0 },
  mlp: { model: 'mlp', width: 256, hidden: 128, dropout: 0.1, depth: 0 },
  resnet: { model: 'resnet', width: 8, hidden: 0, dropout: 0, depth: 2 },
  plain: { model: 'plain', width: 8, hidden: 0, dropout: 0, depth: 2 },
};

/** A network with its layers named, so pictures can ask for a layer's activations. */
export interface VisionNet extends Module, Layer {
  /** The input passed through the network, keeping every named stage's output (for activation maps). */
  trace(x: Tensor): { name: string; out: Tensor }[];
  /** The name of the last hidden representation (for nearest neighbours). */
  readonly embeddingStage: string;
}

/** Sequential stages with names: forward runs them in order, trace keeps each one's output. */
class Stages extends Module implements VisionNet {
  stages: Sequential[];
  constructor(private readonly names: string[], stages: Sequential[], readonly embeddingStage: string) {
    super();
    this.stages = stages;
  }
  forward(x: Tensor): Tensor {
    for (const s of this.stages) x = s.forward(x);
    return x;
  }
  trace(x: Tensor): { name: string; out: Tensor }[] {
    return this.stages.map((s, i) => ({ name: this.names[i], out: (x = s.forward(x)) }));
  }
}

/** conv 3x3 (padding 1) -> BatchNorm -> ReLU, optionally a 2x2 max-pool. */
function convBlock(cin: number, cout: number, gen: Generator, pool: boolean): Sequential {
  const layers = [new Conv2d(cin, cout, 3, { padding: 1, bias: false, generator: gen }), new BatchNorm2d(cout), new ReLU()];
  return new Sequential(...layers, ...(pool ? [new MaxPool2d(2)] : []));
}

/** Two 3x3 conv + BatchNorm layers with (or without) the input added back before the last ReLU. */
export class ResidualBlock extends Module implements Layer {
  conv1: Conv2d; bn1: BatchNorm2d; conv2: Conv2d; bn2: BatchNorm2d;
  constructor(channels: number, readonly skip: boolean, gen: Generator) {
    super();
    this.conv1 = new Conv2d(channels, channels, 3, { padding: 1, bias: false, generator: gen });
    this.bn1 = new BatchNorm2d(channels);
    this.conv2 = new Conv2d(channels, channels, 3, { padding: 1, bias: false, generator: gen });
    this.bn2 = new BatchNorm2d(channels);
  }
  forward(x: Tensor): Tensor {
    const y = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu())); // (N, C, H, W)
    return (this.skip ? y.add(x) : y).relu();
  }
}

export function buildModel(c: ModelConfig, gen: Generator): VisionNet {
  const { width: w, hidden, dropout } = c;
  switch (c.model) {
    case 'cnn':
      return new Stages(['block1', 'block2', 'fc1', 'logits'], [
        convBlock(1, w, gen, true), // (N, 1, 28, 28) -> (N, w, 14, 14)
        convBlock(w, 2 * w, gen, true), // -> (N, 2w, 7, 7)
        new Sequential(new Flatten(), new Dropout(dropout, gen), new Linear(2 * w * 49, hidden, { generator: gen }), new ReLU()), // -> (N, hidden)
        new Sequential(new Dropout(dropout, gen), new Linear(hidden, 10, { generator: gen })), // -> (N, 10)
      ], 'fc1');
    case 'mlp':
      return new Stages(['fc1', 'fc2', 'logits'], [
        new Sequential(new Flatten(), new Linear(784, w, { generator: gen }), new ReLU()), // (N, 1, 28, 28) -> (N, w)
        new Sequential(new Dropout(dropout, gen), new Linear(w, hidden, { generator: gen }), new ReLU()), // -> (N, hidden)
        new Sequential(new Dropout(dropout, gen), new Linear(hidden, 10, { generator: gen })), // -> (N, 10)
      ], 'fc2');
    case 'resnet':
    case 'plain': {
      if (c.depth < 1) throw new GradpathError(`--depth must be at least 1 for ${c.model}`);
      const skip = c.model === 'resnet';
      const stage = (ch: number) => Array.from({ length: c.depth }, () => new ResidualBlock(ch, skip, gen));
      return new Stages(['stem', 'stage1', 'stage2', 'logits'], [
        convBlock(1, w, gen, true), // (N, 1, 28, 28) -> (N, w, 14, 14)
        new Sequential(...stage(w), new MaxPool2d(2)), // -> (N, w, 7, 7)
        new Sequential(convBlock(w, 2 * w, gen, false), ...stage(2 * w), new Flatten()), // -> (N, 2w*49)
        new Sequential(new Linear(2 * w * 49, 10, { generator: gen })), // -> (N, 10)
      ], 'stage2');
    }
  }
}
