import type { Generator } from '../../util/random.js';
import type { Vocab } from './data.js';
import { escapeXml, svgDocument } from '../../util/svg.js';

/**
 * The counting bigram model (lecture 1): N[i][j] = how often character j follows character i
 * (token 0 marks the start and the end of an item). P = (N + smoothing) row-normalised is the
 * maximum-likelihood bigram model; the +1 keeps unseen pairs from getting probability 0 and a
 * loss of infinity.
 */
export function countBigrams(items: string[], vocab: Vocab): number[][] {
  const V = vocab.size;
  const N = Array.from({ length: V }, () => new Array<number>(V).fill(0));
  for (const item of items) {
    const seq = [0, ...vocab.encode(item), 0];
    for (let k = 0; k + 1 < seq.length; k++) N[seq[k]][seq[k + 1]]++;
  }
  return N;
}

/** Rows of probabilities from counts, with add-`smoothing` (Laplace) smoothing. */
export function bigramProbabilities(N: number[][], smoothing = 1): number[][] {
  return N.map((row) => {
    const total = row.reduce((a, b) => a + b, 0) + smoothing * row.length;
    return row.map((c) => (c + smoothing) / total);
  });
}

/** The average negative log-likelihood per predicted character (start-to-end pairs), in nats. */
export function bigramNLL(P: number[][], items: string[], vocab: Vocab): number {
  let nll = 0, n = 0;
  for (const item of items) {
    const seq = [0, ...vocab.encode(item), 0];
    for (let k = 0; k + 1 < seq.length; k++) {
      nll -= Math.log(P[seq[k]][seq[k + 1]]);
      n++;
    }
  }
  return nll / n;
}

/** Samples items by walking the table from the start marker until the end marker. */
export function sampleBigram(P: number[][], vocab: Vocab, count: number, gen: Generator, maxLength = 100): string[] {
  const out: string[] = [];
  for (let s = 0; s < count; s++) {
    const tokens: number[] = [];
    for (let cur = 0; tokens.length < maxLength; ) {
      let u = gen.random(), next = P[cur].length - 1;
      for (let j = 0; j < P[cur].length; j++) {
        u -= P[cur][j];
        if (u < 0) { next = j; break; }
      }
      if (next === 0) break;
      tokens.push(next);
      cur = next;
    }
    out.push(vocab.decode(tokens));
  }
  return out;
}

/**
 * The lecture's picture of N: one cell per pair, labelled with the pair and its count, shaded
 * white to blue by count. Hand-written SVG so it needs no plotting library.
 */
export function bigramHeatmapSVG(N: number[][], vocab: Vocab): string {
  const V = N.length, cell = 36, margin = 24;
  const size = margin + V * cell;
  const max = Math.max(1, ...N.flat());
  const parts: string[] = [];
  for (let i = 0; i < V; i++) {
    const label = escapeXml(vocab.label(i));
    parts.push(`<text x="${margin + i * cell + cell / 2}" y="16" font-size="12" text-anchor="middle">${label}</text>`);
    parts.push(`<text x="12" y="${margin + i * cell + cell / 2 + 4}" font-size="12" text-anchor="middle">${label}</text>`);
  }
  for (let i = 0; i < V; i++) {
    for (let j = 0; j < V; j++) {
      const t = N[i][j] / max; // 0..1, linear as the lecture's imshow
      const r = Math.round(247 - t * (247 - 8)), g = Math.round(251 - t * (251 - 48)), b = Math.round(255 - t * (255 - 107));
      const x = margin + j * cell, y = margin + i * cell;
      const ink = t > 0.5 ? 'white' : '#555';
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${r},${g},${b})"/>`);
      parts.push(`<text x="${x + cell / 2}" y="${y + 14}" font-size="10" text-anchor="middle" fill="${ink}">${escapeXml(vocab.label(i) + vocab.label(j))}</text>`);
      parts.push(`<text x="${x + cell / 2}" y="${y + 28}" font-size="9" text-anchor="middle" fill="${ink}">${N[i][j]}</text>`);
    }
  }
  return svgDocument(size, size, parts, { 'font-family': 'monospace' });
}
