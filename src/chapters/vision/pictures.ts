import { el, svgDocument, text } from '../../util/svg.js';
import { encodePng, pngDataUri } from '../../util/png.js';

/**
 * Pictures of images, weights and activations: grids of small tiles, each an embedded PNG
 * (crisp when scaled: image-rendering pixelated), with row labels and captions.
 */

export type Colormap = 'grey' | 'diverging';

export interface Tile {
  values: ArrayLike<number>;
  h: number;
  w: number;
  caption?: string;
  /** Caption colour (e.g. red for a wrong prediction). */
  captionColor?: string;
}

export interface TileRow { label?: string; tiles: Tile[] }

/** RGB bytes of values mapped to colours: grey from lo (black) to hi (white); diverging blue-white-red around 0 with |hi| the extreme. */
export function colorize(values: ArrayLike<number>, colormap: Colormap, lo: number, hi: number): Uint8Array {
  const rgb = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (colormap === 'grey') {
      const t = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5;
      rgb.fill(Math.round(255 * t), 3 * i, 3 * i + 3);
    } else {
      const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
      const t = Math.max(-1, Math.min(1, v / m));
      // white at 0, towards red (positive) or blue (negative)
      const a = Math.round(255 * (1 - Math.abs(t)));
      rgb.set(t >= 0 ? [255, a, a] : [a, a, 255], 3 * i);
    }
  }
  return rgb;
}

function range(values: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) { if (values[i] < lo) lo = values[i]; if (values[i] > hi) hi = values[i]; }
  return [lo, hi];
}

export interface GridOptions {
  title: string;
  /** Screen pixels per image pixel. */
  scale: number;
  colormap: Colormap;
  /** 'tile': each tile stretched to its own range; 'row': one range per row; 'all': one for the picture. */
  normalise: 'tile' | 'row' | 'all';
  /** A note under the title. */
  subtitle?: string;
}

/** An SVG of rows of tiles. */
export function tileGrid(rows: TileRow[], o: GridOptions): string {
  const gap = 4, labelW = rows.some((r) => r.label) ? 6 * Math.max(...rows.map((r) => (r.label ?? '').length)) + 8 : 0, top = o.subtitle ? 40 : 26;
  const hasCaption = rows.some((r) => r.tiles.some((t) => t.caption));
  const captionH = hasCaption ? 13 : 0;
  // each row's tiles as wide as its widest (a layer's maps are smaller than the input)
  const cellWs = rows.map((r) => Math.max(...r.tiles.map((t) => t.w * o.scale), hasCaption ? 40 : 0) + gap);
  const rowHs = rows.map((r) => Math.max(...r.tiles.map((t) => t.h * o.scale)) + gap + captionH);
  const width = Math.max(labelW + Math.max(...rows.map((r, k) => r.tiles.length * cellWs[k])) + gap, 8 * o.title.length + 20, 6 * (o.subtitle?.length ?? 0) + 20), height = top + rowHs.reduce((a, b) => a + b, 0) + gap;
  const all = o.normalise === 'all' ? range(rows.flatMap((r) => r.tiles.flatMap((t) => Array.from(t.values)))) : null;
  const body = [text(gap, 17, o.title, { 'font-size': 14, 'font-weight': 'bold' })];
  if (o.subtitle) body.push(text(gap, 33, o.subtitle, { 'font-size': 11, fill: '#555' }));
  let y = top;
  rows.forEach((row, r) => {
    const rowRange = o.normalise === 'row' ? range(row.tiles.flatMap((t) => Array.from(t.values))) : null;
    if (row.label) body.push(text(gap, y + rowHs[r] / 2, row.label, { 'font-size': 11 }));
    row.tiles.forEach((t, i) => {
      const [lo, hi] = all ?? rowRange ?? range(t.values);
      const png = encodePng(t.w, t.h, colorize(t.values, o.colormap, lo, hi));
      const x = labelW + gap + i * cellWs[r];
      body.push(el('image', { x, y, width: t.w * o.scale, height: t.h * o.scale, href: pngDataUri(png), style: 'image-rendering:pixelated' }));
      if (t.caption) body.push(text(x + (t.w * o.scale) / 2, y + t.h * o.scale + 11, t.caption, { 'font-size': 9, 'text-anchor': 'middle', fill: t.captionColor ?? '#333' }));
    });
    y += rowHs[r];
  });
  return svgDocument(width, height, body);
}

/** A heatmap of a square matrix of counts with the numbers written in (the confusion matrix). */
export function confusionSvg(counts: number[][], names: string[], title: string): string {
  const n = names.length, cell = 44, left = 100, top = 60;
  const max = Math.max(...counts.flat());
  const body = [text(8, 18, title, { 'font-size': 14, 'font-weight': 'bold' }), text(left + (n * cell) / 2, top - 26, 'predicted', { 'text-anchor': 'middle', fill: '#555' })];
  names.forEach((name, j) => body.push(text(left + j * cell + cell / 2, top - 6, name.slice(0, 7), { 'font-size': 9, 'text-anchor': 'middle' })));
  for (let i = 0; i < n; i++) {
    body.push(text(left - 6, top + i * cell + cell / 2 + 4, names[i], { 'font-size': 10, 'text-anchor': 'end' }));
    const rowSum = counts[i].reduce((a, b) => a + b, 0) || 1;
    for (let j = 0; j < n; j++) {
      const v = counts[i][j], t = Math.sqrt(v / (max || 1));
      const shade = Math.round(255 * (1 - t));
      body.push(el('rect', { x: left + j * cell, y: top + i * cell, width: cell - 1, height: cell - 1, fill: i === j ? `rgb(${shade},${Math.round(255 - 0.6 * (255 - shade))},${shade})` : `rgb(255,${shade},${shade})` }));
      if (v > 0) body.push(text(left + j * cell + cell / 2, top + i * cell + cell / 2 + 4, String(v), { 'font-size': 10, 'text-anchor': 'middle', fill: t > 0.6 ? 'white' : 'black' }));
    }
    body.push(text(left + n * cell + 6, top + i * cell + cell / 2 + 4, `${((100 * counts[i][i]) / rowSum).toFixed(1)}%`, { 'font-size': 10 }));
  }
  body.push(text(left - 90, top + (n * cell) / 2, 'true', { fill: '#555' }));
  return svgDocument(left + n * cell + 60, top + n * cell + 10, body);
}
