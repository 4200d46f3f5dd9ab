import { Tensor } from '../../engine/tensor.js';
import type { Generator } from '../../util/random.js';
import { noGrad } from '../../engine/autograd.js';
import { multinomial } from '../../engine/ops/nn.js';
import { restrictTopK } from '../../models/gpt.js';
import type { Vocab } from './data.js';
import type { CharModel } from './models/index.js';

/**
 * Draws `count` items: start every row with the start marker, repeatedly append a character
 * drawn from the model's prediction for the last position, stop a row at the end marker.
 * An item can be at most blockSize - 1 characters, the longest the model was trained on.
 */
export function generateItems(model: CharModel, vocab: Vocab, blockSize: number, count: number, opts: { topK?: number; generator: Generator }): string[] {
  if (count <= 0) return [];
  return noGrad(() => {
    const wasTraining = model.training;
    model.eval(); // BatchNorm uses its running statistics
    const rows: number[][] = Array.from({ length: count }, () => [0]);
    const done = new Array<boolean>(count).fill(false);
    for (let t = 0; t < blockSize - 1 && done.includes(false); t++) {
      const T = rows[0].length;
      const idx = new Tensor(Int32Array.from(rows.flat()), [count, T]); // (B, T)
      const { logits } = model.forward(idx); // (B, T, vocab)
      const last = logits.narrow(1, T - 1, 1).squeeze(1); // (B, vocab)
      const next = multinomial(restrictTopK(last, opts.topK).softmax(-1), 1, opts.generator).intValues();
      rows.forEach((r, b) => {
        const tok = done[b] ? 0 : next[b];
        if (tok === 0) done[b] = true;
        r.push(tok);
      });
    }
    model.train(wasTraining);
    return rows.map((r) => vocab.decode(r)); // markers (0) decode to nothing; after the end only 0s follow
  });
}

/** Marks each sample as a copy of a training item or new, as makemore prints them. */
export function describeSamples(samples: string[], train: Set<string>, test: Set<string>): string[] {
  return samples.map((s) => `${s}${train.has(s) ? '  (in train)' : test.has(s) ? '  (in test)' : '  (new)'}`);
}
