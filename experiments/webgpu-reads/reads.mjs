// What one training step of a small GPT costs the webgpu backend in round trips: the bridge's
// counters (dispatches, posted batches, read-backs, uploads) before and after one step, after a
// warm-up step (the first uploads the parameters). The shape docs/engine.md measured: 2 layers,
// 32 channels, 2 heads, batch 4 x 16, vocabulary 65. Variants: the bare step (forward, backward,
// AdamW, loss.item()), with gradient clipping (clipGradNorm, as the training loop does), with
// dropout 0.1 as well, and without the backend's fused attention (the composed path: matmuls,
// the scaled softmax and its backward).
//
//   node experiments/webgpu-reads/reads.mjs [--json]
import { startWebGpu } from '../../dist/src/backends/webgpu/index.js';
import { withBackend } from '../../dist/src/engine/device.js';
import { GPT } from '../../dist/src/models/gpt.js';
import { AdamW } from '../../dist/src/optim/adam.js';
import { clipGradNorm } from '../../dist/src/optim/schedule.js';
import { BufferPool } from '../../dist/src/engine/pool.js';
import { randint } from '../../dist/src/engine/ops/create.js';
import { Generator } from '../../dist/src/util/random.js';

const json = process.argv.includes('--json');
const [B, T] = [4, 16];
const gpu = startWebGpu();
const VARIANTS = [
  { name: 'bare step', clip: false, dropout: 0, fused: true },
  { name: 'with clipping', clip: true, dropout: 0, fused: true },
  { name: 'clipping + dropout 0.1', clip: true, dropout: 0.1, fused: true },
  { name: 'clipping, attention unfused', clip: true, dropout: 0, fused: false },
];

for (const v of VARIANTS) {
  const backend = { ...gpu };
  if (!v.fused) { delete backend.selfAttention; delete backend.selfAttentionBackward; }
  const row = withBackend(backend, () => {
    const gen = new Generator(1);
    const model = new GPT({ vocabSize: 65, blockSize: T, nLayer: 2, nHead: 2, nEmbd: 32, dropout: v.dropout }, gen);
    const opt = new AdamW(model.parameters(), { lr: 1e-3 });
    const pool = new BufferPool();
    let loss = NaN;
    const step = () => {
      const idx = randint(0, 65, [B, T], { generator: gen }), targets = randint(0, 65, [B, T], { generator: gen });
      pool.run(() => {
        const out = model.forward(idx, targets).loss;
        opt.zeroGrad();
        out.backward();
        if (v.clip) clipGradNorm(model.parameters(), 1);
        opt.step();
        loss = out.item();
      });
      pool.reset();
    };
    step(); // warm-up: uploads the parameters, compiles the pipelines
    gpu.fence();
    const before = { ...gpu.bridge.counters };
    step();
    const after = gpu.bridge.counters;
    const d = Object.fromEntries(Object.keys(before).map((k) => [k, after[k] - before[k]]));
    return { variant: v.name, loss, ...d };
  });
  if (json) console.log(JSON.stringify(row));
  else console.log(`${row.variant.padEnd(30)} reads ${row.reads} (${row.readBytes} B), dispatches ${row.dispatches}, batches ${row.batches}, uploads ${row.uploads} (${row.uploadBytes} B); loss ${row.loss.toFixed(4)}`);
}
