import { noGrad } from '../../engine/autograd.js';
import { Generator } from '../../util/random.js';
import { crossEntropy } from '../../engine/ops/nn.js';
import type { Tensor } from '../../engine/tensor.js';
import { AdamW } from '../../optim/adam.js';
import type { RunDir } from '../../io/rundir.js';
import { trainLoop } from '../../train/loop.js';
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

export const KIND = 'grokking';

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
  /** Epochs this call trained (a resumed run counts only its own). */
  epochsThisRun: number;
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
  /** Checked after every epoch, with Ctrl-C: true ends training early, as an interruption. */
  interrupted?: () => boolean;
  /** Run directory (metrics.jsonl, best/latest checkpoints); without one nothing is written. */
  run?: RunDir;
  /** Continue the run in `run` from its latest.safetensors. */
  resume?: boolean;
  /** Start over in a run directory that holds a run (else refused). */
  force?: boolean;
  /** Extra fields for config.json. */
  configNotes?: Record<string, unknown>;
  progress?: { label: string; quiet?: boolean };
  log?: (line: string) => void;
}

/** metrics.jsonl back into epoch records (train and val events of the same epoch merge). */
export function readHistory(dir: RunDir): EpochRecord[] {
  const by = new Map<number, EpochRecord>();
  for (const e of dir.readMetrics()) {
    const r = by.get(e.step) ?? { epoch: e.step, trainLoss: NaN, trainAcc: NaN, valLoss: null, valAcc: null, paramNorm: 0 };
    if (e.split === 'train') Object.assign(r, { trainLoss: e.loss, trainAcc: e.acc });
    if (e.split === 'val') Object.assign(r, { valLoss: e.loss, valAcc: e.acc, paramNorm: e.param_norm });
    by.set(e.step, r);
  }
  return [...by.values()].sort((a, b) => a.epoch - b.epoch);
}

/**
 * Full-batch training on the one training loop (train/loop.ts): one AdamW step per epoch on the
 * whole training split; the train metrics come from that step's own forward pass (before its
 * update), validation is measured on evaluation epochs (every evalEvery, the first and the last).
 */
export async function train(session: GrokSession, hooks: TrainHooks = {}): Promise<GrokResult> {
  const { config, model, optimizer, split } = session;
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  let history: EpochRecord[] = [];
  let train99: number | null = null, val99: number | null = null, finalValAcc = 0;
  const yTrain = split.y.intValues();
  const isEval = (epoch: number) => epoch % config.evalEvery === 0 || epoch === config.epochs || epoch === 1;
  let rec: EpochRecord = { epoch: 0, trainLoss: NaN, trainAcc: NaN, valLoss: null, valAcc: null, paramNorm: 0 };
  const r = await trainLoop({
    model, optimizer, maxSteps: config.epochs,
    loss: ({ step }) => {
      const logits = model.forward(split.x); // (Ntrain, p)
      const loss = crossEntropy(logits, split.y);
      rec = { epoch: step + 1, trainLoss: NaN, trainAcc: accuracy(logits, yTrain), valLoss: null, valAcc: null, paramNorm: 0 };
      return loss;
    },
    onStep: (s) => {
      rec.trainLoss = s.loss;
      if (train99 === null && rec.trainAcc >= 0.99) train99 = rec.epoch;
      if (!isEval(rec.epoch)) hooks.onEpoch?.(rec);
    },
    evaluate: () => {
      const v = evaluate(model, split.xVal, split.yVal);
      Object.assign(rec, { valLoss: v.loss, valAcc: v.acc, paramNorm: parameterNorm(model) });
      return { train: { loss: rec.trainLoss, acc: rec.trainAcc }, val: { loss: v.loss, acc: v.acc, param_norm: Number(rec.paramNorm.toFixed(4)) } };
    },
    evalAt: isEval, logEvery: 0, checkpointEvery: 0, curves: false, // its own curves.svg: log-scale epochs, accuracy and weight norm
    onEvaluate: () => {
      finalValAcc = rec.valAcc!;
      if (val99 === null && rec.valAcc! >= 0.99) val99 = rec.epoch;
      history.push(rec);
      hooks.onEpoch?.(rec);
    },
    // once grokked, a short tail shows it holds; no need to spend the whole budget
    stopWhen: (epoch) => config.stopAfterGrok > 0 && val99 !== null && epoch >= Math.ceil(val99 * config.stopAfterGrok),
    stopRequested: hooks.interrupted,
    run: hooks.run, kind: KIND, config: { ...config }, configKeys: CONFIG_KEYS, configNotes: hooks.configNotes, resume: hooks.resume, force: hooks.force,
    extraState: {
      save: () => ({ train99, val99 }),
      load: (saved, epoch) => {
        // the epochs before the resume, as the interrupted run logged them
        history = hooks.run ? readHistory(hooks.run).filter((h) => h.epoch <= epoch && h.valAcc !== null) : [];
        train99 = (saved.train99 as number | null) ?? null;
        val99 = (saved.val99 as number | null) ?? null;
        finalValAcc = history.at(-1)?.valAcc ?? 0;
      },
    },
    progress: hooks.progress && { ...hooks.progress, metrics: (s) => ({ loss: s.loss, train_acc: rec.trainAcc, val_acc: finalValAcc }) },
    log: hooks.log,
  });
  const cpu = process.cpuUsage(cpu0);
  return { history, train99, val99, finalValAcc, epochsRun: r.steps, epochsThisRun: r.steps - r.startStep, seconds: (Date.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, interrupted: r.interrupted };
}
