import { defineCommand } from '../args.js';
import { GPT, type GPTConfig } from '../../models/gpt.js';
import { AdamW } from '../../optim/adam.js';
import { Generator } from '../../util/random.js';
import { randint } from '../../engine/ops/create.js';
import { BufferPool } from '../../engine/pool.js';
import { BACKEND_NAMES, loadBackend, withBackend } from '../../engine/device.js';
import { GradpathError } from '../../util/errors.js';
import { commonFlags } from '../flags.js';
import { referenceBackend } from '../../backends/reference/index.js';
import { nativeBuilt } from '../../backends/native/index.js';
import type { Backend } from '../../backends/backend.js';
import { formatTable } from '../../util/format.js';
import { profileTable, profiled } from './profile.js';

/** The models this benchmark can train: nanoGPT's CPU config and GPT-2 124M. */
const MODELS: Record<string, { config: GPTConfig; batch: number }> = {
  small: { config: { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0 }, batch: 12 },
  gpt2: { config: { vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768, dropout: 0 }, batch: 4 },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** A model with its optimizer and buffer pool, built on (and always run on) one backend. */
interface Trainer { backend: Backend; model: GPT; opt: AdamW; pool: BufferPool; warm: boolean }

function trainer(backend: Backend, config: GPTConfig): Trainer {
  return withBackend(backend, () => {
    const model = new GPT(config, new Generator(1337));
    // AdamW moves parameters into the backend's memory where it has one (wasm), so it is built here
    const opt = new AdamW(model.parameters(), { lr: 1e-4, betas: [0.9, 0.95], weightDecay: 0.1 });
    // recycled storage: each step reuses the previous one's buffers instead of fresh memory
    return { backend, model, opt, pool: new BufferPool(), warm: false };
  });
}

/**
 * Times `steps` full training steps (forward, backward, AdamW), after one warm-up step the
 * first time: wall milliseconds, and CPU milliseconds of the whole process (all threads) in
 * `cpu` when given.
 */
function timeSteps(t: Trainer, batch: number, seqLen: number, steps: number, gen: Generator, cpu: number[] = []): number[] {
  return withBackend(t.backend, () => timeStepsHere(t, batch, seqLen, steps, gen, cpu));
}

function timeStepsHere(t: Trainer, batch: number, seqLen: number, steps: number, gen: Generator, cpu: number[]): number[] {
  const { model, opt, pool } = t;
  const V = model.config.vocabSize;
  const times: number[] = [];
  for (let i = t.warm ? 1 : 0; i <= steps; i++) {
    const x = randint(0, V, [batch, seqLen], { generator: gen });
    const y = randint(0, V, [batch, seqLen], { generator: gen });
    const t0 = performance.now(), c0 = process.cpuUsage();
    pool.run(() => {
      const { loss } = model.forward(x, y);
      opt.zeroGrad();
      loss!.backward();
      opt.step();
      // the loss a progress line reads: on a device backend (webgpu) this waits until the step has run
      loss!.item();
    });
    pool.reset();
    if (i > 0) {
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  t.warm = true;
  return times;
}

/**
 * The backends to time: a comma-separated list, or 'all' for every fast one available here
 * (for GPT-2 only the fastest: two copies of its training state need about 5 GB).
 */
function backendNames(list: string, model: string): string[] {
  if (list !== 'all') {
    const names = list.split(',').map((x) => x.trim()).filter((x) => x);
    const wrong = names.find((n) => !(BACKEND_NAMES as readonly string[]).includes(n));
    if (wrong !== undefined || !names.length) throw new GradpathError(`gradpath bench train: --backends '${list}': use a comma-separated list of ${BACKEND_NAMES.join(', ')}, or all`);
    return names;
  }
  const all = nativeBuilt() ? ['native', 'wasm'] : ['wasm'];
  return model === 'gpt2' ? all.slice(0, 1) : all;
}

export const command = defineCommand({
  name: 'train',
  summary: 'Time training steps (forward + backward + AdamW) of a small GPT, or GPT-2 124M, on every available backend',
  description: `--model small is nanoGPT's CPU configuration (4 layers, 4 heads, 128 channels, block 64, batch 12);
--model gpt2 is GPT-2 124M at batch 4, sequence 64 (llm.c's CPU reference setting).
Every backend of --backends (default: native where built, and wasm; for gpt2 only the first of
them) trains its own copy of the model; they take turns for --rounds rounds of --steps steps, so a shared machine's load falls on
all of them alike, and the table gives each one's median and its time relative to the first.
The small model is also timed on the reference backend in the same run, for a speed ratio.
Peak RSS is the whole process's: for a backend's own peak memory, time one backend per run.`,
  options: {
    model: { type: 'choice', choices: ['small', 'gpt2'], default: 'small', help: 'Which model to train' },
    backends: { type: 'string', default: 'all', help: 'Comma-separated backends to time (native, wasm, webgpu, reference), or all (native and wasm)' },
    backend: { ...commonFlags.backend, help: 'Time only this backend (native, wasm, webgpu or reference; --backends for several)' },
    'batch-size': { type: 'int', min: 1, help: 'Batch size (default: the model\'s)' },
    'seq-len': { type: 'int', min: 1, help: 'Sequence length (default: 64)' },
    steps: { type: 'int', min: 1, help: 'Timed steps per round (default: 10 small, 3 gpt2)' },
    rounds: { type: 'int', min: 1, default: 1, help: 'Rounds in which the backends take turns' },
    'reference-steps': { type: 'int', min: 0, default: 2, help: 'Steps timed on the reference backend for the ratio (small model; 0 to skip)' },
    json: { type: 'boolean', help: 'Print a one-line JSON summary as the last line' },
    profile: { type: 'boolean', help: 'Also time every kernel of the first backend (per step: calls, milliseconds, share) in extra steps after the timed ones' },
  },
  async run(opts) {
    const spec = MODELS[opts.model];
    const batch = opts.batchSize ?? spec.batch;
    const seqLen = opts.seqLen ?? 64;
    const steps = opts.steps ?? (opts.model === 'gpt2' ? 3 : 10);
    const config = { ...spec.config, blockSize: Math.max(spec.config.blockSize, seqLen) };
    if (opts.backend && opts.backends !== 'all') throw new GradpathError('gradpath bench train: give --backend or --backends, not both');
    const names = opts.backend ? [opts.backend] : backendNames(opts.backends, opts.model);
    const trainers: Trainer[] = [];
    for (const name of names) trainers.push(trainer(await loadBackend(name), config));
    const params = trainers[0].model.numParameters();
    console.log(`bench train: ${opts.model} (${(params / 1e6).toFixed(2)}M parameters), batch ${batch} x ${seqLen} tokens, ${opts.rounds} round${opts.rounds > 1 ? 's' : ''} of ${steps} timed steps on ${names.join(', ')}`);
    const results = trainers.map((t) => ({ backend: t.backend.name, times: [] as number[], cpu: [] as number[] }));
    const gen = new Generator(1337);
    for (let r = 0; r < opts.rounds; r++) {
      trainers.forEach((t, i) => results[i].times.push(...timeSteps(t, batch, seqLen, steps, gen, results[i].cpu)));
    }
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const summary = results.map((r) => {
      const ms = median(r.times);
      return { backend: r.backend, ms, cpuMs: median(r.cpu), tokensPerS: (batch * seqLen) / (ms / 1000) };
    });
    const first = summary[0];
    let referenceMs: number | null = null;
    if (opts.model === 'small' && opts.referenceSteps > 0 && !names.includes('reference')) {
      referenceMs = median(timeSteps(trainer(referenceBackend, spec.config), batch, seqLen, opts.referenceSteps, new Generator(7)));
    }
    const rows: (string | number)[][] = summary.map((s) => [s.backend, s.ms.toFixed(1), s.cpuMs.toFixed(0), Math.round(s.tokensPerS), (s.ms / first.ms).toFixed(2)]);
    if (referenceMs !== null) rows.push(['reference', referenceMs.toFixed(1), '', Math.round((batch * seqLen) / (referenceMs / 1000)), (referenceMs / first.ms).toFixed(2)]);
    console.log(formatTable(['backend', 'ms/step', 'CPU ms/step', 'tokens/s', `time / ${first.backend}'s`], rows));
    console.log(`peak RSS ${peakRssMb.toFixed(0)} MB (the whole process); CPU ms/step counts all threads`);
    if (opts.profile) {
      // the first backend's model, run on a timing wrapper of its backend (same storage, same kernels)
      const t = trainers[0], timed = profiled(t.backend);
      const cpu: number[] = [];
      const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length; // means, as the kernels' sums are
      const stepMs = mean(timeSteps({ ...t, backend: timed }, batch, seqLen, steps, gen, cpu));
      console.log(`\nwhere a ${first.backend} step goes (${steps} steps, mean ${stepMs.toFixed(1)} ms, ${mean(cpu).toFixed(1)} CPU ms, with the timing wrapper):`);
      console.log(profileTable(timed, steps, stepMs, mean(cpu)));
    }
    if (opts.json) {
      console.log(JSON.stringify({
        model: opts.model, params, batch_size: batch, seq_len: seqLen, steps, rounds: opts.rounds, backend: first.backend,
        ms_per_step: +first.ms.toFixed(2), cpu_ms_per_step: +first.cpuMs.toFixed(1), tokens_per_s: +first.tokensPerS.toFixed(1), peak_rss_mb: +peakRssMb.toFixed(1),
        results: summary.map((s) => ({ backend: s.backend, ms_per_step: +s.ms.toFixed(2), cpu_ms_per_step: +s.cpuMs.toFixed(1), tokens_per_s: +s.tokensPerS.toFixed(1) })),
        reference_ms_per_step: referenceMs === null ? null : +referenceMs.toFixed(2),
        speedup_vs_reference: referenceMs === null ? null : +(referenceMs / first.ms).toFixed(2),
      }));
    }
    return 0;
  },
});
