// What each of the native backend's optional fusions gives the small GPT step, measured in one
// process: one model per variant (the backend with all fusions in, and with each left out, as
// GRADPATH_NATIVE_WITHOUT would), same seed and batches, taking turns for ROUNDS rounds of STEPS
// steps, so a loaded machine's swings fall on every variant alike. Prints, per variant, the
// median wall and CPU milliseconds per step (CPU: all threads, less distorted by other
// processes) and its ratio to all fusions in; one JSON line per variant with --json.
//
//   node experiments/native-vs-pytorch/fusions.mjs [rounds=6] [steps=10] [--json]
import { loadNative } from '../../dist/src/backends/native/index.js';
import { withBackend } from '../../dist/src/engine/device.js';
import { GPT } from '../../dist/src/models/gpt.js';
import { AdamW } from '../../dist/src/optim/adam.js';
import { BufferPool } from '../../dist/src/engine/pool.js';
import { randint } from '../../dist/src/engine/ops/create.js';
import { Generator } from '../../dist/src/util/random.js';
import { loadavg } from 'node:os';

const args = process.argv.slice(2).filter((a) => a !== '--json');
const json = process.argv.includes('--json');
const rounds = Number(args[0] ?? 6), steps = Number(args[1] ?? 10);
const config = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0 };
const [B, T] = [12, 64];
const FUSIONS = { linearGelu: ['linearGelu', 'biasGeluBackward'], addLayerNorm: ['addLayerNorm'], adamMany: ['adamMany'],
  selfAttention: ['selfAttention', 'selfAttentionBackward'], linear: ['linear'] };
const VARIANTS = [[], ['linearGelu'], ['addLayerNorm'], ['adamMany'], ['linearGelu', 'addLayerNorm', 'adamMany'], ['selfAttention'], ['linear']];

const variants = VARIANTS.map((without) => {
  const backend = loadNative();
  for (const f of without) for (const k of FUSIONS[f]) delete backend[k];
  return withBackend(backend, () => {
    const model = new GPT(config, new Generator(1337));
    const opt = new AdamW(model.parameters(), { lr: 1e-4, betas: [0.9, 0.95], weightDecay: 0.1 });
    return { name: without.length ? `without ${without.join(', ')}` : 'all fusions in', backend, model, opt, pool: new BufferPool(), wall: [], cpu: [] };
  });
});

function step(v, x, y, record) {
  const t0 = performance.now(), c0 = process.cpuUsage();
  v.pool.run(() => {
    const { loss } = v.model.forward(x, y);
    v.opt.zeroGrad();
    loss.backward();
    v.opt.step();
  });
  v.pool.reset();
  const c = process.cpuUsage(c0);
  if (record) {
    v.wall.push(performance.now() - t0);
    v.cpu.push((c.user + c.system) / 1000);
  }
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const gen = new Generator(7);
const batches = Array.from({ length: steps }, () => [randint(0, config.vocabSize, [B, T], { generator: gen }), randint(0, config.vocabSize, [B, T], { generator: gen })]);
const loadBefore = load();
for (const v of variants) withBackend(v.backend, () => step(v, ...batches[0], false)); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const v of variants) withBackend(v.backend, () => batches.forEach(([x, y]) => step(v, x, y, true)));
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const base = variants[0];
const info = base.backend.info();
if (json) {
  for (const v of variants) console.log(JSON.stringify({ what: 'fusion', variant: v.name, ms_per_step: median(v.wall), cpu_ms_per_step: median(v.cpu), wall_ratio: median(v.wall) / median(base.wall), cpu_ratio: median(v.cpu) / median(base.cpu), rounds, steps, gemm: info.gemm, threads: info.threads, load: `${loadBefore} -> ${load()}` }));
} else {
  console.log(`small GPT step on native (${info.gemm} matmuls, ${info.threads} threads), ${rounds} rounds x ${steps} steps per variant, taking turns; load ${loadBefore} -> ${load()}`);
  console.log('| variant | ms/step (median) | / all in | CPU ms/step (median, all threads) | / all in |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const v of variants) {
    console.log(`| ${v.name} | ${median(v.wall).toFixed(1)} | ${(median(v.wall) / median(base.wall)).toFixed(3)} | ${median(v.cpu).toFixed(1)} | ${(median(v.cpu) / median(base.cpu)).toFixed(3)} |`);
  }
}
