/**
 * Grokking one epoch at a time with the chapter's pieces (src/chapters/grokking/): the quick
 * preset's task, split, model and full-batch AdamW (setupRun), its accuracy and evaluation, and
 * the Fourier spectrum of the embedding as the view.
 */
import { crossEntropy } from '../../../../src/engine/ops/nn.js';
import { PRESET_CONFIGS } from '../../../../src/chapters/grokking/presets.js';
import { accuracy, evaluate, setupRun } from '../../../../src/chapters/grokking/train.js';
import { embeddingSpectrum, type Spectrum } from '../../../../src/chapters/grokking/fourier.js';
import type { Job, Settings } from '../protocol.js';

export function createJob(s: Settings): Job {
  const config = { ...PRESET_CONFIGS.quick, p: Number(s.p), trainFrac: Number(s.trainFrac), weightDecay: Number(s.weightDecay), lr: Number(s.lr), seed: Number(s.seed), epochs: Number(s.epochs), evalEvery: Number(s.evalEvery) };
  const { model, optimizer, split } = setupRun(config);
  const yTrain = split.y.intValues();
  return {
    total: config.epochs,
    viewEvery: config.evalEvery * 5,
    step(epoch) {
      const logits = model.forward(split.x); // (Ntrain, p)
      const loss = crossEntropy(logits, split.y);
      const trainAcc = accuracy(logits, yTrain);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      const out: Record<string, number> = { loss: loss.item(), train_acc: trainAcc };
      if (epoch % config.evalEvery === 0 || epoch === 1 || epoch === config.epochs) {
        const v = evaluate(model, split.xVal, split.yVal);
        Object.assign(out, { val_loss: v.loss, val_acc: v.acc });
      }
      return out;
    },
    view(): Spectrum {
      return embeddingSpectrum(model.embeddingMatrix(), config.p);
    },
  };
}
