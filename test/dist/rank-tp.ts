/**
 * Run on every rank by tp.test.ts under `gradpath launch -n 2`: a tiny GPT trained for STEPS steps
 * by the one training loop, once whole on this process (the single-process reference, same seed)
 * and once split over the tp group (Megatron TP; with --sp also sequence parallel), with AdamW,
 * weight decay and gradient clipping by the global norm. Every step's loss and, at the end, every
 * parameter re-assembled from the ranks' pieces must match the reference within the tolerances
 * below. The vocabulary (65) does not divide by 2: the vocab-parallel halves are uneven.
 * Prints one line per rank with the measured worst differences. Outside an MPI job it does nothing.
 *
 * Args: --sp (sequence parallel), --dropout P (default 0.1: the masks must match too).
 * With --memory instead, a measurement (docs/distributed.md): the step's float storage (the
 * BufferPool's bytes after one forward and backward) of a larger GPT, whole, TP and TP+SP.
 */
import { Tensor } from '../../src/engine/tensor.js';
import { BufferPool } from '../../src/engine/pool.js';
import { Generator } from '../../src/util/random.js';
import { GPT, type GPTConfig } from '../../src/models/gpt.js';
import { AdamW } from '../../src/optim/adam.js';
import { decayGroups } from '../../src/optim/groups.js';
import { trainLoop } from '../../src/train/loop.js';
import { initProcessGroup, inMpiJob } from '../../src/dist/process-group.js';
import { processGrid } from '../../src/dist/grid.js';
import { TensorParallel } from '../../src/dist/tensor-parallel.js';
import { assembleTensorParallel, tensorParallelHooks, tensorParallelShardSpecs } from '../../src/dist/tensor-parallel-training.js';
import { shardNumel } from '../../src/dist/shard-spec.js';
import { stepTimeline } from '../../src/dist/timeline.js';

const STEPS = 12;
const B = 4;
/** Tolerances (float32; the split sums its matmuls and the loss's softmax in another order). */
export const LOSS_TOL = 2e-5; // relative, per step
export const PARAM_TOL = 1e-4; // absolute, every element of every parameter after the last step (lr 3e-3: Adam's g/sqrt(v) magnifies tiny gradients' rounding)

async function train(model: GPT, gen: Generator, tp: TensorParallel | null): Promise<number[]> {
  const data = new Generator(99); // the same batches for both runs
  const T = model.config.blockSize, V = model.config.vocabSize;
  const batch = () => {
    const x = new Int32Array(B * T), y = new Int32Array(B * T);
    for (let i = 0; i < x.length; i++) {
      x[i] = Math.floor(data.random() * V);
      y[i] = (x[i] * 7 + 3) % V; // a learnable map, so the loss moves
    }
    return { x: new Tensor(x, [B, T]), y: new Tensor(y, [B, T]) };
  };
  const r = await trainLoop({
    model, optimizer: new AdamW(decayGroups(model, 0.1), { lr: 3e-3 }), generator: gen, maxSteps: STEPS, gradClip: 0.5,
    loss: () => {
      const { x, y } = batch();
      return model.forward(x, y).loss!;
    },
    ...(tp ? tensorParallelHooks(tp, model) : {}),
    kind: 'tp-test', config: {},
  });
  return r.losses;
}

/** Bytes of float storage one forward + backward takes (pooled buffers of 4096 floats and more). */
function stepBytes(model: GPT, B: number): number {
  const pool = new BufferPool();
  const T = model.config.blockSize, V = model.config.vocabSize;
  const x = new Tensor(Int32Array.from({ length: B * T }, (_, i) => (i * 7) % V), [B, T]);
  const y = new Tensor(Int32Array.from({ length: B * T }, (_, i) => (i * 3 + 1) % V), [B, T]);
  pool.run(() => model.forward(x, y).loss!.backward());
  return pool.allocatedBytes;
}

async function memory(tpComm: TensorParallel['comm'], rank: number): Promise<void> {
  const config: GPTConfig = { vocabSize: 65, blockSize: 256, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0.1, bias: true };
  const B = 8;
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  const whole = stepBytes(new GPT(config, new Generator(5)), B);
  const tp = stepBytes(new GPT(config, new Generator(5), { parallel: new TensorParallel(tpComm, false) }), B);
  const sp = stepBytes(new GPT(config, new Generator(5), { parallel: new TensorParallel(tpComm, true) }), B);
  console.log(`rank ${rank}: one step's float storage (n_layer 4, n_embd 128, n_head 4, B ${B}, T 256, vocab 65, dropout 0.1): whole ${mb(whole)}, tp ${mb(tp)} (${(tp / whole).toFixed(2)}x), tp+sp ${mb(sp)} (${(sp / whole).toFixed(2)}x)`);
}

async function main(): Promise<void> {
  const sp = process.argv.includes('--sp');
  const at = process.argv.indexOf('--dropout');
  const dropout = at > 0 ? Number(process.argv[at + 1]) : 0.1;
  const { world, rank } = initProcessGroup();
  const grid = await processGrid(world, { dp: 1, pp: 1, tp: world.size });
  if (process.argv.includes('--memory')) return memory(grid.tp, rank);
  const tp = new TensorParallel(grid.tp, sp);
  const config: GPTConfig = { vocabSize: 65, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 32, dropout, bias: true };

  const whole = new GPT(config, new Generator(5));
  const wantLoss = await train(whole, new Generator(11), null);
  const split = new GPT(config, new Generator(5), { parallel: tp });
  stepTimeline().beginStep();
  const gotLoss = await train(split, new Generator(11), tp);
  // which collectives ran: SP must have replaced the all-reduces of the blocks
  const labels = [...new Set(stepTimeline().endStep().spans.map((s) => s.label))].sort();
  const want = sp ? ['sp all-gather (forward)', 'sp reduce-scatter (forward)', 'sp all-gather (backward)', 'sp reduce-scatter (backward)', 'sp all-reduce (replicated grads)'] : ['tp all-reduce (f backward)', 'tp all-reduce (g forward)'];
  for (const l of want) if (!labels.includes(l)) throw new Error(`no '${l}' among the collectives: ${labels.join(', ')}`);
  if (sp && labels.some((l) => l === 'tp all-reduce (f backward)' || l === 'tp all-reduce (g forward)')) throw new Error(`SP still all-reduces: ${labels.join(', ')}`);

  let lossErr = 0;
  wantLoss.forEach((w, i) => (lossErr = Math.max(lossErr, Math.abs(gotLoss[i] - w) / Math.abs(w))));
  if (!(lossErr <= LOSS_TOL)) throw new Error(`losses differ by ${lossErr} (relative) > ${LOSS_TOL}:\n  whole ${wantLoss.join(' ')}\n  split ${gotLoss.join(' ')}`);
  if (!(wantLoss[STEPS - 1] < wantLoss[0] - 0.05)) throw new Error(`the reference did not learn: ${wantLoss.join(' ')}`);

  const assembled = assembleTensorParallel(split, tp);
  let paramErr = 0, worst = '';
  for (const [name, p] of whole.namedParameters()) {
    const got = assembled[name];
    if (!got || got.shape.join() !== p.shape.join()) throw new Error(`parameter ${name}: shape [${got?.shape}] after assembly, [${p.shape}] whole`);
    const want = p.floatValues();
    for (let i = 0; i < want.length; i++) {
      const e = Math.abs(got.data[i] - want[i]);
      if (e > paramErr) [paramErr, worst] = [e, `${name}[${i}]`];
    }
  }
  if (!(paramErr <= PARAM_TOL)) throw new Error(`parameters differ by ${paramErr} at ${worst} > ${PARAM_TOL}`);

  // the ShardSpecs cover every parameter's local piece, and the cut ones are cut
  const specs = tensorParallelShardSpecs(split);
  const local = new Map(split.namedParameters());
  for (const s of specs.filter((x) => !x.name.startsWith('exp_avg'))) {
    if (shardNumel(s) !== local.get(s.name)!.numel()) throw new Error(`ShardSpec of ${s.name} describes ${shardNumel(s)} elements; the rank holds ${local.get(s.name)!.numel()}`);
  }
  const cut = specs.filter((x) => x.slice && !x.name.startsWith('exp_avg')).map((x) => x.name);
  for (const name of ['wte.weight', 'h.0.attn.c_attn.weight', 'h.0.attn.c_attn.bias', 'h.0.attn.c_proj.weight', 'h.1.mlp.c_fc.weight', 'h.1.mlp.c_proj.weight']) {
    if (!cut.includes(name)) throw new Error(`${name} is not split over the ranks`);
  }
  console.log(`rank ${rank}: tp${sp ? '+sp' : ''} ok on ${world.size} ranks, dropout ${dropout}: ${STEPS} steps, loss ${wantLoss[0].toFixed(4)} -> ${wantLoss[STEPS - 1].toFixed(4)}, worst loss diff ${lossErr.toExponential(2)} (relative), worst parameter diff ${paramErr.toExponential(2)} at ${worst}; collectives: ${labels.join(', ')}`);
}

if (inMpiJob()) await main();
