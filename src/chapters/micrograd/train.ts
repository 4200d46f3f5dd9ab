import { Generator } from '../../util/random.js';
import { Value, topologicalOrder } from './engine.js';
import { FastValue, topologicalOrder as fastTopologicalOrder } from './fast_engine.js';
import { makeMoons, type Dataset } from './data.js';
import { MLP, type Leaf, type Scalar } from './nn.js';

/** The two engines: the readable one (engine.ts) and the fast one (fast_engine.ts). Same numbers. */
export interface Engine<V extends Scalar<V>> {
  leaf: Leaf<V>;
  /** Nodes in the graph behind root. */
  nodes(root: V): number;
}

export const ENGINES = {
  plain: { leaf: (x: number) => new Value(x), nodes: (root: Value) => topologicalOrder(root).length } satisfies Engine<Value>,
  fast: { leaf: (x: number) => new FastValue(x), nodes: (root: FastValue) => fastTopologicalOrder(root).length } satisfies Engine<FastValue>,
};
export type EngineName = keyof typeof ENGINES;

/** The recipe of micrograd's demo notebook; only the seed and the number of steps vary. */
export const MOONS_RECIPE = {
  samples: 100,
  noise: 0.1,
  sizes: [16, 16, 1],
  l2: 1e-4,
  lrStart: 1.0,
  lrEnd: 0.1,
} as const;

export interface StepInfo {
  step: number;
  loss: number;
  accuracy: number;
  lr: number;
}

export interface TrainOptions {
  steps?: number;
  seed?: number;
  /** Which Value class builds the graphs (default 'plain', the one the chapter reads). */
  engine?: EngineName;
  /** Called after each step with that step's loss and accuracy (measured before its update). */
  onStep?: (info: StepInfo) => void;
}

export interface TrainResult {
  model: { predict(x: readonly number[]): number[] };
  data: Dataset;
  history: StepInfo[];
  /** Loss and accuracy of the trained model (after the last update). */
  finalLoss: number;
  accuracy: number;
  /** First step whose forward pass classified every point correctly, or null. */
  firstPerfectStep: number | null;
  /** Nodes in one step's graph (everything the loss depends on). */
  nodesPerStep: number;
  /** Wall time of the training loop alone. */
  seconds: number;
}

/**
 * Max-margin (SVM) loss mean(relu(1 - y * score)) plus L2 regularisation, and the fraction of
 * points on the right side of the boundary. The inputs are numbers; MLP.forward wraps each in a
 * leaf Value, as micrograd's notebook does.
 */
export function moonsLoss<V extends Scalar<V>>(model: MLP<V>, data: Dataset, l2 = MOONS_RECIPE.l2): { loss: V; accuracy: number } {
  const n = data.X.length;
  const margins: V[] = new Array(n);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const score = model.forward(data.X[i])[0];
    margins[i] = score.mul(-data.y[i]).add(1).relu();
    if (score.data > 0 === data.y[i] > 0) correct++;
  }
  const dataLoss = sum(margins).mul(1 / n);
  const params = model.parameters();
  const regLoss = sum(params.map((p) => p.mul(p))).mul(l2);
  return { loss: dataLoss.add(regLoss), accuracy: correct / n };
}

/** Sum of many values as one chain of additions (no zero constant in front, unlike Python's sum). */
export function sum<V extends Scalar<V>>(values: readonly V[]): V {
  let total = values[0];
  for (let i = 1; i < values.length; i++) total = total.add(values[i]);
  return total;
}

/** Trains MLP(2, [16, 16, 1]) on 100 two-moons points with full-batch SGD, lr 1.0 -> 0.1. */
export function trainMoons({ engine = 'plain', ...options }: TrainOptions = {}): TrainResult {
  return engine === 'fast' ? trainWith(ENGINES.fast, options) : trainWith(ENGINES.plain, options);
}

function trainWith<V extends Scalar<V>>(engine: Engine<V>, { steps = 100, seed = 1337, onStep }: TrainOptions): TrainResult {
  const r = MOONS_RECIPE;
  // One seed, two independent streams: one for the data, one for the initial weights.
  const gen = new Generator(seed);
  const data = makeMoons({ samples: r.samples, noise: r.noise, seed: gen.fork() });
  const model = new MLP(2, r.sizes, gen.fork(), engine.leaf);
  const params = model.parameters();
  const history: StepInfo[] = [];
  let nodesPerStep = 0;
  let firstPerfectStep: number | null = null;
  const start = performance.now();
  for (let step = 0; step < steps; step++) {
    const { loss, accuracy } = moonsLoss(model, data);
    if (step === 0) nodesPerStep = engine.nodes(loss);
    model.zeroGrad();
    loss.backward();
    const lr = r.lrStart - ((r.lrStart - r.lrEnd) * step) / steps;
    for (const p of params) p.data -= lr * p.grad;
    if (accuracy === 1 && firstPerfectStep === null) firstPerfectStep = step;
    const info = { step, loss: loss.data, accuracy, lr };
    history.push(info);
    onStep?.(info);
  }
  const seconds = (performance.now() - start) / 1000;
  const final = moonsLoss(model, data);
  return { model, data, history, finalLoss: final.loss.data, accuracy: final.accuracy, firstPerfectStep, nodesPerStep, seconds };
}
