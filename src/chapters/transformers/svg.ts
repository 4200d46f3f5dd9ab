import { escapeXml as esc, svgDocument } from '../../util/svg.js';

/**
 * Attention maps as hand-written SVG: one heatmap per (layer, head), rows = query positions,
 * columns = key positions, darker = more attention. Small enough to read in a browser or a
 * markdown viewer, no plotting library needed.
 */
export interface AttentionMaps {
  /** maps[layer][head] is a T x T row-major array of attention weights (rows sum to 1). */
  maps: Float32Array[][];
  /** The T characters of the sequence, as the model saw them. */
  labels: string[];
  title: string;
}


function label(c: string): string {
  return c === '\n' ? '⏎' : c === ' ' ? '␣' : c;
}

export function attentionSvg(a: AttentionMaps, cell = 8): string {
  const T = a.labels.length;
  const L = a.maps.length, H = a.maps[0]?.length ?? 0;
  const pad = 14, gap = 18, side = T * cell;
  const W = Math.max(640, pad * 2 + H * (side + gap + pad)), top = 40;
  const Ht = top + L * (side + gap + pad + 12) + pad;
  const out: string[] = [];
  out.push(`<text x="${pad}" y="20" font-size="13">${esc(a.title)}</text>`);
  out.push(`<text x="${pad}" y="34" font-size="10" fill="#555">rows: query position, columns: key position; darker = more attention</text>`);
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      const x0 = pad + gap + h * (side + gap + pad), y0 = top + 12 + l * (side + gap + pad + 12);
      out.push(`<text x="${x0}" y="${y0 - 3}" font-size="10">layer ${l} head ${h}</text>`);
      const m = a.maps[l][h];
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) {
          const v = m[i * T + j];
          if (v < 0.01) continue; // white background stands for ~0
          const shade = Math.round(255 * (1 - Math.min(1, Math.sqrt(v)))); // sqrt: faint weights stay visible
          out.push(`<rect x="${x0 + j * cell}" y="${y0 + i * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)"/>`);
        }
      }
      out.push(`<rect x="${x0}" y="${y0}" width="${side}" height="${side}" fill="none" stroke="#999" stroke-width="0.5"/>`);
      if (h === 0) {
        for (let i = 0; i < T; i++) out.push(`<text x="${x0 - 2}" y="${y0 + i * cell + cell - 1}" font-size="${cell}" text-anchor="end">${esc(label(a.labels[i]))}</text>`);
      }
      for (let j = 0; j < T; j++) out.push(`<text x="${x0 + j * cell + cell / 2}" y="${y0 + side + cell + 1}" font-size="${cell}" text-anchor="middle">${esc(label(a.labels[j]))}</text>`);
    }
  }
  return svgDocument(W, Ht, out, { 'font-family': 'monospace' });
}
