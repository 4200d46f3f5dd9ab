/**
 * Run on every rank by ddp.test.ts and zero.test.ts under mpirun: a tiny GPT trained for a few
 * steps twice, once as one process with the global batch (the reference, computed on every rank)
 * and once data parallel over the job's ranks, then every step's loss and every final parameter
 * compared. Rank r > 0 builds its distributed model from another seed: only the broadcast from
 * rank 0 can make it match. Outside an MPI job (node --test runs every file here) it does nothing.
 *
 * argv: --zero Z, --accum K, --steps S, --bucket-mb MB, --layers L (ZeRO-3 re-gathers layers in backward from 3 on).
 */
import { parseArgs } from 'node:util';
import { Tensor } from '../../src/engine/tensor.js';
import { GPT } from '../../src/models/gpt.js';
import { AdamW } from '../../src/optim/adam.js';
import { decayGroups } from '../../src/optim/groups.js';
import { cosineWithWarmup } from '../../src/optim/schedule.js';
import { trainLoop } from '../../src/train/loop.js';
import { Generator } from '../../src/util/random.js';
import { dataParallel, type DataParallel } from '../../src/dist/ddp.js';
import { initProcessGroup, inMpiJob } from '../../src/dist/process-group.js';
import { describeReport } from '../../src/dist/zero-memory.js';

const CONFIG = { vocabSize: 65, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 32 };
let nLayer = CONFIG.nLayer;
const B = 8, T = 16;

/** A repetitive random text: something a tiny GPT learns in a few steps. */
function corpus(): Int32Array {
  const g = new Generator(7);
  const words = Array.from({ length: 20 }, () => Array.from({ length: 2 + g.randint(0, 5) }, () => g.randint(1, 65)));
  const out: number[] = [];
  while (out.length < 4000) out.push(...words[g.randint(0, words.length)], 0);
  return Int32Array.from(out);
}

function batch(text: Int32Array, gen: Generator): { x: Tensor; y: Tensor } {
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const i = gen.randint(0, text.length - T - 1);
    x.set(text.subarray(i, i + T), b * T);
    y.set(text.subarray(i + 1, i + T + 1), b * T);
  }
  return { x: new Tensor(x, [B, T]), y: new Tensor(y, [B, T]) };
}

async function train(text: Int32Array, steps: number, accum: number, seed: number, dp?: (model: GPT, opt: AdamW) => Promise<DataParallel>) {
  const model = new GPT({ ...CONFIG, nLayer }, new Generator(seed));
  const opt = new AdamW(decayGroups(model, 0.1), { lr: 3e-3, betas: [0.9, 0.95] });
  const d = dp ? await dp(model, opt) : null;
  const gen = new Generator(42);
  const loss = (at: { micro: number; accumSteps: number }) => {
    void at;
    const b = batch(text, gen); // every rank draws the global batch, then keeps its rows
    const { x, y } = d ? d.rows(b) : b;
    return model.forward(x, y).loss!;
  };
  const r = await trainLoop({
    model, optimizer: opt, generator: gen, maxSteps: steps, accumSteps: accum, pool: true, gradClip: 0.5,
    schedule: cosineWithWarmup({ maxLr: 3e-3, minLr: 3e-4, warmupSteps: 2, decaySteps: steps }),
    loss: d ? d.wrapLoss(loss) : loss, kind: 'test', config: {},
    ...(d ? d.loopOptions() : {}),
  });
  const params = d ? await d.parameterValues() : new Map(model.namedParameters().map(([n, p]) => [n, p.data as Float32Array]));
  return { losses: r.losses, params, report: d?.report() };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { zero: { type: 'string', default: '0' }, accum: { type: 'string', default: '1' }, steps: { type: 'string', default: '10' }, 'bucket-mb': { type: 'string', default: '0.01' }, layers: { type: 'string', default: '2' } } });
  nLayer = Number(values.layers);
  const zero = Number(values.zero), accum = Number(values.accum), steps = Number(values.steps), bucketMb = Number(values['bucket-mb']);
  const { world } = initProcessGroup();
  const text = corpus();
  const ref = await train(text, steps, accum, 1);
  const got = await train(text, steps, accum, 1 + world.rank * 1000, (model, optimizer) =>
    dataParallel({ model, optimizer, accumSteps: accum, batchSize: B, layers: model.h }, { dp: world.size, zero, bucketMb }),
  );
  let dLoss = 0, dParam = 0, worst = '';
  ref.losses.forEach((l, i) => (dLoss = Math.max(dLoss, Math.abs(l - got.losses[i]))));
  for (const [name, want] of ref.params) {
    const have = got.params.get(name)!;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(want[i] - have[i]);
      if (d > dParam) [dParam, worst] = [d, name];
    }
  }
  const r = got.report!;
  // bytes per rank of the sharded state must be the formulas' (padding aside: < N floats per bucket)
  console.log(`rank ${world.rank}: zero ${zero} accum ${accum}: ${steps} steps, losses ${ref.losses[0].toFixed(4)} -> ${ref.losses[steps - 1].toFixed(4)}; max |dloss| ${dLoss.toExponential(2)}; max |dparam| ${dParam.toExponential(2)} (${worst})`);
  console.log(`rank ${world.rank}: report ${JSON.stringify(r)}`);
  if (world.rank === 0) console.log(describeReport(r));
}

if (inMpiJob()) await main();
