import { Value, sum, topologicalOrder } from './engine.js';
import { makeMoons, type Dataset } from './data.js';
import { MLP } from './nn.js';

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
  /** Called after each step with that step's loss and accuracy (measured before its update). */
  onStep?: (info: StepInfo) => void;
}

export interface TrainResult {
  model: MLP;
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
export function moonsLoss(model: MLP, data: Dataset, l2 = MOONS_RECIPE.l2): { loss: Value; accuracy: number } {
  const n = data.X.length;
  const margins: Value[] = new Array(n);
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

/** Trains MLP(2, [16, 16, 1]) on 100 two-moons points with full-batch SGD, lr 1.0 -> 0.1. */
export function trainMoons({ steps = 100, seed = 1337, onStep }: TrainOptions = {}): TrainResult {
  const r = MOONS_RECIPE;
  const data = makeMoons({ samples: r.samples, noise: r.noise, seed });
  // A different stream for the weights than for the data, from the same user-facing seed.
  const model = new MLP(2, r.sizes, seed ^ 0x5bd1e995);
  const params = model.parameters();
  const history: StepInfo[] = [];
  let nodesPerStep = 0;
  let firstPerfectStep: number | null = null;
  const start = performance.now();
  for (let step = 0; step < steps; step++) {
    const { loss, accuracy } = moonsLoss(model, data);
    if (step === 0) nodesPerStep = topologicalOrder(loss).length;
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
