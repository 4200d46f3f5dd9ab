import { yieldToEventLoop } from '../../util/interrupt.js';
import { noGrad } from '../../engine/autograd.js';
import { Generator } from '../../util/random.js';
import { crossEntropy } from '../../engine/ops/nn.js';
import type { Tensor } from '../../engine/tensor.js';
import { AdamW } from '../../optim/adam.js';
import { buildModel, type GrokModel, type GrokModelConfig } from './model.js';
import { checkTask, makeDataset, splitDataset, type Operation, type Split } from './data.js';

/** Everything that defines a grokking run (saved as config.json and checked on resume). */
export interface GrokConfig extends GrokModelConfig {
  op: Operation;
  trainFrac: number;
  seed: number;
  epochs: number;
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Validation is measured every this many epochs (train metrics come free with each step). */
  evalEvery: number;
  /** Stop this many times the grokking epoch after validation reaches 99% (0: run every epoch). */
  stopAfterGrok: number;
}

export const CONFIG_KEYS = ['op', 'p', 'trainFrac', 'seed', 'arch', 'dModel', 'nHeads', 'dMlp', 'lr', 'weightDecay', 'beta1', 'beta2'] as const;

/** One logged epoch; val fields are null on epochs without an evaluation. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  valLoss: number | null;
  valAcc: number | null;
  paramNorm: number;
}

export interface GrokResult {
  history: EpochRecord[];
  /** First epoch with training (validation) accuracy >= 99%, or null if never. */
  train99: number | null;
  val99: number | null;
  finalValAcc: number;
  epochsRun: number;
  seconds: number;
  /** CPU time of this process (user + system): steadier than wall time on a shared machine. */
  cpuSeconds: number;
  interrupted: boolean;
}

/** Fraction of rows whose argmax logit is the label. logits (N, C), labels (N). */
export function accuracy(logits: Tensor, labels: Int32Array): number {
  const v = logits.floatValues();
  const C = logits.shape[1];
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let j = 1; j < C; j++) if (v[i * C + j] > v[i * C + best]) best = j;
    if (best === labels[i]) right++;
  }
  return right / labels.length;
}

/** sqrt of the sum of squares of every parameter: the quantity weight decay shrinks. */
export function parameterNorm(model: GrokModel): number {
  let s = 0;
  for (const t of model.parameters()) {
    const v = t.data;
    for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  }
  return Math.sqrt(s);
}

export function evaluate(model: GrokModel, x: Tensor, y: Tensor): { loss: number; acc: number } {
  return noGrad(() => {
    const logits = model.forward(x);
    return { loss: crossEntropy(logits, y).item(), acc: accuracy(logits, y.intValues()) };
  });
}

export interface GrokSession {
  config: GrokConfig;
  model: GrokModel;
  optimizer: AdamW;
  split: Split;
}

/** Dataset, split, model (seeded by config.seed) and full-batch AdamW with the papers' betas. */
export function setupRun(config: GrokConfig): GrokSession {
  const op = checkTask(config.op, config.p, config.trainFrac);
  const split = splitDataset(makeDataset(op, config.p), config.trainFrac, config.seed);
  const model = buildModel(config, new Generator(config.seed + 1));
  const optimizer = new AdamW(model.parameters(), { lr: config.lr, betas: [config.beta1, config.beta2], weightDecay: config.weightDecay });
  return { config, model, optimizer, split };
}

export interface TrainHooks {
  /** Called after every epoch (val fields set on evaluation epochs). */
  onEpoch?: (r: EpochRecord) => void;
  /** Checked after every epoch: true ends training early (Ctrl-C). */
  interrupted?: () => boolean;
  /** Continue a resumed run from this epoch with its earlier history. */
  startEpoch?: number;
  history?: EpochRecord[];
}

/** Full-batch training: one AdamW step per epoch on the whole training split. */
export async function train(session: GrokSession, hooks: TrainHooks = {}): Promise<GrokResult> {
  const { config, model, optimizer, split } = session;
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const history: EpochRecord[] = [...(hooks.history ?? [])];
  const yTrain = split.y.intValues();
  let train99: number | null = history.find((r) => r.trainAcc >= 0.99)?.epoch ?? null;
  let val99: number | null = history.find((r) => r.valAcc !== null && r.valAcc >= 0.99)?.epoch ?? null;
  let finalValAcc = [...history].reverse().find((r) => r.valAcc !== null)?.valAcc ?? 0;
  let epoch = hooks.startEpoch ?? 0;
  let interrupted = false;
  while (epoch < config.epochs) {
    epoch++;
    // train metrics come from this epoch's own forward pass, before its update
    const logits = model.forward(split.x); // (Ntrain, p)
    const loss = crossEntropy(logits, split.y);
    const trainAcc = accuracy(logits, yTrain);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    const rec: EpochRecord = { epoch, trainLoss: loss.item(), trainAcc, valLoss: null, valAcc: null, paramNorm: 0 };
    if (train99 === null && trainAcc >= 0.99) train99 = epoch;
    const last = epoch === config.epochs;
    if (epoch % config.evalEvery === 0 || last || epoch === 1) {
      const v = evaluate(model, split.xVal, split.yVal);
      rec.valLoss = v.loss;
      rec.valAcc = v.acc;
      rec.paramNorm = parameterNorm(model);
      finalValAcc = v.acc;
      if (val99 === null && v.acc >= 0.99) val99 = epoch;
      history.push(rec);
    }
    hooks.onEpoch?.(rec);
    await yieldToEventLoop(); // lets a Ctrl-C handler run
    if (hooks.interrupted?.()) {
      interrupted = true;
      break;
    }
    // once grokked, a short tail shows it holds; no need to spend the whole budget
    if (config.stopAfterGrok > 0 && val99 !== null && epoch >= Math.ceil(val99 * config.stopAfterGrok) && rec.valAcc !== null) break;
  }
  const cpu = process.cpuUsage(cpu0);
  return { history, train99, val99, finalValAcc, epochsRun: epoch, seconds: (Date.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, interrupted };
}
