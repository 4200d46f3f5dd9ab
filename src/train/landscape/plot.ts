import { el, polyline, svgDocument, text, num } from '../../util/svg.js';
import type { Surface } from './weights.js';

/**
 * Drawing a loss surface two ways: a contour map (colour by log loss, iso-lines by marching
 * squares, optionally a trajectory on top) and a 3-D-looking surface (the grid's quads in an
 * oblique projection, painted back to front).
 */

/** Blue (low) to yellow (high), a perceptually ordered ramp in the spirit of viridis. */
function ramp(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + f * (stops[i + 1][k] - a)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** log loss, clipped at `cap` times the minimum so a diverging corner does not flatten the rest. */
function levels(s: Surface, cap = 20): { z: number[][]; lo: number; hi: number } {
  const flat = s.loss.flat().filter(Number.isFinite);
  const min = Math.max(1e-6, Math.min(...flat));
  const z = s.loss.map((r) => r.map((v) => Math.log(Math.min(Number.isFinite(v) ? Math.max(v, 1e-6) : cap * min, cap * min))));
  const zs = z.flat();
  return { z, lo: Math.min(...zs), hi: Math.max(...zs) };
}

/** Iso-line segments at level c over the grid (marching squares), in grid coordinates (i along x, j along y). */
function isoSegments(z: number[][], c: number): [number, number, number, number][] {
  const segs: [number, number, number, number][] = [];
  const interp = (a: number, b: number) => (c - a) / (b - a);
  for (let j = 0; j + 1 < z.length; j++) for (let i = 0; i + 1 < z[0].length; i++) {
    const v = [z[j][i], z[j][i + 1], z[j + 1][i + 1], z[j + 1][i]]; // corners counter-clockwise
    const pts: [number, number][] = [];
    const corners: [number, number][] = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]];
    for (let e = 0; e < 4; e++) {
      const a = v[e], b = v[(e + 1) % 4];
      if ((a < c) !== (b < c)) {
        const t = interp(a, b), [x0, y0] = corners[e], [x1, y1] = corners[(e + 1) % 4];
        pts.push([x0 + t * (x1 - x0), y0 + t * (y1 - y0)]);
      }
    }
    if (pts.length >= 2) segs.push([pts[0][0], pts[0][1], pts[1][0], pts[1][1]]);
    if (pts.length === 4) segs.push([pts[2][0], pts[2][1], pts[3][0], pts[3][1]]);
  }
  return segs;
}

export interface ContourOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** A path in the plane's coordinates (the training trajectory), drawn with dots. */
  path?: [number, number][];
  width?: number;
}

/** One contour panel as SVG elements inside a box at (ox, oy) of size w x h. */
function contourPanel(s: Surface, o: ContourOptions, ox: number, oy: number, w: number, h: number): string[] {
  const { z, lo, hi } = levels(s);
  const nx = s.xs.length, ny = s.ys.length;
  const X = (i: number) => ox + (i / (nx - 1)) * w, Y = (j: number) => oy + h - (j / (ny - 1)) * h;
  const cx = (x: number) => ox + ((x - s.xs[0]) / (s.xs[nx - 1] - s.xs[0])) * w;
  const cy = (y: number) => oy + h - ((y - s.ys[0]) / (s.ys[ny - 1] - s.ys[0])) * h;
  const cw = w / (nx - 1), ch = h / (ny - 1);
  const out: string[] = [];
  // cells coloured by the mean of their corners
  for (let j = 0; j + 1 < ny; j++) for (let i = 0; i + 1 < nx; i++) {
    const m = (z[j][i] + z[j][i + 1] + z[j + 1][i] + z[j + 1][i + 1]) / 4;
    out.push(el('rect', { x: X(i), y: Y(j + 1), width: cw + 0.3, height: ch + 0.3, fill: ramp((m - lo) / (hi - lo || 1)) }));
  }
  for (let k = 1; k < 12; k++) {
    const c = lo + ((hi - lo) * k) / 12;
    const d = isoSegments(z, c).map(([a, b, e, f]) => `M${num(X(a))},${num(Y(b))}L${num(X(e))},${num(Y(f))}`).join('');
    if (d) out.push(el('path', { d, stroke: 'white', 'stroke-width': 0.8, 'stroke-opacity': 0.8, fill: 'none' }));
  }
  if (o.path) {
    const pts = o.path.map(([x, y]) => [cx(x), cy(y)] as [number, number]);
    out.push(polyline(pts, { stroke: '#d62728', 'stroke-width': 2 }));
    for (const [x, y] of pts) out.push(el('circle', { cx: x, cy: y, r: 2.2, fill: '#d62728' }));
    out.push(el('circle', { cx: pts[pts.length - 1][0], cy: pts[pts.length - 1][1], r: 4, fill: 'white', stroke: '#d62728' }));
  }
  out.push(el('rect', { x: ox, y: oy, width: w, height: h, fill: 'none', stroke: '#333' }));
  out.push(text(ox + w / 2, oy - 8, o.title, { 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 'bold' }));
  out.push(text(ox + w / 2, oy + h + 30, o.xLabel, { 'text-anchor': 'middle', 'font-size': 11 }));
  out.push(text(ox - 32, oy + h / 2, o.yLabel, { 'text-anchor': 'middle', 'font-size': 11, transform: `rotate(-90 ${num(ox - 32)} ${num(oy + h / 2)})` }));
  for (const [v, pos] of [[s.xs[0], ox], [s.xs[nx - 1], ox + w], [0, cx(0)]] as const) if (v <= s.xs[nx - 1] && v >= s.xs[0]) out.push(text(pos, oy + h + 14, fmt(v), { 'text-anchor': 'middle', 'font-size': 10 }));
  for (const [v, pos] of [[s.ys[0], oy + h], [s.ys[ny - 1], oy], [0, cy(0)]] as const) if (v <= s.ys[ny - 1] && v >= s.ys[0]) out.push(text(ox - 4, pos + 4, fmt(v), { 'text-anchor': 'end', 'font-size': 10 }));
  out.push(text(ox + w / 2, oy + h + 44, `loss ${fmt(Math.exp(lo))} (dark) .. ${fmt(Math.exp(hi))} (light), log colour scale`, { 'text-anchor': 'middle', 'font-size': 9, fill: '#555' }));
  return out;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : String(Math.round(v * 100) / 100);
}

/** Contour maps side by side (e.g. with and without skip connections). */
export function contoursSvg(panels: { surface: Surface; options: ContourOptions }[], title: string): string {
  const w = 260, h = 260, left = 60, gap = 80, top = 50;
  const body = [text(8, 18, title, { 'font-size': 14, 'font-weight': 'bold' })];
  panels.forEach((p, k) => body.push(...contourPanel(p.surface, p.options, left + k * (w + gap), top, w, h)));
  return svgDocument(left + panels.length * (w + gap), top + h + 56, body);
}

/** The surface in an oblique projection: quads painted from the back, coloured by height. */
function surfacePanel(s: Surface, title: string, ox: number, oy: number, w: number, h: number): string[] {
  const { z, lo, hi } = levels(s);
  const nx = s.xs.length, ny = s.ys.length;
  // grid (u, v) in [0,1]^2 and height t in [0,1] -> screen: rotate 45 degrees about the vertical, tilt
  const P = (i: number, j: number): [number, number] => {
    const u = i / (nx - 1) - 0.5, v = j / (ny - 1) - 0.5, t = (z[j][i] - lo) / (hi - lo || 1);
    const sx = (u - v) * 0.7071, sy = (u + v) * 0.7071;
    return [ox + w / 2 + sx * w * 0.7, oy + h * 0.75 - sy * h * 0.32 - t * h * 0.45];
  };
  const quads: { depth: number; d: string; fill: string }[] = [];
  for (let j = 0; j + 1 < ny; j++) for (let i = 0; i + 1 < nx; i++) {
    const c = [P(i, j), P(i + 1, j), P(i + 1, j + 1), P(i, j + 1)];
    const m = (z[j][i] + z[j][i + 1] + z[j + 1][i] + z[j + 1][i + 1]) / 4;
    quads.push({ depth: i + j, d: `M${c.map(([x, y]) => `${num(x)},${num(y)}`).join('L')}Z`, fill: ramp((m - lo) / (hi - lo || 1)) });
  }
  quads.sort((a, b) => b.depth - a.depth); // far corner (large i + j is at the back, up the screen) first
  return [
    text(ox + w / 2, oy - 16, title, { 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 'bold' }),
    ...quads.map((q) => el('path', { d: q.d, fill: q.fill, stroke: '#222', 'stroke-width': 0.3 })),
  ];
}

export function surfacesSvg(panels: { surface: Surface; title: string }[], title: string): string {
  const w = 300, h = 300, gap = 30, top = 56;
  const body = [text(8, 18, title, { 'font-size': 14, 'font-weight': 'bold' })];
  panels.forEach((p, k) => body.push(...surfacePanel(p.surface, p.title, 20 + k * (w + gap), top, w, h)));
  return svgDocument(40 + panels.length * (w + gap), top + h, body);
}
