/**
 * What one rank's JavaScript thread did during a step: computing, waiting for communication
 * (the communication that did not hide behind compute: "exposed"), or idle (a pipeline stage
 * waiting for its neighbour: the bubble). Compute is what is left of the step.
 *
 *   const tl = stepTimeline();                       // one per process
 *   tl.beginStep();
 *   await tl.wait('comm', 'grad bucket 3', comm.allReduce(bucket));
 *   tl.waitSync('comm', 'tp all-reduce', () => tp.waitAll());
 *   const summary = tl.endStep();                    // { seconds, compute, comm, idle, spans }
 *
 * The spans of a step are what the timeline picture draws, one row per rank.
 */

export type SpanKind = 'comm' | 'idle';

export interface Span {
  kind: SpanKind;
  label: string;
  /** Seconds since the step began. */
  start: number;
  end: number;
}

export interface StepSummary {
  seconds: number;
  /** Seconds the thread was not waiting. */
  compute: number;
  /** Seconds waiting for communication (exposed, not overlapped). */
  comm: number;
  /** Seconds waiting for another stage (the pipeline bubble). */
  idle: number;
  spans: Span[];
}

export class StepTimeline {
  private t0 = performance.now();
  private spans: Span[] = [];
  /** Waits outside a step (evaluation, a wrapper used without the loop's timeline) are not kept. */
  private inStep = false;

  beginStep(): void {
    this.t0 = performance.now();
    this.spans = [];
    this.inStep = true;
  }

  /** Awaits p, counting the wait as `kind`. */
  async wait<T>(kind: SpanKind, label: string, p: Promise<T>): Promise<T> {
    const start = this.now();
    try {
      return await p;
    } finally {
      this.keep(kind, label, start);
    }
  }

  /** Runs a blocking wait (e.g. Communicator.waitAll), counting it as `kind`. */
  waitSync<T>(kind: SpanKind, label: string, fn: () => T): T {
    const start = this.now();
    try {
      return fn();
    } finally {
      this.keep(kind, label, start);
    }
  }

  endStep(): StepSummary {
    this.inStep = false;
    const seconds = this.now();
    const total = (k: SpanKind) => this.spans.filter((s) => s.kind === k).reduce((a, s) => a + s.end - s.start, 0);
    const comm = total('comm'), idle = total('idle');
    return { seconds, compute: Math.max(0, seconds - comm - idle), comm, idle, spans: this.spans };
  }

  private keep(kind: SpanKind, label: string, start: number): void {
    if (this.inStep) this.spans.push({ kind, label, start, end: this.now() });
  }

  private now(): number {
    return (performance.now() - this.t0) / 1000;
  }
}

let shared: StepTimeline | null = null;

/** This process's timeline (the parallel wrappers record into it; the training loop reads it). */
export function stepTimeline(): StepTimeline {
  return (shared ??= new StepTimeline());
}
