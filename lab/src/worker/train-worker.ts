/**
 * The training worker: starts the engine's backend (once: later runs reuse it), builds the job a page asks for, and runs its
 * steps in slices of about 50 ms, posting progress after each slice and reading the page's
 * messages (pause, resume, stop, questions) between them, so the page never waits on training.
 */
import '../shims/process.js';
import { startBackend } from './backend.js';
import type { BackendChoice } from './backend.js';
import type { FromWorker, Job, JobName, Settings, StepRecord, ToWorker } from './protocol.js';

const SLICE_MS = 50;
const jobs: Record<JobName, () => Promise<{ createJob(s: Settings, text?: string): Job | Promise<Job> }>> = {
  micrograd: () => import('./jobs/micrograd.js'),
  makemore: () => import('./jobs/makemore.js'),
  grokking: () => import('./jobs/grokking.js'),
  transformers: () => import('./jobs/transformers.js'),
  speed: () => import('./jobs/speed.js'),
  'neat-task': () => import('./jobs/neat-task.js'),
};

const post = (m: FromWorker) => self.postMessage(m);
let job: Job | null = null;
let paused = false, stopped = false;
let wake: (() => void) | null = null;

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === 'start') void run(m.job, m.settings, m.text, Number(m.settings.threads ?? 0), m.backend).catch((err: Error) => post({ type: 'error', message: err.message }));
  else if (m.type === 'pause') paused = true;
  else if (m.type === 'resume') (paused = false, wake?.());
  else if (m.type === 'stop') (stopped = true, wake?.());
  else if (m.type === 'ask') {
    try {
      post({ type: 'answer', id: m.id, answer: job?.ask ? job.ask(m.question) : null });
    } catch (err) {
      post({ type: 'error', message: (err as Error).message });
    }
  }
};

const nextTask = () => new Promise<void>((ok) => setTimeout(ok, 0));

async function run(name: JobName, settings: Settings, text?: string, threads?: number, backend?: BackendChoice): Promise<void> {
  // a worker runs one job at a time, the next after the last is done or stopped (ui/trainer.ts), on the backend it started
  job = null;
  paused = false;
  stopped = false;
  post({ type: 'backend', info: await startBackend(threads ?? 0, backend) });
  job = await (await jobs[name]()).createJob(settings, text);
  post({ type: 'state', state: 'running' });
  const started = performance.now();
  let pausedMs = 0;
  for (let step = 1; step <= job.total && !stopped;) {
    const records: StepRecord[] = [];
    let view: unknown;
    const sliceEnd = performance.now() + SLICE_MS;
    let finished = false;
    do {
      records.push({ step, ...job.step(step) });
      finished = job.done?.() === true;
      if (job.view && (step % (job.viewEvery ?? 1) === 0 || step === job.total || finished)) view = job.view(step);
      step++;
    } while (step <= job.total && !finished && performance.now() < sliceEnd);
    const seconds = (performance.now() - started - pausedMs) / 1000;
    post({ type: 'progress', step: step - 1, total: finished ? step - 1 : job.total, records, view, stepsPerSecond: (step - 1) / seconds });
    if (finished) break;
    await nextTask(); // lets pause, stop and questions in
    if (paused && !stopped) {
      post({ type: 'state', state: 'paused' });
      const t0 = performance.now();
      while (paused && !stopped) await new Promise<void>((ok) => (wake = ok));
      pausedMs += performance.now() - t0;
      if (!stopped) post({ type: 'state', state: 'running' });
    }
  }
  post({ type: 'state', state: stopped ? 'stopped' : 'done' });
}
