import type { Dataset } from './data.js';
import { axes, legend, type Frame } from '../../util/chart.js';
import { makeScale } from '../../util/scale.js';
import { el, svgDocument, text } from '../../util/svg.js';

export interface BoundaryOptions {
  /** Side of the square plot area in pixels. */
  size?: number;
  /** Grid cells per side; each cell is coloured by the class the model predicts at its centre. */
  cells?: number;
  title?: string;
}

const FILL = { positive: '#c6dbef', negative: '#fcd5ce' };
const INK = { positive: '#2171b5', negative: '#cb181d' };

/**
 * The decision boundary: the plane coloured by the class the model predicts (blue +1, red -1),
 * the training points on top in the same colours, darker; axes x1 and x2 with ticks, and a legend.
 */
export function decisionBoundarySvg(model: { predict(x: readonly number[]): number[] }, data: Dataset, { size = 420, cells = 84, title }: BoundaryOptions = {}): string {
  const xs = data.X.map((p) => p[0]);
  const ys = data.X.map((p) => p[1]);
  const pad = 0.5;
  const [xmin, xmax, ymin, ymax] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // A square view with equal scale on both axes, so the moons keep their shape, data centred.
  const span = Math.max(xmax - xmin, ymax - ymin) + 2 * pad;
  const x0 = (xmin + xmax - span) / 2;
  const y0 = (ymin + ymax - span) / 2;
  const top = title ? 40 : 14;
  const frame: Frame = { x: 58, y: top, width: size, height: size };
  const X = makeScale([], { min: x0, max: x0 + span }, frame.x, frame.x + size);
  const Y = makeScale([], { min: y0, max: y0 + span }, frame.y + size, frame.y);
  const cell = span / cells;
  const out: string[] = ['<g shape-rendering="crispEdges">'];
  for (let j = 0; j < cells; j++) {
    // One rectangle per run of same-class cells in a row keeps the file small.
    let runStart = 0;
    let runPositive = false;
    for (let i = 0; i <= cells; i++) {
      const positive = i < cells && model.predict([x0 + (i + 0.5) * cell, y0 + (j + 0.5) * cell])[0] > 0;
      if (i > 0 && (i === cells || positive !== runPositive)) {
        const left = X(x0 + runStart * cell), right = X(x0 + i * cell);
        const upper = Y(y0 + (j + 1) * cell);
        out.push(el('rect', { x: left, y: upper, width: right - left, height: Y(y0 + j * cell) - upper, fill: runPositive ? FILL.positive : FILL.negative }));
        runStart = i;
      }
      runPositive = positive;
    }
  }
  out.push('</g>');
  out.push(axes(frame, X, Y, { x: { label: 'x1' }, y: { label: 'x2' } }));
  data.X.forEach(([x, y], k) => {
    out.push(el('circle', { cx: X(x), cy: Y(y), r: 4.5, fill: data.y[k] > 0 ? INK.positive : INK.negative, stroke: '#000', 'stroke-width': 0.8 }));
  });
  const legendY = frame.y + size + 52;
  out.push(legend([
    { label: 'predicted +1', color: FILL.positive, swatch: true },
    { label: 'predicted -1', color: FILL.negative, swatch: true },
    { label: 'label +1', color: INK.positive, marker: true, width: 0 },
    { label: 'label -1', color: INK.negative, marker: true, width: 0 },
  ], frame.x, legendY, size));
  if (title) out.push(text(frame.x + size / 2, 22, title, { 'text-anchor': 'middle', 'font-size': 14, 'font-weight': 'bold' }));
  return svgDocument(frame.x + size + 16, legendY + 10, out);
}
