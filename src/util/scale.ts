/**
 * Axis scales for the charts: a data range mapped onto pixels, with "nice" ticks (1, 2 or 5
 * times a power of ten; decades on a log axis) and tick labels that read as numbers a person
 * would write: 0.25, 3k, 1e-5, never 0e+0.
 */

export interface AxisSpec {
  label?: string;
  log?: boolean;
  /** Fixed ends of the axis; otherwise the data's range, widened to nice ticks. */
  min?: number;
  max?: number;
}

export interface Scale {
  /** Data value -> pixel. */
  (value: number): number;
  readonly domain: [number, number];
  readonly ticks: number[];
  readonly log: boolean;
  /** The label of a tick value, formatted for this axis. */
  format(value: number): string;
}

/** The nice step (1, 2, 2.5 or 5 x 10^k) that cuts [lo, hi] into about `count` intervals. */
export function niceStep(lo: number, hi: number, count = 5): number {
  const raw = (hi - lo) / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10) * power;
}

/** Multiples of the nice step within [lo, hi] (both ends included up to rounding). */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  const step = niceStep(lo, hi, count);
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(cleanFloat(k * step));
  return ticks;
}

/** Powers of ten within [lo, hi]; with fewer than three decades, 2x and 5x as well. */
export function logTicks(lo: number, hi: number): number[] {
  const first = Math.floor(Math.log10(lo)), last = Math.ceil(Math.log10(hi));
  const mantissas = last - first < 3 ? [1, 2, 5] : [1];
  // Over many decades, label every second or third decade so the labels do not collide.
  const every = Math.max(1, Math.ceil((last - first) / 8));
  const ticks: number[] = [];
  for (let e = first; e <= last; e++) {
    if ((e - first) % every !== 0) continue;
    for (const m of mantissas) {
      const t = cleanFloat(m * 10 ** e);
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  return ticks;
}

/** 0.1 * 3 is 0.30000000000000004; a tick should be 0.3. */
function cleanFloat(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(12));
}

/**
 * A tick label: thousands as k and millions as M (1.5k, 2M), tiny or huge values in short
 * exponent form (1e-5, 2.5e-7), otherwise as many decimals as the step between ticks needs.
 */
export function formatTick(value: number, step = 0): string {
  if (value === 0) return '0';
  const a = Math.abs(value);
  if (a >= 1e12 || a < 1e-4) return shortExponent(value);
  if (a >= 1e6) return `${trim(value / 1e6)}M`;
  if (a >= 1e4 || (a >= 1e3 && step >= 100)) return `${trim(value / 1e3)}k`;
  return trim(Number(value.toFixed(step > 0 ? decimalsOf(step) : 6)));
}

/** Decimals that write the step exactly: 0.25 -> 2, 0.5 -> 1, 20 -> 0. */
function decimalsOf(step: number): number {
  let d = 0;
  while (d < 6 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6 * step * 10 ** d) d++;
  return d;
}

function trim(x: number): string {
  return String(Number(x.toPrecision(4)));
}

function shortExponent(x: number): string {
  const [m, e] = x.toExponential(2).split('e');
  return `${Number(m)}e${Number(e)}`;
}

/**
 * A scale from the values it must show onto [start, end] pixels (end < start for a y axis,
 * since SVG's y grows downward). Non-positive values are ignored on a log axis.
 */
export function makeScale(values: readonly number[], spec: AxisSpec, start: number, end: number, tickCount = 5): Scale {
  const log = spec.log === true;
  const usable = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo = spec.min ?? (usable.length ? Math.min(...usable) : log ? 1 : 0);
  let hi = spec.max ?? (usable.length ? Math.max(...usable) : log ? 10 : 1);
  let ticks: number[];
  let step = 0;
  if (log) {
    if (!(lo > 0)) lo = 1e-12;
    if (spec.min === undefined) lo = 10 ** Math.floor(Math.log10(lo) + 1e-9);
    if (spec.max === undefined) hi = 10 ** Math.ceil(Math.log10(hi) - 1e-9);
    if (!(hi > lo)) hi = lo * 10;
    ticks = logTicks(lo, hi);
  } else {
    if (!(hi > lo)) {
      const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
      lo -= pad;
      hi += pad;
    }
    step = niceStep(lo, hi, tickCount);
    if (spec.min === undefined) lo = Math.floor(lo / step + 1e-9) * step;
    if (spec.max === undefined) hi = Math.ceil(hi / step - 1e-9) * step;
    ticks = linearTicks(lo, hi, tickCount);
  }
  const t = log ? Math.log10 : (v: number) => v;
  const t0 = t(lo), t1 = t(hi);
  const scale = ((v: number) => start + ((t(v) - t0) / (t1 - t0)) * (end - start)) as Scale;
  return Object.assign(scale, {
    domain: [lo, hi] as [number, number],
    ticks,
    log,
    format: (v: number) => formatTick(v, step),
  });
}
