import { tensor } from '../../engine/ops/create.js';
import type { Tensor } from '../../engine/tensor.js';
import type { Generator } from '../../util/random.js';
import type { Biography, QA } from './bios.js';
import { WordVocab } from './vocab.js';

/**
 * One training row: the token ids and the targets to predict (-1: no loss there). A biography is
 * `<bos> words <eos>` with a loss on every next word; a question is `<bos> prompt answer <eos>`
 * with a loss only on the answer and `<eos>` (the model is not asked to predict the question).
 */
export interface Row {
  ids: number[];
  /** targets[t] is what position t should predict: ids[t + 1], or -1. */
  targets: number[];
}

export function biographyRow(vocab: WordVocab, bio: Biography): Row {
  const ids = [vocab.id(WordVocab.BOS), ...vocab.encode(bio.words), vocab.id(WordVocab.EOS)];
  return { ids: ids.slice(0, -1), targets: ids.slice(1) };
}

export function qaRow(vocab: WordVocab, qa: QA): Row {
  const prompt = [vocab.id(WordVocab.BOS), ...vocab.encode(qa.prompt)];
  const answer = [...vocab.encode(qa.answer), vocab.id(WordVocab.EOS)];
  const ids = [...prompt, ...answer];
  const targets = ids.slice(1).map((id, t) => (t + 1 >= prompt.length ? id : -1));
  return { ids: ids.slice(0, -1), targets };
}

/** Rows stacked into (B, T) tensors, T the longest row; shorter rows padded with <eos> and target -1. */
export function collate(rows: readonly Row[], padId: number): { x: Tensor; y: Tensor } {
  const T = Math.max(...rows.map((r) => r.ids.length));
  const x = new Int32Array(rows.length * T).fill(padId);
  const y = new Int32Array(rows.length * T).fill(-1);
  rows.forEach((r, b) => {
    x.set(r.ids, b * T);
    y.set(r.targets, b * T);
  });
  return { x: tensor(x, [rows.length, T]), y: tensor(y, [rows.length, T]) };
}

/**
 * Draws batches from one or two row sets: with `second`, each row comes from it with probability
 * `secondShare` (mixed training: biographies and questions in the same batches).
 */
export function sampleRows(gen: Generator, batchSize: number, first: readonly Row[], second?: readonly Row[], secondShare = 0): Row[] {
  const out: Row[] = [];
  for (let b = 0; b < batchSize; b++) {
    const pool = second && second.length > 0 && gen.random() < secondShare ? second : first;
    out.push(pool[gen.randint(0, pool.length)]);
  }
  return out;
}
