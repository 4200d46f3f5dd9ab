/**
 * makemore's training one step at a time, with the chapter's pieces (src/chapters/makemore/):
 * its split, models, batches, evaluation and sampling, and its recipe (AdamW with betas
 * 0.9/0.99, a cosine decay to a tenth, weight decay 0.01). The view is five samples.
 */
import { Generator } from '../../../../src/util/random.js';
import { AdamW } from '../../../../src/optim/adam.js';
import { cosineWithWarmup } from '../../../../src/optim/schedule.js';
import { parseItems, splitItems } from '../../../../src/chapters/makemore/data.js';
import { createModel, MODEL_TYPES, TYPE_DEFAULTS, type ModelType } from '../../../../src/chapters/makemore/models/index.js';
import { evaluate } from '../../../../src/chapters/makemore/train.js';
import { describeSamples, generateItems } from '../../../../src/chapters/makemore/sample.js';
import type { Job, Settings } from '../protocol.js';

export interface MakemoreView { samples: string[]; step: number }

export function createJob(s: Settings, text?: string): Job {
  const type = String(s.type) as ModelType;
  if (!MODEL_TYPES.includes(type)) throw new Error(`unknown model type '${type}': use ${MODEL_TYPES.join(', ')}`);
  const items = parseItems(text ?? '', 'the names');
  const seed = Number(s.seed), steps = Number(s.steps), lr = Number(s.lr), evalEvery = Number(s.evalEvery);
  const split = splitItems(items, seed);
  const d = TYPE_DEFAULTS[type];
  const cfg = { vocabSize: split.vocab.size, blockSize: split.blockSize, nLayer: 4, nHead: 4, nEmbd: d.nEmbd ?? 64, nEmbd2: d.nEmbd2 ?? 64, dropout: d.dropout ?? 0 };
  const gen = new Generator(seed);
  const model = createModel(type, cfg, gen);
  const optimizer = new AdamW(model.parameters(), { lr, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0.01 });
  const schedule = cosineWithWarmup({ maxLr: lr, minLr: lr / 10, warmupSteps: 0, decaySteps: steps });
  const rows = new Int32Array(Number(s.batch));
  const trainSet = new Set(split.train.items), testSet = new Set(split.test.items);
  return {
    total: steps,
    viewEvery: evalEvery,
    step(step) {
      optimizer.setLearningRate(schedule(step - 1));
      for (let i = 0; i < rows.length; i++) rows[i] = gen.randint(0, split.train.length);
      const { x, y } = split.train.batch(rows);
      const loss = model.forward(x, y).loss!;
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      const out: Record<string, number> = { loss: loss.item() };
      if (step % evalEvery === 0 || step === steps) {
        out.train_loss = evaluate(model, split.train, 4);
        out.test_loss = evaluate(model, split.test, 4);
      }
      return out;
    },
    view(step): MakemoreView {
      // their own generator, so looking does not change the run (as the CLI)
      const samples = generateItems(model, split.vocab, split.blockSize, 8, { generator: new Generator(seed + step) });
      return { samples: describeSamples(samples, trainSet, testSet), step };
    },
  };
}
