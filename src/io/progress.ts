import { formatDuration, formatNumber } from '../util/format.js';

export interface ProgressOptions {
  /** Total number of steps, if known (for the bar and the ETA). */
  total?: number;
  /** Words before the counter, e.g. 'train'. */
  label?: string;
  /** Off a terminal, print a plain line at most this often (seconds). */
  plainEverySeconds?: number;
  /** Stream to draw on; defaults to stderr so stdout stays clean for --json. */
  stream?: NodeJS.WriteStream;
  /** Print nothing at all (e.g. in tests). */
  quiet?: boolean;
}

/**
 * Progress of long work. On a terminal: one line redrawn in place with a bar, the latest
 * metrics, steps/s and ETA. Off a terminal (CI, pipes): a plain line every few seconds.
 */
export class Progress {
  private readonly start = Date.now();
  private lastPlain = 0;
  private lastDraw = 0;
  private drawn = false;
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private firstStep: number | null = null;

  constructor(private readonly opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY) && !process.env.CI;
  }

  update(step: number, metrics: Record<string, number> = {}): void {
    if (this.opts.quiet) return;
    if (this.firstStep === null) this.firstStep = step;
    const now = Date.now();
    const final = this.opts.total !== undefined && step >= this.opts.total;
    if (this.tty) {
      if (now - this.lastDraw < 100 && !final) return;
      this.lastDraw = now;
      this.stream.write('\r\x1b[2K' + this.line(step, metrics, true));
      this.drawn = true;
    } else {
      const every = (this.opts.plainEverySeconds ?? 10) * 1000;
      if (now - this.lastPlain < every && !final) return;
      if (this.lastPlain === 0 && !final) {
        this.lastPlain = now; // first line after one interval, not at step 0
        return;
      }
      this.lastPlain = now;
      this.stream.write(this.line(step, metrics, false) + '\n');
    }
  }

  /** Prints a message without garbling the progress line. */
  log(message: string): void {
    if (this.opts.quiet) return;
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(message + '\n');
    this.drawn = false;
  }

  done(): void {
    if (this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  private line(step: number, metrics: Record<string, number>, bar: boolean): string {
    const seconds = (Date.now() - this.start) / 1000;
    const stepsDone = step - (this.firstStep ?? 0);
    const rate = seconds > 0 ? stepsDone / seconds : 0;
    const total = this.opts.total;
    const parts: string[] = [];
    if (this.opts.label) parts.push(this.opts.label);
    if (total !== undefined) {
      parts.push(`${step}/${total}`);
      if (bar) {
        const width = 20;
        const filled = Math.min(width, Math.round((step / Math.max(1, total)) * width));
        parts.push('[' + '#'.repeat(filled) + '-'.repeat(width - filled) + ']');
      }
    } else {
      parts.push(`step ${step}`);
    }
    for (const [k, v] of Object.entries(metrics)) parts.push(`${k} ${formatNumber(v)}`);
    parts.push(`${rate.toFixed(rate < 10 ? 2 : 1)} it/s`);
    if (total !== undefined && rate > 0) parts.push(`ETA ${formatDuration((total - step) / rate)}`);
    else parts.push(`elapsed ${formatDuration(seconds)}`);
    return parts.join(' | ');
  }
}
