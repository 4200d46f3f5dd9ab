/**
 * The tiny char GPT one step at a time, with the transformers chapter's pieces: its character
 * data, the GPT with the chosen attention design (buildModel), nanoGPT's AdamW with decay groups
 * (makeOptimizer), warmup-free cosine decay to a tenth and gradient clipping at 1. Steps run in a
 * BufferPool as the CLI's training does. The view is a sample; `ask` gives attention maps.
 */
import { Generator } from '../../../../src/util/random.js';
import { Tensor } from '../../../../src/engine/tensor.js';
import { noGrad } from '../../../../src/engine/autograd.js';
import { BufferPool } from '../../../../src/engine/pool.js';
import { clipGradNorm, cosineWithWarmup } from '../../../../src/optim/schedule.js';
import { CharData } from '../../../../src/chapters/transformers/data.js';
import { buildModel, type AttentionKind } from '../../../../src/chapters/transformers/model.js';
import { makeOptimizer } from '../../../../src/chapters/transformers/train.js';
import { PRESETS } from '../../../../src/chapters/transformers/presets.js';
import type { Job, Settings } from '../protocol.js';

export interface AttentionAnswer { maps: Float32Array[][]; labels: string[]; error?: string }
export interface SampleView { sample: string; step: number }

export function createJob(s: Settings, text?: string): Job {
  const blockSize = Number(s.blockSize), B = Number(s.batch), steps = Number(s.steps), lr = Number(s.lr), evalEvery = Number(s.evalEvery);
  const data = new CharData(text ?? '', blockSize);
  const gen = new Generator(Number(s.seed));
  const { model, config } = buildModel({
    vocabSize: data.vocabSize, blockSize, nLayer: Number(s.nLayer), nHead: Number(s.nHead), nEmbd: Number(s.nEmbd),
    dropout: 0, bias: false, attention: String(s.attention) as AttentionKind,
  }, gen);
  const settings = { ...PRESETS.cpu, lr, maxIters: steps, lrDecayIters: steps, minLr: lr / 10, batchSize: B, evalInterval: evalEvery };
  const optimizer = makeOptimizer(model, settings);
  const schedule = cosineWithWarmup({ maxLr: lr, minLr: lr / 10, warmupSteps: 0, decaySteps: steps });
  const params = model.parameters();
  const pool = new BufferPool();
  const meanLoss = (split: 'train' | 'val', batches: number) => noGrad(() => {
    model.eval();
    const g = new Generator(split === 'train' ? 1000 : 2000); // fixed batches: comparable across evaluations
    let total = 0;
    for (let i = 0; i < batches; i++) {
      const { x, y } = data.batch(split, B, blockSize, g);
      total += pool.run(() => model.forward(x, y).loss!.item());
      pool.reset();
    }
    model.train();
    return total / batches;
  });
  return {
    total: steps,
    viewEvery: evalEvery,
    step(step) {
      optimizer.setLearningRate(schedule(step - 1));
      const { x, y } = data.batch('train', B, blockSize, gen);
      const loss = pool.run(() => {
        const l = model.forward(x, y).loss!;
        optimizer.zeroGrad();
        l.backward();
        clipGradNorm(params, settings.gradClip);
        optimizer.step();
        return l.item();
      });
      pool.reset();
      const out: Record<string, number> = { loss };
      if (step % evalEvery === 0 || step === steps) Object.assign(out, { train_loss: meanLoss('train', 4), val_loss: meanLoss('val', 4) });
      return out;
    },
    view(step): SampleView {
      const out = noGrad(() => {
        model.eval();
        const ids = model.generate(new Tensor(Int32Array.from([data.train[0]]), [1, 1]), 120, { generator: new Generator(step) });
        model.train();
        return ids.intValues();
      });
      return { sample: data.decode(out), step };
    },
    ask(question): AttentionAnswer {
      const prompt = String((question as { prompt: string }).prompt).slice(-config.blockSize);
      let ids: number[];
      try {
        ids = data.encode(prompt);
      } catch (err) {
        return { maps: [], labels: [], error: (err as Error).message };
      }
      if (ids.length === 0) return { maps: [], labels: [], error: 'type a prompt to see its attention' };
      const layers = model.h.map((b) => b.attn as unknown as { keepAttention: boolean; lastAttention: Tensor | null });
      for (const a of layers) a.keepAttention = true;
      noGrad(() => model.eval().forward(new Tensor(Int32Array.from(ids), [1, ids.length])));
      model.train();
      const T = ids.length;
      const maps = layers.map((a) => {
        const att = a.lastAttention!; // (1, nh, T, T)
        const vals = att.floatValues();
        a.keepAttention = false;
        a.lastAttention = null;
        return Array.from({ length: att.shape[1] }, (_, h) => vals.slice(h * T * T, (h + 1) * T * T));
      });
      return { maps, labels: Array.from(prompt) };
    },
  };
}
