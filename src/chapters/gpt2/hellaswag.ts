import { readTextFile } from '../../data/text.js';
import { Tensor } from '../../engine/tensor.js';
import { noGrad } from '../../engine/autograd.js';
import { GradpathError } from '../../util/errors.js';
import type { Tokenizer } from './bpe.js';
import type { GPT2 } from './model.js';

/**
 * HellaSwag as build-nanogpt scores it: a context and four candidate endings; the model
 * "chooses" the ending it finds most likely. Each candidate is context + " " + ending; the
 * loss is the cross-entropy of the ending's tokens only (the context is given), and
 *   acc      picks the lowest total loss,
 *   acc_norm picks the lowest average loss per ending token (fair to long endings; the one reported).
 */
export interface HellaSwagExample { ctx: string; endings: string[]; label: number }

export function readHellaSwag(path: string): HellaSwagExample[] {
  const text = readTextFile(path);
  return text.split('\n').filter((l) => l.trim()).map((line, i) => {
    let ex: Partial<HellaSwagExample>;
    try {
      ex = JSON.parse(line);
    } catch {
      throw new GradpathError(`hellaswag: ${path} line ${i + 1} is not JSON`);
    }
    if (typeof ex.ctx !== 'string' || !Array.isArray(ex.endings) || ex.endings.length < 2 || !Number.isInteger(ex.label)) {
      throw new GradpathError(`hellaswag: ${path} line ${i + 1} needs "ctx" (text), "endings" (a list) and "label" (an index)`);
    }
    return ex as HellaSwagExample;
  });
}

export interface Scored {
  /** Per ending: summed and mean cross-entropy of its tokens. */
  sumLoss: number[];
  avgLoss: number[];
  pred: number;
  predNorm: number;
}

/**
 * Rows (endings, T): context tokens then ending tokens, zero-padded on the right (the model is
 * causal, so padding after a row's end changes nothing before it); mask marks ending tokens.
 */
export function renderExample(tok: Tokenizer, ex: HellaSwagExample, maxLen: number): { tokens: number[][]; mask: number[][] } {
  const ctx = tok.encode(ex.ctx, 'none');
  const tokens: number[][] = [], mask: number[][] = [];
  for (const ending of ex.endings) {
    const end = tok.encode(' ' + ending, 'none'); // the space belongs to the ending's first token, as GPT-2 tokenizes
    let row = [...ctx, ...end], m = [...ctx.map(() => 0), ...end.map(() => 1)];
    if (row.length > maxLen) {
      row = row.slice(row.length - maxLen); // drop the oldest context
      m = m.slice(m.length - maxLen);
    }
    tokens.push(row);
    mask.push(m);
  }
  return { tokens, mask };
}

export function scoreExample(model: GPT2, tok: Tokenizer, ex: HellaSwagExample): Scored {
  const { tokens, mask } = renderExample(tok, ex, model.gpt2.blockSize);
  const N = tokens.length, T = Math.max(...tokens.map((r) => r.length));
  const idx = new Int32Array(N * T);
  tokens.forEach((r, i) => idx.set(r, i * T));
  const logp = noGrad(() => model.forward(new Tensor(idx, [N, T])).logits.logSoftmax(-1).values()); // (N, T, V)
  const V = model.gpt2.vocabSize;
  const sumLoss: number[] = [], avgLoss: number[] = [];
  for (let i = 0; i < N; i++) {
    let sum = 0, count = 0;
    for (let t = 1; t < tokens[i].length; t++) {
      if (!mask[i][t]) continue;
      sum -= logp[(i * T + t - 1) * V + tokens[i][t]]; // position t-1 predicts token t
      count++;
    }
    sumLoss.push(sum);
    avgLoss.push(count ? sum / count : Infinity);
  }
  const argmin = (a: number[]) => a.reduce((best, v, i) => (v < a[best] ? i : best), 0);
  return { sumLoss, avgLoss, pred: argmin(sumLoss), predNorm: argmin(avgLoss) };
}

export function evaluateHellaSwag(model: GPT2, tok: Tokenizer, examples: HellaSwagExample[], onExample?: (i: number, s: Scored) => void): { n: number; acc: number; accNorm: number } {
  let correct = 0, correctNorm = 0;
  examples.forEach((ex, i) => {
    const s = scoreExample(model, tok, ex);
    if (s.pred === ex.label) correct++;
    if (s.predNorm === ex.label) correctNorm++;
    onExample?.(i, s);
  });
  const n = examples.length;
  return { n, acc: n ? correct / n : 0, accNorm: n ? correctNorm / n : 0 };
}
