/**
 * micrograd's moons demo one step at a time: the chapter's data, MLP, loss and learning-rate
 * recipe (src/chapters/micrograd/train.ts), on its fast Value engine (the same numbers as the
 * plain one, a chapter test checks it). The view is the decision boundary on a grid.
 */
import { Generator } from '../../../../src/util/random.js';
import { makeMoons } from '../../../../src/chapters/micrograd/data.js';
import { MLP } from '../../../../src/chapters/micrograd/nn.js';
import { ENGINES, MOONS_RECIPE, moonsLoss } from '../../../../src/chapters/micrograd/train.js';
import type { Job, Settings } from '../protocol.js';

export interface MoonsView {
  /** grid x grid scores, row by row from the top (max y) down, over [x0, x1] x [y0, y1]. */
  scores: number[];
  grid: number;
  box: [number, number, number, number];
  X: [number, number][];
  y: number[];
}

const GRID = 48;

export function createJob(s: Settings): Job {
  const steps = Number(s.steps), seed = Number(s.seed);
  const r = MOONS_RECIPE;
  const gen = new Generator(seed); // as trainMoons: one seed, two streams (data, weights)
  const data = makeMoons({ samples: r.samples, noise: r.noise, seed: gen.fork() });
  const model = new MLP(2, r.sizes, gen.fork(), ENGINES.fast.leaf);
  const params = model.parameters();
  const xs = data.X.map((p) => p[0]), ys = data.X.map((p) => p[1]);
  const box: MoonsView['box'] = [Math.min(...xs) - 0.5, Math.max(...xs) + 0.5, Math.min(...ys) - 0.5, Math.max(...ys) + 0.5];
  return {
    total: steps,
    viewEvery: 5,
    step(step) {
      const { loss, accuracy } = moonsLoss(model, data);
      model.zeroGrad();
      loss.backward();
      const lr = r.lrStart - ((r.lrStart - r.lrEnd) * (step - 1)) / steps;
      for (const p of params) p.data -= lr * p.grad;
      return { loss: loss.data, accuracy, lr };
    },
    view(): MoonsView {
      const scores: number[] = [];
      for (let i = 0; i < GRID; i++) {
        const y = box[3] - ((box[3] - box[2]) * (i + 0.5)) / GRID;
        for (let j = 0; j < GRID; j++) scores.push(model.predict([box[0] + ((box[1] - box[0]) * (j + 0.5)) / GRID, y])[0]);
      }
      return { scores, grid: GRID, box, X: data.X, y: data.y };
    },
  };
}
