import { el, escapeXml, polyline, svgDocument, text } from './svg.js';
import { makeScale, type AxisSpec, type Scale } from './scale.js';

/**
 * Line and bar charts as SVG, the one way every training curve and histogram in gradpath is
 * drawn: panels side by side (or stacked), each with a frame, ticks, grid lines, axis labels and
 * a legend under the plot (never over the data).
 */

export type { AxisSpec, Scale } from './scale.js';

/** Distinguishable colours (matplotlib's tab10 order). */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export interface Series {
  label: string;
  points: readonly (readonly [number, number])[];
  color?: string;
  /** SVG stroke-dasharray, e.g. '6 4'. */
  dash?: string;
  /** Stroke width in pixels (default 1.8). */
  width?: number;
  opacity?: number;
  /** A dot at every point: for evaluations, which are few and each one measured. */
  markers?: boolean;
}

/** A vertical line across a panel at x (e.g. "99% reached here"). */
export interface Mark {
  x: number;
  color?: string;
  dash?: string;
}

export interface LinePanel {
  title?: string;
  x?: AxisSpec;
  y?: AxisSpec;
  series: Series[];
  marks?: Mark[];
}

export interface BarPanel {
  title?: string;
  /** One label per bar (shown under it; see labelEvery). */
  labels: string[];
  values: number[];
  /** Per-bar colours (default: the first palette colour). */
  colors?: string[];
  /** Text above a bar, e.g. its label when it matters. */
  annotations?: (string | undefined)[];
  /** Label every n-th bar only (default: as many as fit). */
  labelEvery?: number;
  x?: AxisSpec;
  y?: AxisSpec;
  /** Legend entries for the colours. */
  legend?: LegendItem[];
}

export interface ChartOptions {
  title?: string;
  /** A line of text under the panels. */
  caption?: string;
  panelWidth?: number;
  panelHeight?: number;
  /** Panels in a row (default for line charts) or stacked in a column (default for bar charts). */
  layout?: 'row' | 'column';
}

/** One legend entry: a line sample (with optional dash, width, marker or a curve) or a colour swatch. */
export interface LegendItem {
  label: string;
  color: string;
  dash?: string;
  width?: number;
  marker?: boolean;
  swatch?: boolean;
  /** Outline of a swatch (for a white one). */
  stroke?: string;
  /** Draw the sample as an arc (e.g. a recurrent link). */
  curve?: boolean;
  opacity?: number;
}

/** Where a panel's plot area lies inside the picture. */
export interface Frame {
  x: number;
  y: number;
  width: number;
  height: number;
}

const FONT = 11;
const CHAR_WIDTH = 0.6 * FONT; // an estimate for sans-serif, to lay out legends without measuring
const MARGIN = { left: 58, right: 16, top: 26, bottom: 40 };
const LEGEND_ROW = 16;
/** The legend's first baseline, below the plot: under the tick labels (+15) and the axis label (+30). */
const LEGEND_TOP = 50;

/** Line charts: one panel per entry of `panels`, each with its own axes and legend. */
export function lineChart(panels: LinePanel[], options: ChartOptions = {}): string {
  return layoutPanels(panels, options, 'row', (panel, box) => {
    const legendItems = panel.series.map((s, i) => seriesLegend(s, i));
    const legendH = legendHeight(legendItems, box.width - MARGIN.left - MARGIN.right);
    const frame = plotFrame(box, legendH);
    const xs = panel.series.flatMap((s) => s.points.map((p) => p[0])).concat((panel.marks ?? []).map((m) => m.x));
    const ys = panel.series.flatMap((s) => s.points.map((p) => p[1]));
    const X = makeScale(xs, panel.x ?? {}, frame.x, frame.x + frame.width, Math.max(3, Math.round(frame.width / 80)));
    const Y = makeScale(ys, panel.y ?? {}, frame.y + frame.height, frame.y, Math.max(3, Math.round(frame.height / 50)));
    const out = [axes(frame, X, Y, panel)];
    out.push(`<g clip-path="url(#${clipId(frame)})">`);
    for (const m of panel.marks ?? []) {
      out.push(el('line', { x1: X(m.x), x2: X(m.x), y1: frame.y, y2: frame.y + frame.height, stroke: m.color ?? '#555', 'stroke-dasharray': m.dash ?? '3 3', opacity: 0.7 }));
    }
    panel.series.forEach((s, i) => out.push(drawSeries(s, i, X, Y, 'lines')));
    out.push('</g>');
    // Markers are not clipped: a point on the frame's edge (the last step, accuracy 1) stays whole.
    panel.series.forEach((s, i) => out.push(drawSeries(s, i, X, Y, 'markers')));
    out.push(legend(legendItems, frame.x, frame.y + frame.height + LEGEND_TOP, frame.width));
    return out.join('\n');
  });
}

/** Bar charts: one panel per entry, stacked by default (e.g. one row per run). */
export function barChart(panels: BarPanel[], options: ChartOptions = {}): string {
  return layoutPanels(panels, options, 'column', (panel, box) => {
    const legendH = panel.legend ? legendHeight(panel.legend, box.width - MARGIN.left - MARGIN.right) : 0;
    const frame = plotFrame(box, legendH);
    const n = panel.values.length;
    const Y = makeScale([0, ...panel.values], panel.y ?? {}, frame.y + frame.height, frame.y, Math.max(3, Math.round(frame.height / 45)));
    const band = frame.width / Math.max(1, n);
    const every = panel.labelEvery ?? Math.max(1, Math.ceil((Math.max(...panel.labels.map((l) => l.length), 1) * CHAR_WIDTH + 4) / band));
    const out = [axes(frame, null, Y, panel)];
    panel.values.forEach((v, i) => {
      const x = frame.x + i * band;
      const top = Y(Math.max(v, Y.domain[0])), base = Y(Math.max(0, Y.domain[0]));
      out.push(el('rect', { x: x + band * 0.1, y: Math.min(top, base), width: band * 0.8, height: Math.abs(base - top), fill: panel.colors?.[i] ?? PALETTE[0] }));
      const note = panel.annotations?.[i];
      if (note) out.push(text(x + band / 2, Math.min(top, base) - 3, note, { 'text-anchor': 'middle', 'font-size': FONT - 1 }));
      if (i % every === 0 || (every > 1 && i === n - 1 && (n - 1) % every > every / 2)) {
        out.push(el('line', { x1: x + band / 2, x2: x + band / 2, y1: frame.y + frame.height, y2: frame.y + frame.height + 4, stroke: '#333' }));
        out.push(text(x + band / 2, frame.y + frame.height + 15, panel.labels[i], { 'text-anchor': 'middle', 'font-size': FONT - 1 }));
      }
    });
    if (panel.legend) out.push(legend(panel.legend, frame.x, frame.y + frame.height + LEGEND_TOP, frame.width));
    return out.join('\n');
  });
}

/**
 * The axes of one plot: frame, grid lines and ticks with labels, axis titles and the panel
 * title. X may be null (bar charts label their own categories). Used by the charts here and by
 * pictures that fill the frame themselves (micrograd's decision boundary).
 */
export function axes(frame: Frame, X: Scale | null, Y: Scale | null, labels: { title?: string; x?: AxisSpec; y?: AxisSpec } = {}): string {
  const out: string[] = [];
  const { x, y, width, height } = frame;
  out.push(`<defs><clipPath id="${clipId(frame)}">${el('rect', { x, y, width, height })}</clipPath></defs>`);
  if (X) {
    for (const t of X.ticks) {
      const px = X(t);
      out.push(el('line', { x1: px, x2: px, y1: y, y2: y + height, stroke: '#e5e5e5' }));
      out.push(el('line', { x1: px, x2: px, y1: y + height, y2: y + height + 4, stroke: '#333' }));
      out.push(text(px, y + height + 15, X.format(t), { 'text-anchor': 'middle', 'font-size': FONT - 1 }));
    }
  }
  if (Y) {
    for (const t of Y.ticks) {
      const py = Y(t);
      out.push(el('line', { x1: x, x2: x + width, y1: py, y2: py, stroke: '#e5e5e5' }));
      out.push(el('line', { x1: x - 4, x2: x, y1: py, y2: py, stroke: '#333' }));
      out.push(text(x - 6, py + 3.5, Y.format(t), { 'text-anchor': 'end', 'font-size': FONT - 1 }));
    }
  }
  out.push(el('rect', { x, y, width, height, fill: 'none', stroke: '#333' }));
  const xLabel = labels.x?.label ? labels.x.label + (labels.x.log ? ' (log scale)' : '') : '';
  const yLabel = labels.y?.label ? labels.y.label + (labels.y.log ? ' (log scale)' : '') : '';
  if (xLabel) out.push(text(x + width / 2, y + height + 30, xLabel, { 'text-anchor': 'middle', 'font-size': FONT }));
  if (yLabel) out.push(el('text', { transform: `translate(${Math.round(x - MARGIN.left + 14)} ${Math.round(y + height / 2)}) rotate(-90)`, 'text-anchor': 'middle', 'font-size': FONT }, escapeXml(yLabel)));
  if (labels.title) out.push(text(x + width / 2, y - 9, labels.title, { 'text-anchor': 'middle', 'font-weight': 'bold' }));
  return out.join('\n');
}

/** A legend: entries left to right, wrapping to new rows within maxWidth; y is the first row's baseline. */
export function legend(items: LegendItem[], x: number, y: number, maxWidth: number): string {
  const out: string[] = [];
  for (const { item, dx, row } of legendPlaces(items, maxWidth)) {
    const lx = x + dx, ly = y + row * LEGEND_ROW;
    if (item.swatch) {
      out.push(el('rect', { x: lx, y: ly - 9, width: 20, height: 10, fill: item.color, stroke: item.stroke, opacity: item.opacity }));
    } else if (item.curve) {
      out.push(el('path', { d: `M ${lx} ${ly - 1} Q ${lx + 10} ${ly - 14} ${lx + 20} ${ly - 1}`, fill: 'none', stroke: item.color, 'stroke-width': item.width ?? 1.8, 'stroke-dasharray': item.dash, opacity: item.opacity }));
    } else {
      out.push(el('line', { x1: lx, x2: lx + 20, y1: ly - 4, y2: ly - 4, stroke: item.color, 'stroke-width': item.width ?? 1.8, 'stroke-dasharray': item.dash, opacity: item.opacity }));
      if (item.marker) out.push(el('circle', { cx: lx + 10, cy: ly - 4, r: 2.6, fill: item.color }));
    }
    out.push(text(lx + 25, ly, item.label, { 'font-size': FONT }));
  }
  return out.join('\n');
}

/** Height the legend takes (rows times the row height). */
export function legendHeight(items: LegendItem[], maxWidth: number): number {
  if (items.length === 0) return 0;
  return (Math.max(...legendPlaces(items, maxWidth).map((p) => p.row)) + 1) * LEGEND_ROW;
}

function legendPlaces(items: LegendItem[], maxWidth: number): { item: LegendItem; dx: number; row: number }[] {
  const places: { item: LegendItem; dx: number; row: number }[] = [];
  let dx = 0, row = 0;
  for (const item of items) {
    const w = 25 + item.label.length * CHAR_WIDTH + 14;
    if (dx > 0 && dx + w > maxWidth) {
      dx = 0;
      row++;
    }
    places.push({ item, dx, row });
    dx += w;
  }
  return places;
}

function seriesLegend(s: Series, i: number): LegendItem {
  return { label: s.label, color: s.color ?? PALETTE[i % PALETTE.length], dash: s.dash, width: s.width, marker: s.markers, opacity: s.opacity };
}

function drawSeries(s: Series, i: number, X: Scale, Y: Scale, part: 'lines' | 'markers'): string {
  const color = s.color ?? PALETTE[i % PALETTE.length];
  const usable = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!X.log || x > 0) && (!Y.log || y > 0));
  const pixels = usable.map(([x, y]) => [X(x), Y(y)] as [number, number]);
  const out: string[] = [];
  if (part === 'lines' && pixels.length > 1) out.push(polyline(pixels, { stroke: color, 'stroke-width': s.width ?? 1.8, 'stroke-dasharray': s.dash, opacity: s.opacity, 'stroke-linejoin': 'round' }));
  if (part === 'markers' && (s.markers || pixels.length === 1)) for (const [px, py] of pixels) out.push(el('circle', { cx: px, cy: py, r: 2.6, fill: color }));
  return out.join('\n');
}

/** The plot area inside a panel's box, leaving room for ticks, labels and the legend. */
function plotFrame(box: Frame, legendH: number): Frame {
  return {
    x: box.x + MARGIN.left,
    y: box.y + MARGIN.top,
    width: box.width - MARGIN.left - MARGIN.right,
    height: box.height - MARGIN.top - MARGIN.bottom - (legendH > 0 ? legendH + LEGEND_TOP - MARGIN.bottom - 2 : 0),
  };
}

function clipId(frame: Frame): string {
  return `plot-${Math.round(frame.x)}-${Math.round(frame.y)}`;
}

/** Places panels in a row or a column under an optional title, with an optional caption below. */
function layoutPanels<P>(panels: P[], options: ChartOptions, defaultLayout: 'row' | 'column', draw: (panel: P, box: Frame) => string): string {
  const pw = options.panelWidth ?? 440, ph = options.panelHeight ?? 300;
  const row = (options.layout ?? defaultLayout) === 'row';
  const top = options.title ? 30 : 6;
  const captionLines = options.caption ? options.caption.split('\n') : [];
  const width = row ? pw * panels.length : pw;
  const height = top + (row ? ph : ph * panels.length) + captionLines.length * 16 + (captionLines.length ? 8 : 0);
  const body: string[] = [];
  // A long title shrinks to fit the picture rather than run off its edges.
  const titleSize = options.title ? Math.max(9, Math.min(15, (width - 20) / (options.title.length * 0.62))) : 15;
  if (options.title) body.push(text(width / 2, 20, options.title, { 'text-anchor': 'middle', 'font-size': Math.round(titleSize * 10) / 10, 'font-weight': 'bold' }));
  panels.forEach((p, i) => body.push(draw(p, { x: row ? i * pw : 0, y: top + (row ? 0 : i * ph), width: pw, height: ph })));
  captionLines.forEach((line, i) => body.push(text(width / 2, height - 8 - (captionLines.length - 1 - i) * 16, line, { 'text-anchor': 'middle', 'font-size': FONT })));
  return svgDocument(width, height, body);
}
