// gradpath's side of the lockstep check: `python3 reference.py --gelu tanh --lockstep DIR` wrote
// PyTorch's initial weights, its training batches and its per-iteration losses to DIR. This trains
// gradpath's chargpt model (the cpu preset, through the chapter's own optimizer, schedule and
// clipping) from the same weights on the same batches and prints both side by side. gradpath's
// losses, norms and exact validation loss go to DIR/gradpath.json; where PyTorch's side has not
// finished yet (no DIR/torch.json), it trains all the batches and compares later:
//   node experiments/pytorch-reference/lockstep.mjs DIR             (after `npm run build`)
//   node experiments/pytorch-reference/lockstep.mjs DIR --compare   (both JSON files there: no training)
import fs from 'node:fs';
import path from 'node:path';
import { buildModel } from '../../dist/src/chapters/transformers/model.js';
import { makeOptimizer } from '../../dist/src/chapters/transformers/train.js';
import { fullSplitLoss } from '../../dist/src/chapters/transformers/chargpt.js';
import { PRESETS } from '../../dist/src/chapters/transformers/presets.js';
import { CharData } from '../../dist/src/chapters/transformers/data.js';
import { cosineWithWarmup, clipGradNorm } from '../../dist/src/optim/schedule.js';
import { Generator, Tensor, BufferPool } from '../../dist/src/engine/index.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node lockstep.mjs DIR   (DIR written by reference.py --lockstep DIR)');
  process.exit(2);
}
const read = (name) => fs.readFileSync(path.join(dir, name));
const torch = fs.existsSync(path.join(dir, 'torch.json')) ? JSON.parse(read('torch.json')) : null;
const p = PRESETS.cpu;
const [B, T] = [p.batchSize, p.blockSize];

/** The largest loss difference over the iterations, and both exact validation losses, as one JSON line. */
function compare(ours) {
  const worst = ours.losses.reduce((w, l, it) => Math.max(w, Math.abs(l - torch.losses[it])), 0);
  console.log(JSON.stringify({ iters: torch.iters, max_loss_difference: +worst.toExponential(2), exact_val: ours.exact_val, torch_exact_val: torch.exact_val }));
}
if (process.argv.includes('--compare')) {
  if (!torch) throw new Error(`lockstep: no torch.json in ${dir} yet`);
  compare(JSON.parse(read('gradpath.json')));
  process.exit(0);
}
const { model } = buildModel({ blockSize: p.blockSize, nLayer: p.nLayer, nHead: p.nHead, nEmbd: p.nEmbd, dropout: 0, bias: false, attention: 'mha', pos: 'learned', vocabSize: 65 }, new Generator(1));

// PyTorch's initial weights, in its named_parameters order (same names as ours)
const params = new Map(model.namedParameters());
const init = read('init.bin');
const all = new Float32Array(init.buffer, init.byteOffset, init.length / 4);
let at = 0;
for (const [name, shape] of JSON.parse(read('init.json'))) {
  const param = params.get(name);
  const n = shape.reduce((a, b) => a * b, 1);
  if (!param || param.numel() !== n) throw new Error(`lockstep: PyTorch's ${name} (${shape}) has no match in gradpath's model`);
  param.data.set(all.subarray(at, at + n));
  at += n;
}
const ints = (name) => { const b = read(name); return new Int32Array(b.buffer, b.byteOffset, b.length / 4); };
const X = ints('x.bin'), Y = ints('y.bin');
const iters = torch ? torch.iters : X.length / (B * T);

const opt = makeOptimizer(model, p);
const schedule = cosineWithWarmup({ maxLr: p.lr, minLr: p.minLr, warmupSteps: p.warmupIters, decaySteps: p.lrDecayIters });
const pool = new BufferPool();
const losses = [], norms = [];
model.train();
console.log('iter  loss (gradpath)  loss (PyTorch)  grad norm (gradpath)  grad norm (PyTorch)');
for (let it = 0; it < iters; it++) {
  opt.setLearningRate(schedule(it));
  pool.run(() => opt.zeroGrad());
  const loss = pool.run(() => {
    const x = new Tensor(X.slice(it * B * T, (it + 1) * B * T), [B, T]), y = new Tensor(Y.slice(it * B * T, (it + 1) * B * T), [B, T]);
    const l = model.forward(x, y).loss;
    l.backward();
    return l.item();
  });
  pool.reset();
  const norm = clipGradNorm(model.parameters(), p.gradClip);
  opt.step();
  losses.push(loss);
  norms.push(norm);
  if (it < 3 || (it + 1) % 250 === 0) {
    const theirs = (xs, d) => (torch ? xs[it].toFixed(d) : '-');
    console.log(`${String(it).padStart(4)}  ${loss.toFixed(5).padStart(15)}  ${theirs(torch?.losses, 5).padStart(14)}  ${norm.toFixed(4).padStart(20)}  ${theirs(torch?.norms, 4).padStart(19)}`);
  }
}
model.eval();
const data = new CharData(fs.readFileSync(path.join(process.env.GRADPATH_DATA_DIR ?? '.', 'tinyshakespeare.txt'), 'utf8'), T);
const ours = { iters, losses, norms, exact_val: +fullSplitLoss(model, data.val, T).toFixed(4) };
fs.writeFileSync(path.join(dir, 'gradpath.json'), JSON.stringify(ours));
if (torch) compare(ours);
else console.log(JSON.stringify({ iters, exact_val: ours.exact_val, torch: 'not yet: run again with --compare once torch.json is there' }));
