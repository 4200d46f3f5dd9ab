import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#db2777'];

export interface ChartOptions {
  title: string;
  /** One line per name; a point may be missing (null) where a series was not measured. */
  series: string[];
  xLabel?: string;
  logX?: boolean;
  logY?: boolean;
  height?: number;
  dashes?: (number[] | undefined)[];
}

/**
 * A line chart (uPlot: small, fast on thousands of points) that grows as records arrive;
 * redrawn at most once per animation frame however often points are added.
 */
export class LineChart {
  readonly el: HTMLElement;
  private plot: uPlot;
  private data: (number | null)[][];
  private pending = false;

  constructor(private readonly opts: ChartOptions) {
    this.el = h('div', { class: 'chart', role: 'img', 'aria-label': opts.title });
    this.data = [[], ...opts.series.map(() => [])];
    this.plot = this.make(320);
    new ResizeObserver(() => this.resize()).observe(this.el);
  }

  private make(width: number): uPlot {
    const o = this.opts;
    return new uPlot({
      title: o.title, width, height: o.height ?? 220,
      scales: { x: { time: false, distr: o.logX ? 3 : 1 }, y: { distr: o.logY ? 3 : 1 } },
      axes: [{ label: o.xLabel ?? 'step' }, {}],
      series: [{ label: o.xLabel ?? 'step' }, ...o.series.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true, dash: o.dashes?.[i] }))],
      legend: { live: false },
    }, this.data as uPlot.AlignedData, this.el);
  }

  private resize(): void {
    const w = Math.max(240, Math.floor(this.el.clientWidth));
    if (Math.abs(w - this.plot.width) > 4) this.plot.setSize({ width: w, height: this.plot.height });
  }

  add(x: number, values: (number | null | undefined)[]): void {
    this.data[0].push(x);
    this.opts.series.forEach((_, i) => this.data[i + 1].push(values[i] ?? null));
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.plot.setData(this.data as uPlot.AlignedData);
      });
    }
  }

  /** Replaces all points at once (the runs viewer). */
  set(xs: number[], columns: (number | null)[][]): void {
    this.data = [xs, ...columns];
    this.plot.setData(this.data as uPlot.AlignedData);
  }

  reset(): void {
    this.data = [[], ...this.opts.series.map(() => [])];
    this.plot.setData(this.data as uPlot.AlignedData);
  }
}
