import { defineCommand } from '../args.js';
import { Generator } from '../../util/random.js';
import { AdamW } from '../../optim/adam.js';
import { formatTable } from '../../util/format.js';
import { backendName } from '../../engine/device.js';
import { commonFlags } from '../flags.js';
import { embeddedNames, splitItems } from '../../chapters/makemore/data.js';
import { MODEL_TYPES, TYPE_DEFAULTS, createModel, type ModelType } from '../../chapters/makemore/models/index.js';

/**
 * Milliseconds per makemore training step (forward, backward, AdamW) for each model type at its
 * default sizes, on the embedded names (no download). Wall and CPU time are both reported:
 * when other work shares the cores the wall time grows but the CPU time does not.
 */
export const command = defineCommand({
  name: 'makemore',
  summary: 'Time makemore training steps of every model type (bigram ... transformer)',
  options: {
    type: { type: 'choice', choices: ['all', ...MODEL_TYPES], default: 'all', help: 'Which model type' },
    steps: { type: 'int', min: 1, default: 20, help: 'Timed steps per type (after one warm-up)' },
    'batch-size': { type: 'int', min: 1, default: 32, help: 'Items per batch' },
    json: { type: 'boolean', help: 'Print a one-line JSON summary as the last line' },
    backend: commonFlags.backend,
  },
  run(o) {
    const split = splitItems(embeddedNames(), 3407);
    const types = o.type === 'all' ? [...MODEL_TYPES] : [o.type as ModelType];
    const rows: { type: string; params: number; wall_ms: number; cpu_ms: number }[] = [];
    for (const type of types) {
      const d = TYPE_DEFAULTS[type];
      const gen = new Generator(1);
      const model = createModel(type, { vocabSize: split.vocab.size, blockSize: split.blockSize, nLayer: 4, nHead: 4, nEmbd: d.nEmbd ?? 64, nEmbd2: d.nEmbd2 ?? 64 }, gen);
      const opt = new AdamW(model.parameters(), { lr: d.learningRate, betas: [0.9, 0.99] });
      let wall = 0, cpu = 0;
      for (let i = 0; i <= o.steps; i++) {
        const rowsIdx = Array.from({ length: o.batchSize }, () => gen.randint(0, split.train.length));
        const { x, y } = split.train.batch(rowsIdx);
        const t0 = performance.now(), c0 = process.cpuUsage();
        const { loss } = model.forward(x, y);
        opt.zeroGrad();
        loss!.backward();
        opt.step();
        if (i > 0) {
          wall += performance.now() - t0;
          const c = process.cpuUsage(c0);
          cpu += (c.user + c.system) / 1000;
        }
      }
      rows.push({ type, params: model.numParameters(), wall_ms: wall / o.steps, cpu_ms: cpu / o.steps });
    }
    console.log(`makemore training steps on the ${backendName()} backend`);
    console.log(formatTable(['type', 'params', 'ms/step (wall)', 'ms/step (cpu)'], rows.map((r) => [r.type, r.params, r.wall_ms.toFixed(1), r.cpu_ms.toFixed(1)])));
    if (o.json) console.log(JSON.stringify({ batch_size: o.batchSize, steps: o.steps, backend: backendName(), results: rows }));
  },
});
