/**
 * Run on every rank by pp.test.ts under mpirun: a tiny GPT (3 layers, n_embd 32, block 16,
 * vocab 65, tied head) trained for STEPS steps with the pipeline (schedule and micro-batches from
 * argv) through the training loop, against the same training on one process, which every rank
 * also runs first. Checks each step's loss and grad norm, the final parameters of this stage and
 * a pipelined evaluation, and how many micro-batches' activations the stage held at once.
 * Prints one line per rank with the largest differences. Outside an MPI job it does nothing.
 */
import { Tensor } from '../../src/engine/tensor.js';
import { noGrad } from '../../src/engine/autograd.js';
import { GPT, type GPTConfig } from '../../src/models/gpt.js';
import { AdamW } from '../../src/optim/adam.js';
import { decayGroups } from '../../src/optim/groups.js';
import { trainLoop } from '../../src/train/loop.js';
import { Generator } from '../../src/util/random.js';
import { processGrid } from '../../src/dist/grid.js';
import { Pipeline } from '../../src/dist/pipeline.js';
import { initProcessGroup, inMpiJob } from '../../src/dist/process-group.js';
import { shardNumel } from '../../src/dist/shard-spec.js';

const CONFIG: GPTConfig = { vocabSize: 65, blockSize: 16, nLayer: 3, nHead: 2, nEmbd: 32, dropout: 0, bias: true, tieWeights: true };
const B = 8, T = 16, STEPS = 12, SEED = 7;
/** Stated tolerances (float32; the micro-batches sum the batch's gradient in another order). */
const LOSS_TOL = 2e-5, PARAM_TOL = 5e-5;

/** A batch of random tokens; y is x shifted by one, so the model has something to learn. */
function batch(gen: Generator): { x: Tensor; y: Tensor } {
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  for (let i = 0; i < B; i++) {
    const start = gen.randint(0, 60);
    for (let t = 0; t < T; t++) {
      x[i * T + t] = (start + t * 3 + gen.randint(0, 2)) % 65;
      y[i * T + t] = (x[i * T + t] + 1) % 65;
    }
  }
  return { x: new Tensor(x, [B, T]), y: new Tensor(y, [B, T]) };
}

function optimizer(model: GPT): AdamW {
  return new AdamW(decayGroups(model, 0.1), { lr: 3e-3, betas: [0.9, 0.95] });
}

interface Trace { losses: number[]; norms: number[] }

async function reference(): Promise<{ model: GPT; trace: Trace }> {
  const gen = new Generator(SEED);
  const model = new GPT(CONFIG, new Generator(SEED));
  const trace: Trace = { losses: [], norms: [] };
  await trainLoop({
    model, optimizer: optimizer(model), maxSteps: STEPS, gradClip: 0.5, kind: 'test', config: {}, logEvery: 0,
    loss: () => {
      const { x, y } = batch(gen);
      return model.forward(x, y).loss!;
    },
    onStep: (s) => (trace.losses.push(s.loss), trace.norms.push(s.gradNorm)),
  });
  return { model, trace };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

async function main(argv: string[]): Promise<void> {
  const [schedule = '1f1b', mArg = '4'] = argv;
  const m = Number(mArg);
  const { world } = initProcessGroup();
  const ref = await reference();

  const grid = await processGrid(world, { dp: 1, pp: world.size, tp: 1 });
  const pipe = await Pipeline.create(grid.pp, CONFIG.nLayer, schedule, m);
  const model = new GPT(CONFIG, new Generator(SEED), { layers: pipe.layers });
  pipe.attach(model, { hidden: CONFIG.nEmbd, tied: true });
  const gen = new Generator(SEED);
  const trace: Trace = { losses: [], norms: [] };
  await trainLoop({
    model, optimizer: optimizer(model), maxSteps: STEPS, gradClip: 0.5, kind: 'test', config: {}, logEvery: 0,
    ...pipe.loopHooks(() => batch(gen)),
    onStep: (s) => (trace.losses.push(s.loss), trace.norms.push(s.gradNorm)),
  });

  const problems: string[] = [];
  const lossDiff = maxDiff(trace.losses, ref.trace.losses);
  const normDiff = maxDiff(trace.norms, ref.trace.norms) / Math.max(...ref.trace.norms);
  if (!(lossDiff <= LOSS_TOL)) problems.push(`losses differ by ${lossDiff} (pipeline ${trace.losses.join(' ')}; one process ${ref.trace.losses.join(' ')})`);
  if (!(normDiff <= 1e-4)) problems.push(`grad norms differ by ${normDiff} relative`);
  if (!ref.trace.norms.some((n) => n > 0.5)) problems.push('no step was clipped: the test does not exercise the norm over stages');

  const whole = Object.fromEntries(ref.model.namedParameters());
  whole['lm_head.weight'] = whole['wte.weight']; // the last stage's copy of the tied weight
  const wholeNames = Object.keys(whole).filter((n) => n !== 'lm_head.weight');
  let paramDiff = 0;
  const names = model.namedParameters().map(([n]) => n);
  for (const [name, p] of model.namedParameters()) paramDiff = Math.max(paramDiff, maxDiff(p.data, whole[name].data));
  if (!(paramDiff <= PARAM_TOL)) problems.push(`parameters differ by ${paramDiff}`);
  const expectNames = wholeNames.filter((n) => {
    const layer = /^h\.(\d+)\./.exec(n);
    if (layer) return Number(layer[1]) >= pipe.layers[0] && Number(layer[1]) < pipe.layers[1];
    if (n.startsWith('wte') || n.startsWith('wpe')) return pipe.first;
    return pipe.last && n !== 'wte.weight';
  });
  if (pipe.last && !pipe.first) expectNames.push('lm_head.weight');
  if (names.sort().join() !== expectNames.sort().join()) problems.push(`stage holds ${names.join(' ')}; expected ${expectNames.join(' ')}`);

  // ShardSpecs: this stage's parameters whole, each with AdamW's two moments; the tied copy
  // listed once over the stages, so the pieces add up to the whole model exactly
  const specs = pipe.shardSpecs();
  const own = specs.filter((sp) => !sp.name.startsWith('exp_avg'));
  const ownNames = expectNames.filter((n) => !(pipe.last && !pipe.first && n === 'lm_head.weight'));
  if (own.map((sp) => sp.name).sort().join() !== ownNames.sort().join() || specs.length !== 3 * own.length || specs.some((sp) => sp.slice || sp.flat)) {
    problems.push(`shard specs ${specs.map((sp) => sp.name).join(' ')}`);
  }
  const total = new Float32Array([own.reduce((a, sp) => a + shardNumel(sp), 0)]);
  await world.allReduce(total);
  if (total[0] !== ref.model.numParameters()) problems.push(`shard specs cover ${total[0]} elements over the stages; the model has ${ref.model.numParameters()}`);

  const evalBatch = batch(new Generator(99));
  const evalRef = noGrad(() => ref.model.forward(evalBatch.x, evalBatch.y).loss!.item());
  const evalPipe = noGrad(() => pipe.evalLoss(evalBatch.x, evalBatch.y));
  if (!(Math.abs(evalRef - evalPipe) <= LOSS_TOL)) problems.push(`evaluation loss ${evalPipe}, one process ${evalRef}`);

  const liveLimit = schedule === '1f1b' ? Math.min(pipe.stages - pipe.stage, m) : m;
  if (pipe.peakLive !== liveLimit) problems.push(`held ${pipe.peakLive} micro-batches at once; ${schedule} should hold ${liveLimit}`);
  const bubble = pipe.meanBubble();
  if (!(bubble > 0 && bubble < 1)) problems.push(`measured bubble ${bubble} is not a fraction`);
  // with dropout, as chargpt the model and the batches share one generator: each stage draws
  // only its own layers' masks, so the masks must come from a stream of their own, or the stages
  // would each draw another batch
  const shared = new Generator(SEED);
  const dropModel = new GPT({ ...CONFIG, dropout: 0.2 }, shared, { layers: pipe.layers });
  pipe.attach(dropModel, { hidden: CONFIG.nEmbd, tied: true, seed: SEED });
  await trainLoop({ model: dropModel, optimizer: optimizer(dropModel), maxSteps: 3, kind: 'test', config: {}, logEvery: 0, ...pipe.loopHooks(() => batch(shared)) });
  const stream = new Float32Array([shared.getState().reduce((a, v) => (a + v) % 65521, 0)]);
  const streams = new Float32Array(world.size);
  await world.allGather(stream, streams);
  if (streams.some((v) => v !== streams[0])) problems.push(`with dropout the stages' batch streams diverged (${streams.join(' ')})`);

  if (problems.length) throw new Error(`rank ${world.rank}: ${problems.join('; ')}`);
  console.log(`rank ${world.rank}: pp ${schedule} stage ${pipe.stage}/${pipe.stages} layers ${pipe.layers.join('..')} reproduced ${STEPS} steps: loss diff ${lossDiff.toExponential(2)}, param diff ${paramDiff.toExponential(2)}, eval diff ${Math.abs(evalRef - evalPipe).toExponential(2)}, peak live ${pipe.peakLive}, ${pipe.summary()}`);
}

if (inMpiJob()) await main(process.argv.slice(2));
