import { noGrad } from '../../engine/autograd.js';
import type { GPT } from '../../models/gpt.js';
import { ATTRIBUTES, type Attribute } from './people.js';
import type { Biography, QA } from './bios.js';
import { biographyRow, collate, qaRow, type Row } from './data.js';
import { WordVocab } from './vocab.js';

/**
 * For each row and position: is the model's argmax the target there? (true where there is no
 * target.) With teacher forcing, "every answer token is the argmax" is exactly greedy decoding's
 * exact match: greedy decoding then writes that answer, token by token, and nothing else.
 */
export function argmaxHits(model: GPT, rows: readonly Row[], padId: number, batchSize = 64): boolean[][] {
  const out: boolean[][] = [];
  noGrad(() => {
    for (let s = 0; s < rows.length; s += batchSize) {
      const { x, y } = collate(rows.slice(s, s + batchSize), padId);
      const [B, T] = x.shape;
      const logits = model.forward(x).logits.floatValues(); // (B, T, V)
      const V = logits.length / (B * T);
      const targets = y.intValues();
      for (let b = 0; b < B; b++) {
        const hits: boolean[] = [];
        for (let t = 0; t < rows[s + b].ids.length; t++) {
          const want = targets[b * T + t];
          if (want < 0) { hits.push(true); continue; }
          const base = (b * T + t) * V;
          let best = 0;
          for (let v = 1; v < V; v++) if (logits[base + v] > logits[base + best]) best = v;
          hits.push(best === want);
        }
        out.push(hits);
      }
    }
  });
  return out;
}

/** Exact-match accuracy on questions, overall and per attribute. */
export function qaAccuracy(model: GPT, vocab: WordVocab, qas: readonly QA[]): { acc: number; byAttribute: Record<Attribute, number> } {
  const rows = qas.map((q) => qaRow(vocab, q));
  const ok = argmaxHits(model, rows, vocab.id(WordVocab.EOS)).map((hits) => hits.every(Boolean));
  const byAttribute = {} as Record<Attribute, number>;
  for (const a of ATTRIBUTES) {
    const idx = qas.map((q, i) => (q.attribute === a ? i : -1)).filter((i) => i >= 0);
    byAttribute[a] = idx.length ? idx.filter((i) => ok[i]).length / idx.length : NaN;
  }
  return { acc: ok.filter(Boolean).length / Math.max(1, ok.length), byAttribute };
}

/**
 * Memorisation of the biographies: the fraction of (biography, attribute) pairs whose value
 * tokens are all the argmax, given the biography up to there (the paper's "BIO accuracy").
 * The value of an attribute is what the person determines: the template words around it are not counted.
 */
export function biographyAccuracy(model: GPT, vocab: WordVocab, bios: readonly Biography[]): number {
  const hits = argmaxHits(model, bios.map((b) => biographyRow(vocab, b)), vocab.id(WordVocab.EOS));
  let right = 0;
  bios.forEach((bio, r) => {
    for (const a of ATTRIBUTES) {
      // position t predicts word t (position 0 is <bos>): the value's words are at .. at + len - 1
      const at = bio.valueAt[a], len = a === 'birth_date' ? 4 : 1;
      if (hits[r].slice(at, at + len).every(Boolean)) right++;
    }
  });
  return right / Math.max(1, bios.length * ATTRIBUTES.length);
}
