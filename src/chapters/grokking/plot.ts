import type { Spectrum } from './fourier.js';
import type { EpochRecord } from './train.js';

/**
 * Hand-written SVG pictures: the training curves (log-scale epochs, since memorisation and
 * generalisation happen orders of magnitude apart) and the embedding's Fourier spectrum.
 */

export interface Run {
  label: string;
  history: EpochRecord[];
  train99: number | null;
  val99: number | null;
}

const COLORS = { train: '#1f77b4', val: '#d62728', norm: '#2ca02c' };
const DASHES = ['', '6 4', '2 3'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Readable axis ticks: 1, 10, 100, ... for log axes, 0..1 for accuracy. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out.filter((t) => t >= lo / 1.0001 && t <= hi * 1.0001);
}

function fmtTick(t: number): string {
  if (t >= 1000) return `${t / 1000}k`;
  return t < 0.01 ? t.toExponential(0) : String(Number(t.toPrecision(3)));
}

interface Series { points: [number, number][]; color: string; dash: string; label: string }

interface Panel { title: string; yLabel: string; yLog: boolean; series: Series[]; marks: { x: number; color: string; dash: string }[]; yRange?: [number, number] }

/** One panel at (x0, y0) of size w x h: axes, ticks, polylines, vertical marks, legend. */
function panel(p: Panel, x0: number, y0: number, w: number, h: number, xMax: number): string {
  const pad = { l: 52, r: 10, t: 24, b: 36 };
  const W = w - pad.l - pad.r, H = h - pad.t - pad.b;
  const all = p.series.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => Number.isFinite(y) && (!p.yLog || y > 0));
  let [lo, hi] = p.yRange ?? [Math.min(...all), Math.max(...all)];
  if (p.yLog) { lo = 10 ** Math.floor(Math.log10(Math.max(lo, 1e-12))); hi = 10 ** Math.ceil(Math.log10(Math.max(hi, lo * 10))); }
  if (!(hi > lo)) hi = lo + 1;
  const fy = (y: number) => (p.yLog ? (Math.log10(y) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (y - lo) / (hi - lo));
  const X = (x: number) => x0 + pad.l + (Math.log10(x) / Math.log10(xMax)) * W;
  const Y = (y: number) => y0 + pad.t + (1 - Math.min(1, Math.max(0, fy(y)))) * H;
  const out: string[] = [];
  out.push(`<text x="${x0 + pad.l + W / 2}" y="${y0 + 16}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<rect x="${x0 + pad.l}" y="${y0 + pad.t}" width="${W}" height="${H}" fill="none" stroke="#888"/>`);
  for (const t of logTicks(1, xMax)) {
    out.push(`<line x1="${X(t)}" y1="${y0 + pad.t}" x2="${X(t)}" y2="${y0 + pad.t + H}" stroke="#eee"/>`);
    out.push(`<text x="${X(t)}" y="${y0 + pad.t + H + 14}" text-anchor="middle" font-size="10">${fmtTick(t)}</text>`);
  }
  out.push(`<text x="${x0 + pad.l + W / 2}" y="${y0 + h - 4}" text-anchor="middle" font-size="11">epoch (log scale)</text>`);
  const yt = p.yLog ? logTicks(lo, hi) : [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  for (const t of yt) {
    out.push(`<line x1="${x0 + pad.l}" y1="${Y(t)}" x2="${x0 + pad.l + W}" y2="${Y(t)}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + pad.l - 4}" y="${Y(t) + 3}" text-anchor="end" font-size="10">${fmtTick(t)}</text>`);
  }
  out.push(`<text transform="translate(${x0 + 12} ${y0 + pad.t + H / 2}) rotate(-90)" text-anchor="middle" font-size="11">${esc(p.yLabel)}</text>`);
  for (const m of p.marks) out.push(`<line x1="${X(m.x)}" y1="${y0 + pad.t}" x2="${X(m.x)}" y2="${y0 + pad.t + H}" stroke="${m.color}" stroke-dasharray="${m.dash || '3 3'}" opacity="0.6"/>`);
  for (const s of p.series) {
    const pts = s.points.filter(([, y]) => Number.isFinite(y) && (!p.yLog || y > 0)).map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`);
    if (pts.length) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" stroke-dasharray="${s.dash}" points="${pts.join(' ')}"/>`);
  }
  p.series.forEach((s, i) => {
    const ly = y0 + pad.t + 12 + i * 14, lx = x0 + pad.l + 8;
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>`);
    out.push(`<text x="${lx + 22}" y="${ly}" font-size="10">${esc(s.label)}</text>`);
  });
  return out.join('\n');
}

/** Accuracy, loss and parameter-norm panels for one or more runs (e.g. wd = 1 and wd = 0). */
export function curvesSvg(title: string, runs: Run[]): string {
  const xMax = Math.max(10, ...runs.flatMap((r) => r.history.map((h) => h.epoch)));
  const pts = (r: Run, f: (h: EpochRecord) => number | null): [number, number][] =>
    r.history.filter((h) => f(h) !== null).map((h) => [h.epoch, f(h)!]);
  const many = runs.length > 1;
  const name = (r: Run, what: string) => (many ? `${what}, ${r.label}` : what);
  const series = (f: (h: EpochRecord) => number | null, g: (h: EpochRecord) => number | null) =>
    runs.flatMap((r, i) => [
      { points: pts(r, f), color: COLORS.train, dash: DASHES[i % 3], label: name(r, 'train') },
      { points: pts(r, g), color: COLORS.val, dash: DASHES[i % 3], label: name(r, 'validation') },
    ]);
  const marks = runs.flatMap((r, i) => [
    ...(r.train99 ? [{ x: r.train99, color: COLORS.train, dash: DASHES[i % 3] }] : []),
    ...(r.val99 ? [{ x: r.val99, color: COLORS.val, dash: DASHES[i % 3] }] : []),
  ]);
  const w = 420, h = 300;
  const panels = [
    panel({ title: 'accuracy', yLabel: 'accuracy', yLog: false, yRange: [0, 1], series: series((h) => h.trainAcc, (h) => h.valAcc), marks }, 0, 40, w, h, xMax),
    panel({ title: 'loss', yLabel: 'cross-entropy (log)', yLog: true, series: series((h) => h.trainLoss, (h) => h.valLoss), marks }, w, 40, w, h, xMax),
    panel({ title: 'parameter norm', yLabel: '||θ||', yLog: false, marks: [],
      series: runs.map((r, i) => ({ points: pts(r, (h) => h.paramNorm || null), color: COLORS.norm, dash: DASHES[i % 3], label: many ? r.label : 'total norm' })) }, 2 * w, 40, w, h, xMax),
  ];
  const caption = runs.map((r) => `${r.label}: train 99% at ${r.train99 ?? 'never'}, validation 99% at ${r.val99 ?? 'never'}`).join('  |  ');
  return svg(3 * w, h + 70, [
    `<text x="${(3 * w) / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...panels,
    `<text x="${(3 * w) / 2}" y="${h + 60}" text-anchor="middle" font-size="11">${esc(caption)} (dashed verticals)</text>`,
  ]);
}

/** Bar chart of each frequency's norm, one row per run; key frequencies are labelled. */
export function spectrumSvg(title: string, spectra: { label: string; spectrum: Spectrum }[]): string {
  const w = 900, rowH = 220, pad = { l: 52, r: 10, t: 30, b: 34 };
  const parts: string[] = [`<text x="${w / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`];
  // one scale for every row, so a flat (memorising) spectrum is not blown up to look spiky
  const max = Math.max(1e-9, ...spectra.flatMap((s) => s.spectrum.norms));
  spectra.forEach(({ label, spectrum: s }, r) => {
    const y0 = 30 + r * rowH, W = w - pad.l - pad.r, H = rowH - pad.t - pad.b;
    const K = s.norms.length;
    const bw = W / K;
    parts.push(`<text x="${pad.l}" y="${y0 + 18}" font-size="12">${esc(label)}: key ${s.keyFrequencies.length ? s.keyFrequencies.join(', ') : 'none'}; top 5 hold ${(100 * s.top5Share).toFixed(0)}% of the energy</text>`);
    parts.push(`<rect x="${pad.l}" y="${y0 + pad.t}" width="${W}" height="${H}" fill="none" stroke="#888"/>`);
    s.norms.forEach((n, i) => {
      const k = i + 1, bh = (n / max) * H, x = pad.l + i * bw;
      const key = s.keyFrequencies.includes(k);
      parts.push(`<rect x="${(x + bw * 0.1).toFixed(1)}" y="${(y0 + pad.t + H - bh).toFixed(1)}" width="${(bw * 0.8).toFixed(1)}" height="${bh.toFixed(1)}" fill="${key ? '#d62728' : '#9ecae1'}"/>`);
      if (key) parts.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${(y0 + pad.t + H - bh - 3).toFixed(1)}" text-anchor="middle" font-size="10">${k}</text>`);
      if (K <= 30 || k % 5 === 0) parts.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${y0 + pad.t + H + 12}" text-anchor="middle" font-size="9">${k}</text>`);
    });
    parts.push(`<text x="${pad.l + W / 2}" y="${y0 + rowH - 6}" text-anchor="middle" font-size="11">frequency k (cos and sin of 2πka/${s.p})</text>`);
    parts.push(`<text transform="translate(14 ${y0 + pad.t + H / 2}) rotate(-90)" text-anchor="middle" font-size="11">norm</text>`);
  });
  return svg(w, 40 + spectra.length * rowH, parts);
}

function svg(w: number, h: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * The accuracy curves as text for the terminal (and the docs): columns are log-spaced
 * epochs, 't' marks training accuracy, 'v' validation, '*' both.
 */
export function asciiCurves(history: EpochRecord[], width = 64, height = 10): string {
  const rows = history.filter((h) => h.valAcc !== null);
  if (rows.length === 0) return '';
  const xMax = rows[rows.length - 1].epoch;
  const grid = Array.from({ length: height + 1 }, () => Array<string>(width).fill(' '));
  let j = 0;
  for (let c = 0; c < width; c++) {
    const e = Math.pow(xMax, c / (width - 1)); // log-spaced epoch of this column
    while (j + 1 < rows.length && rows[j + 1].epoch <= e) j++;
    const r = rows[j];
    const ty = Math.round(r.trainAcc * height), vy = Math.round(r.valAcc! * height);
    grid[height - ty][c] = 't';
    grid[height - vy][c] = ty === vy ? '*' : 'v';
  }
  const lines = grid.map((row, i) => `${i === 0 ? '100%' : i === height ? '  0%' : '    '} |${row.join('')}`);
  const axis = `     +${'-'.repeat(width)}`;
  const labels = `      1${' '.repeat(Math.max(1, width - 1 - String(xMax).length))}${xMax}  epoch (log)`;
  return [...lines, axis, labels].join('\n');
}
