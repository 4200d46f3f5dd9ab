import type { Spectrum } from './fourier.js';
import type { EpochRecord } from './train.js';
import { niceStep } from '../../util/scale.js';
import { barChart, lineChart, PALETTE, type BarPanel, type LinePanel, type Mark, type Series } from '../../util/chart.js';

/**
 * The chapter's pictures, drawn with util/chart: the training curves (log-scale epochs, since
 * memorisation and generalisation happen orders of magnitude apart) and the embedding's Fourier
 * spectrum.
 */

export interface Run {
  label: string;
  history: EpochRecord[];
  train99: number | null;
  val99: number | null;
}

const COLORS = { train: PALETTE[0], val: PALETTE[1], norm: PALETTE[2] };
const DASHES = [undefined, '6 4', '2 3'];

/** Accuracy, loss and parameter-norm panels for one or more runs (e.g. wd = 1 and wd = 0), on log-scale epochs. */
export function curvesSvg(title: string, runs: Run[]): string {
  const pts = (r: Run, f: (h: EpochRecord) => number | null): [number, number][] =>
    r.history.filter((h) => f(h) !== null && h.epoch > 0).map((h) => [h.epoch, f(h)!]);
  const many = runs.length > 1;
  const name = (r: Run, what: string) => (many ? `${what}, ${r.label}` : what);
  const series = (f: (h: EpochRecord) => number | null, g: (h: EpochRecord) => number | null): Series[] =>
    runs.flatMap((r, i) => [
      { points: pts(r, f), color: COLORS.train, dash: DASHES[i % 3], label: name(r, 'train') },
      { points: pts(r, g), color: COLORS.val, dash: DASHES[i % 3], label: name(r, 'validation') },
    ]);
  const marks: Mark[] = runs.flatMap((r, i) => [
    ...(r.train99 ? [{ x: r.train99, color: COLORS.train, dash: DASHES[i % 3] ?? '3 3' }] : []),
    ...(r.val99 ? [{ x: r.val99, color: COLORS.val, dash: DASHES[i % 3] ?? '3 3' }] : []),
  ]);
  const xMax = Math.max(10, ...runs.flatMap((r) => r.history.map((h) => h.epoch)));
  const x = { label: 'epoch', log: true, min: 1, max: 10 ** Math.ceil(Math.log10(xMax) - 1e-9) };
  const panels: LinePanel[] = [
    { title: 'accuracy', x, y: { label: 'accuracy', min: 0, max: 1 }, series: series((h) => h.trainAcc, (h) => h.valAcc), marks },
    { title: 'loss', x, y: { label: 'cross-entropy', log: true }, series: series((h) => h.trainLoss, (h) => h.valLoss), marks },
    { title: 'parameter norm', x, y: { label: '||θ||' }, marks: [],
      series: runs.map((r, i) => ({ points: pts(r, (h) => h.paramNorm || null), color: COLORS.norm, dash: DASHES[i % 3], label: many ? r.label : 'total norm' })) },
  ];
  const caption = runs.map((r) => `${r.label}: train 99% at epoch ${r.train99 ?? 'never'}, validation 99% at ${r.val99 ?? 'never'}`).join('  |  ');
  return lineChart(panels, { title, caption: `${caption} (dashed verticals)`, panelWidth: 420, panelHeight: 320 });
}

/** Bar chart of each frequency's norm, one row per run, on one scale; key frequencies in red, labelled. */
export function spectrumSvg(title: string, spectra: { label: string; spectrum: Spectrum }[]): string {
  // one scale for every row, so a flat (memorising) spectrum is not blown up to look spiky
  const max = Math.max(1e-9, ...spectra.flatMap((s) => s.spectrum.norms));
  const step = niceStep(0, max, 4);
  const top = Math.ceil((max * 1.05) / step) * step; // room for the key frequencies' numbers
  const panels: BarPanel[] = spectra.map(({ label, spectrum: s }) => {
    const key = (k: number) => s.keyFrequencies.includes(k);
    return {
      title: `${label}: key frequencies ${s.keyFrequencies.length ? s.keyFrequencies.join(', ') : 'none'}; the top 5 hold ${(100 * s.top5Share).toFixed(0)}% of the energy`,
      labels: s.norms.map((_, i) => String(i + 1)),
      values: s.norms,
      colors: s.norms.map((_, i) => (key(i + 1) ? KEY_COLOR : OTHER_COLOR)),
      annotations: s.norms.map((_, i) => (key(i + 1) ? String(i + 1) : undefined)),
      labelEvery: s.norms.length <= 30 ? 1 : 5,
      x: { label: `frequency k (cos and sin of 2πka/${s.p})` },
      y: { label: 'norm', min: 0, max: top },
      legend: [{ label: 'key frequency', color: KEY_COLOR, swatch: true }, { label: 'other frequencies', color: OTHER_COLOR, swatch: true }],
    };
  });
  return barChart(panels, { title, panelWidth: 900, panelHeight: 250 });
}

const KEY_COLOR = '#d62728';
const OTHER_COLOR = '#9ecae1';

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
