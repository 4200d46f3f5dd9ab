import { tensor } from '../../engine/ops/create.js';
import { crossEntropy } from '../../engine/ops/nn.js';
import { noGrad } from '../../engine/autograd.js';
import { Linear } from '../../nn/layers.js';
import { AdamW } from '../../optim/adam.js';
import { Generator } from '../../util/random.js';

/** What a probe learns to read: one label per sample for each of several fields (classes each). */
export interface ProbeTask {
  fields: { name: string; classes: number; labels: Int32Array }[];
}

export interface ProbeOptions {
  steps?: number;
  lr?: number;
  weightDecay?: number;
  seed?: number;
}

/**
 * Linear probing: one linear classifier per field (softmax regression, full batch AdamW) on
 * features (n, d) of the `train` samples, measured by accuracy on the `test` samples. The
 * features are standardised with the training samples' mean and deviation, so one learning rate
 * suits every layer. All fields share one Linear whose outputs are the fields' logits side by
 * side (one matmul per step); the loss is the sum of the fields' cross-entropies.
 * Returns the test accuracy of each field.
 */
export function linearProbe(features: Float32Array, d: number, task: ProbeTask, train: readonly number[], test: readonly number[], o: ProbeOptions = {}): Record<string, number> {
  const steps = o.steps ?? 300;
  const mean = new Float64Array(d), sd = new Float64Array(d);
  for (const i of train) for (let j = 0; j < d; j++) mean[j] += features[i * d + j] / train.length;
  for (const i of train) for (let j = 0; j < d; j++) sd[j] += (features[i * d + j] - mean[j]) ** 2 / train.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) + 1e-6;
  const rows = (idx: readonly number[]) => {
    const x = new Float32Array(idx.length * d);
    idx.forEach((i, r) => {
      for (let j = 0; j < d; j++) x[r * d + j] = (features[i * d + j] - mean[j]) / sd[j];
    });
    return tensor(x, [idx.length, d]);
  };
  const labels = (idx: readonly number[], f: ProbeTask['fields'][number]) => tensor(Int32Array.from(idx, (i) => f.labels[i]), [idx.length]);
  const xTrain = rows(train), xTest = rows(test);
  const total = task.fields.reduce((s, f) => s + f.classes, 0);
  const offsets = task.fields.map((_, k) => task.fields.slice(0, k).reduce((s, f) => s + f.classes, 0));
  const yTrain = task.fields.map((f) => labels(train, f));
  const head = new Linear(d, total, { generator: new Generator(o.seed ?? 0) });
  const opt = new AdamW(head.parameters(), { lr: o.lr ?? 0.01, weightDecay: o.weightDecay ?? 0.1 });
  for (let s = 0; s < steps; s++) {
    const logits = head.forward(xTrain); // (n, total)
    let loss = crossEntropy(logits.narrow(1, offsets[0], task.fields[0].classes), yTrain[0]);
    for (let k = 1; k < task.fields.length; k++) loss = loss.add(crossEntropy(logits.narrow(1, offsets[k], task.fields[k].classes), yTrain[k]));
    opt.zeroGrad();
    loss.backward();
    opt.step();
  }
  return noGrad(() => {
    const logits = head.forward(xTest).floatValues(); // (m, total)
    const out: Record<string, number> = {};
    task.fields.forEach((f, k) => {
      let right = 0;
      test.forEach((i, r) => {
        let best = 0;
        for (let c = 1; c < f.classes; c++) if (logits[r * total + offsets[k] + c] > logits[r * total + offsets[k] + best]) best = c;
        if (best === f.labels[i]) right++;
      });
      out[f.name] = right / Math.max(1, test.length);
    });
    return out;
  });
}
