/**
 * The small GPT training step of `gradpath bench train` (4 layers, 4 heads, 128 channels, block
 * 64, batch 12, vocabulary 65; AdamW; steps in a BufferPool), timed in this browser, so the
 * engine's speed here can be set against Node's on the same machine (docs/lab.md).
 */
import { Generator } from '../../../../src/util/random.js';
import { randint } from '../../../../src/engine/ops/create.js';
import { BufferPool } from '../../../../src/engine/pool.js';
import { AdamW } from '../../../../src/optim/adam.js';
import { GPT } from '../../../../src/models/gpt.js';
import type { Job, Settings } from '../protocol.js';

export function createJob(s: Settings): Job {
  const config = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0 }, batch = 12;
  const model = new GPT(config, new Generator(1337));
  const opt = new AdamW(model.parameters(), { lr: 1e-4, betas: [0.9, 0.95], weightDecay: 0.1 });
  const pool = new BufferPool();
  const gen = new Generator(7);
  return {
    total: Number(s.benchSteps) + 1, // the first is a warm-up, not timed
    step(step) {
      const x = randint(0, config.vocabSize, [batch, config.blockSize], { generator: gen });
      const y = randint(0, config.vocabSize, [batch, config.blockSize], { generator: gen });
      const t0 = performance.now();
      const loss = pool.run(() => {
        const l = model.forward(x, y).loss!;
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l.item();
      });
      pool.reset();
      const ms = performance.now() - t0;
      const out: Record<string, number> = { loss };
      if (step > 1) out.step_ms = ms;
      return out;
    },
  };
}
