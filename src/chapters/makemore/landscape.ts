import { AdamW } from '../../optim/adam.js';
import { cosineWithWarmup } from '../../optim/schedule.js';
import { trainLoop } from '../../train/loop.js';
import { weightsLoss } from '../../train/landscape/weights.js';
import type { LandscapeSubject } from '../../train/landscape/run.js';
import { Generator } from '../../util/random.js';
import type { Split } from './data.js';
import { createModel, TYPE_DEFAULTS } from './models/index.js';
import { evaluate } from './train.js';

/**
 * makemore's MLP (Bengio et al. 2003: 3 characters embedded, tanh hidden layer) as a subject of
 * the shared loss-landscape measurements (train/landscape/), for `gradpath vision landscape
 * --models makemore-mlp`: trained as `gradpath makemore --type mlp` trains it (AdamW, betas
 * 0.9/0.99, cosine to a tenth) but for fewer steps and without a run directory; the loss is the
 * mean cross-entropy per character on the first `probe` training names.
 */
export interface MlpLandscapeConfig {
  steps: number;
  /** Peak learning rate (0: makemore's MLP default). */
  lr: number;
  batchSize: number;
  probe: number;
}

export function makemoreMlpSubject(split: Split, c: MlpLandscapeConfig, seed: number): LandscapeSubject {
  const d = TYPE_DEFAULTS.mlp, lr = c.lr || d.learningRate;
  const gen = new Generator(seed);
  const model = createModel('mlp', { vocabSize: split.vocab.size, blockSize: split.blockSize, nLayer: 1, nHead: 1, nEmbd: d.nEmbd!, nEmbd2: d.nEmbd2!, dropout: 0 }, gen);
  const probe = split.train.batch(Array.from({ length: Math.min(c.probe, split.train.length) }, (_, i) => i));
  const rows = new Int32Array(c.batchSize);
  return {
    name: 'makemore-mlp', label: 'makemore MLP (names)', model, steps: c.steps,
    train: async (onStep) => {
      await trainLoop({
        model, optimizer: new AdamW(model.parameters(), { lr, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0 }), generator: gen, maxSteps: c.steps,
        schedule: cosineWithWarmup({ maxLr: lr, minLr: lr / 10, warmupSteps: 0, decaySteps: c.steps }),
        loss: () => {
          for (let i = 0; i < rows.length; i++) rows[i] = gen.randint(0, split.train.length);
          const { x, y } = split.train.batch(rows);
          return model.forward(x, y).loss!;
        },
        onStep: (s) => onStep(s.step),
        kind: 'makemore-mlp-landscape', config: { steps: c.steps, lr, batchSize: c.batchSize, seed },
      });
      return { 'test loss': evaluate(model, split.test).toFixed(4) };
    },
    loss: weightsLoss(model, () => model.forward(probe.x, probe.y).loss!),
  };
}
