import type { Dataset } from './data.js';
import type { MLP } from './nn.js';

export interface BoundaryOptions {
  /** Picture width and height in pixels. */
  size?: number;
  /** Grid cells per side; each cell is coloured by the class the model predicts at its centre. */
  cells?: number;
}

/**
 * The decision boundary as a hand-written SVG: a grid of model predictions (blue for +1, red
 * for -1), the training points on top in the same colours, darker.
 */
export function decisionBoundarySvg(model: MLP, data: Dataset, { size = 480, cells = 80 }: BoundaryOptions = {}): string {
  const xs = data.X.map((p) => p[0]);
  const ys = data.X.map((p) => p[1]);
  const pad = 0.5;
  const [xmin, xmax, ymin, ymax] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // A square view with equal scale on both axes, so the moons keep their shape, data centred.
  const span = Math.max(xmax - xmin, ymax - ymin) + 2 * pad;
  const x0 = (xmin + xmax - span) / 2;
  const y0 = (ymin + ymax - span) / 2;
  const px = (x: number) => ((x - x0) / span) * size;
  const py = (y: number) => size - ((y - y0) / span) * size; // SVG's y grows downward
  const cell = span / cells;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">`,
    `<rect width="${size}" height="${size}" fill="#ffffff"/>`,
    '<g shape-rendering="crispEdges">',
  ];
  const h = (size / cells).toFixed(2);
  for (let j = 0; j < cells; j++) {
    // One rectangle per run of same-class cells in a row keeps the file small.
    let runStart = 0;
    let runPositive = false;
    for (let i = 0; i <= cells; i++) {
      const positive = i < cells && model.predict([x0 + (i + 0.5) * cell, y0 + (j + 0.5) * cell])[0] > 0;
      if (i > 0 && (i === cells || positive !== runPositive)) {
        const fill = runPositive ? '#c6dbef' : '#fcd5ce';
        const x = px(x0 + runStart * cell), width = px(x0 + i * cell) - x;
        out.push(`<rect x="${x.toFixed(2)}" y="${py(y0 + (j + 1) * cell).toFixed(2)}" width="${width.toFixed(2)}" height="${h}" fill="${fill}"/>`);
        runStart = i;
      }
      runPositive = positive;
    }
  }
  out.push('</g>');
  data.X.forEach(([x, y], k) => {
    const fill = data.y[k] > 0 ? '#2171b5' : '#cb181d';
    out.push(`<circle cx="${px(x).toFixed(2)}" cy="${py(y).toFixed(2)}" r="4.5" fill="${fill}" stroke="#000000" stroke-width="0.8"/>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
