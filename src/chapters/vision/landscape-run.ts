import { crossEntropy } from '../../engine/ops/nn.js';
import { Generator } from '../../util/random.js';
import type { FashionMnist } from '../../data/fashion-mnist.js';
import { weightsLoss } from '../../train/landscape/weights.js';
import type { LandscapeSubject } from '../../train/landscape/run.js';
import { buildModel, DEFAULT_MODEL, type ModelName } from './model.js';
import { splitTrain, trainVision, type VisionConfig } from './train.js';
import { batchOf, pixelStats } from './data.js';

/**
 * The vision chapter's networks as subjects of `gradpath vision landscape` (the measuring and
 * drawing is shared: train/landscape/): by default the small ResNet and the same net without its
 * skip connections, trained briefly with AdamW and no weight decay, the loss measured on a fixed
 * batch of training images.
 */
export interface VisionLandscapeConfig {
  width: number;
  /** Residual blocks per stage (resnet, plain). */
  depth: number;
  steps: number;
  lr: number;
  batchSize: number;
  /** Training images in the fixed batch the loss is measured on. */
  probe: number;
  /** Use only the first this many training images (0: all), so deep nets can be compared quickly. */
  subset: number;
}

const LABEL: Record<string, string> = { resnet: 'with skip connections (resnet)', plain: 'without (plain)' };

/** The training images used: a subset when asked for, and Fashion-MNIST's usual 5000 held out (fewer for a small set). */
function dataOf(data: FashionMnist, subset: number): { data: FashionMnist; valSize: number } {
  const count = subset > 0 ? Math.min(subset, data.train.count) : data.train.count;
  const px = data.train.height * data.train.width;
  const train = { ...data.train, count, images: data.train.images.subarray(0, count * px), labels: data.train.labels.subarray(0, count) };
  return { data: { ...data, train }, valSize: Math.min(5000, Math.floor(count / 6)) };
}

/** The layers a resnet/plain net of this depth has: a stem conv, two convs per block, the conv between stages, the head. */
export function layerCount(model: ModelName, depth: number): number {
  return model === 'resnet' || model === 'plain' ? 1 + 2 * depth + 1 + 2 * depth + 1 : NaN;
}

export function visionSubject(all: FashionMnist, c: VisionLandscapeConfig, name: ModelName, seed: number): LandscapeSubject {
  const { data, valSize } = dataOf(all, c.subset);
  const config: VisionConfig = { ...DEFAULT_MODEL[name], model: name, width: c.width, depth: c.depth, steps: c.steps, batchSize: c.batchSize, lr: c.lr, weightDecay: 0, warmupSteps: Math.min(50, Math.floor(c.steps / 10)), seed, evalEvery: c.steps, valSize, augment: false };
  const model = buildModel(config, new Generator(seed));
  const { train } = splitTrain(data.train, valSize);
  const { x, y } = batchOf(train, Array.from({ length: Math.min(c.probe, train.count) }, (_, i) => i), pixelStats(train));
  const layers = layerCount(name, c.depth);
  return {
    name, model, steps: c.steps,
    label: `${LABEL[name] ?? name}${Number.isNaN(layers) ? '' : `, ${layers} layers`}`,
    train: async (onStep) => {
      const r = await trainVision(data, config, { model, onStep: (_m, step) => onStep(step) });
      return { 'val acc': `${(100 * r.best).toFixed(2)}%`, 'test acc': `${(100 * r.testAcc).toFixed(2)}%` };
    },
    loss: weightsLoss(model, () => crossEntropy(model.forward(x), y)),
  };
}
