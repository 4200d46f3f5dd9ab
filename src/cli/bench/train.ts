import { defineCommand } from '../args.js';
import { GPT, type GPTConfig } from '../../models/gpt.js';
import { AdamW } from '../../optim/adam.js';
import { Generator } from '../../util/random.js';
import { randint } from '../../engine/ops/create.js';
import { BufferPool } from '../../engine/pool.js';
import { getBackend, withBackend } from '../../engine/device.js';
import { referenceBackend } from '../../backends/reference/index.js';
import { formatTable } from '../../util/format.js';

/** The models this benchmark can train: nanoGPT's CPU config and GPT-2 124M. */
const MODELS: Record<string, { config: GPTConfig; batch: number }> = {
  small: { config: { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0 }, batch: 12 },
  gpt2: { config: { vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768, dropout: 0 }, batch: 4 },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Times `steps` full training steps (forward, backward, AdamW) after one warm-up step: wall
 * milliseconds, and CPU milliseconds of the whole process (all threads) in `cpu` when given.
 */
function timeSteps(model: GPT, batch: number, seqLen: number, steps: number, gen: Generator, cpu: number[] = []): number[] {
  const opt = new AdamW(model.parameters(), { lr: 1e-4, betas: [0.9, 0.95], weightDecay: 0.1 });
  const V = model.config.vocabSize;
  const times: number[] = [];
  // recycled storage: each step reuses the previous one's buffers instead of fresh memory
  const pool = new BufferPool();
  for (let i = 0; i <= steps; i++) {
    const x = randint(0, V, [batch, seqLen], { generator: gen });
    const y = randint(0, V, [batch, seqLen], { generator: gen });
    const t0 = performance.now(), c0 = process.cpuUsage();
    pool.run(() => {
      const { loss } = model.forward(x, y);
      opt.zeroGrad();
      loss!.backward();
      opt.step();
    });
    pool.reset();
    if (i > 0) {
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  return times;
}

export const command = defineCommand({
  name: 'train',
  summary: 'Time training steps (forward + backward + AdamW) of a small GPT, or GPT-2 124M',
  description: `--model small is nanoGPT's CPU configuration (4 layers, 4 heads, 128 channels, block 64, batch 12);
--model gpt2 is GPT-2 124M at batch 4, sequence 64 (llm.c's CPU reference setting).
The small model is also timed on the reference backend in the same run, for a speed ratio.`,
  options: {
    model: { type: 'choice', choices: ['small', 'gpt2'], default: 'small', help: 'Which model to train' },
    'batch-size': { type: 'int', min: 1, help: 'Batch size (default: the model\'s)' },
    'seq-len': { type: 'int', min: 1, help: 'Sequence length (default: 64)' },
    steps: { type: 'int', min: 1, help: 'Timed steps (default: 10 small, 3 gpt2)' },
    'reference-steps': { type: 'int', min: 0, default: 2, help: 'Steps timed on the reference backend for the ratio (small model; 0 to skip)' },
    json: { type: 'boolean', help: 'Print a one-line JSON summary as the last line' },
  },
  run(opts) {
    const spec = MODELS[opts.model];
    const batch = opts.batchSize ?? spec.batch;
    const seqLen = opts.seqLen ?? 64;
    const steps = opts.steps ?? (opts.model === 'gpt2' ? 3 : 10);
    const gen = new Generator(1337);
    const model = new GPT({ ...spec.config, blockSize: Math.max(spec.config.blockSize, seqLen) }, gen);
    const params = model.numParameters();
    const backend = getBackend().name;
    console.log(`bench train: ${opts.model} (${(params / 1e6).toFixed(2)}M parameters), batch ${batch} x ${seqLen} tokens, ${steps} timed steps on ${backend}`);
    const cpuTimes: number[] = [];
    const times = timeSteps(model, batch, seqLen, steps, gen, cpuTimes);
    const ms = median(times), cpuMs = median(cpuTimes);
    const tokensPerS = (batch * seqLen) / (ms / 1000);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    let referenceMs: number | null = null;
    if (opts.model === 'small' && opts.referenceSteps > 0 && backend !== 'reference') {
      const refModel = new GPT(spec.config, new Generator(1337));
      referenceMs = median(withBackend(referenceBackend, () => timeSteps(refModel, batch, seqLen, opts.referenceSteps, new Generator(7))));
    }
    const rows: (string | number)[][] = [[backend, ms.toFixed(1), Math.round(tokensPerS), '1.00']];
    if (referenceMs !== null) rows.push(['reference', referenceMs.toFixed(1), Math.round((batch * seqLen) / (referenceMs / 1000)), (referenceMs / ms).toFixed(2)]);
    console.log(formatTable(['backend', 'ms/step', 'tokens/s', `speedup of ${backend}`], rows));
    console.log(`peak RSS ${peakRssMb.toFixed(0)} MB; CPU ${cpuMs.toFixed(0)} ms/step (all threads)`);
    if (opts.json) {
      console.log(JSON.stringify({
        model: opts.model, params, batch_size: batch, seq_len: seqLen, steps, backend,
        ms_per_step: +ms.toFixed(2), cpu_ms_per_step: +cpuMs.toFixed(1), tokens_per_s: +tokensPerS.toFixed(1), peak_rss_mb: +peakRssMb.toFixed(1),
        reference_ms_per_step: referenceMs === null ? null : +referenceMs.toFixed(2),
        speedup_vs_reference: referenceMs === null ? null : +(referenceMs / ms).toFixed(2),
      }));
    }
    return 0;
  },
});
