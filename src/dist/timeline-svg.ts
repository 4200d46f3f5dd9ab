/**
 * The timeline picture of one training step: one row per rank, time left to right, the step's
 * compute in one colour and the waits the ranks recorded (src/dist/timeline.ts) over it:
 * communication that did not hide behind compute, and idle time waiting for a pipeline neighbour
 * (the bubble). Each wait is labelled with its operation where it is wide enough, and carries a
 * tooltip (<title>) either way.
 */
import { el, escapeXml, svgDocument, text } from '../util/svg.js';
import { linearTicks, formatTick } from '../util/scale.js';
import type { Span, SpanKind } from './timeline.js';

/** One rank's step: its length and the waits inside it (seconds from the step's start). */
export interface RankStep {
  rank: number;
  seconds: number;
  spans: Span[];
}

const COLOURS: Record<SpanKind | 'compute', string> = { compute: '#4c78a8', comm: '#f58518', idle: '#d0d0d0' };
const NAMES: Record<SpanKind | 'compute', string> = { compute: 'compute', comm: 'communication (exposed)', idle: 'idle (waiting for a neighbour)' };

export function timelineSvg(rows: readonly RankStep[], opts: { title?: string } = {}): string {
  const left = 70, right = 20, top = opts.title ? 56 : 36, rowHeight = 28, gap = 8, width = 900;
  const plotWidth = width - left - right;
  const longest = Math.max(1e-9, ...rows.map((r) => Math.max(r.seconds, ...r.spans.map((s) => s.end))));
  // the axis in milliseconds, or in seconds for steps of a second or more
  const [unit, perSecond] = longest >= 1 ? ['s', 1] : ['ms', 1000];
  const ms = longest * perSecond;
  const x = (seconds: number) => left + ((seconds * perSecond) / ms) * plotWidth;
  const body: string[] = [];
  if (opts.title) body.push(text(left, 20, opts.title, { 'font-size': 14, 'font-weight': 'bold' }));
  const axisY = top - 8;
  const ticks = linearTicks(0, ms, 6).filter((t) => t >= 0 && t <= ms * 1.0001);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 0;
  const height = top + rows.length * (rowHeight + gap) + 40;
  for (const t of ticks) {
    const tx = left + (t / ms) * plotWidth;
    body.push(el('line', { x1: tx, x2: tx, y1: axisY, y2: height - 36, stroke: '#eee' }));
    body.push(text(tx, axisY - 4, `${formatTick(t, step)} ${unit}`, { 'text-anchor': 'middle', 'font-size': 10, fill: '#555' }));
  }
  rows.forEach((r, i) => {
    const y = top + i * (rowHeight + gap);
    body.push(text(left - 8, y + rowHeight / 2 + 4, `rank ${r.rank}`, { 'text-anchor': 'end' }));
    body.push(el('rect', { x: x(0), y, width: x(r.seconds) - x(0), height: rowHeight, fill: COLOURS.compute }, el('title', {}, `rank ${r.rank}: step ${(r.seconds * 1000).toFixed(2)} ms`)));
    for (const s of r.spans) {
      const w = Math.max(0.5, x(s.end) - x(s.start));
      const tip = `${s.label}: ${((s.end - s.start) * 1000).toFixed(2)} ms (${s.kind})`;
      // a hairline of white between neighbouring waits keeps them apart
      body.push(el('rect', { x: x(s.start), y, width: w, height: rowHeight, fill: COLOURS[s.kind], stroke: 'white', 'stroke-width': 0.3 }, el('title', {}, escapeXml(tip))));
      // a label only where it fits (about 6 px a character at 10 px)
      if (w > 6 * s.label.length + 6) body.push(text(x(s.start) + w / 2, y + rowHeight / 2 + 4, s.label, { 'text-anchor': 'middle', 'font-size': 10 }));
    }
  });
  const legendY = height - 16;
  let lx = left;
  for (const kind of ['compute', 'comm', 'idle'] as const) {
    body.push(el('rect', { x: lx, y: legendY - 10, width: 12, height: 12, fill: COLOURS[kind] }));
    body.push(text(lx + 16, legendY, NAMES[kind], { 'font-size': 11 }));
    lx += 30 + NAMES[kind].length * 6.5;
  }
  return svgDocument(width, height, body);
}
