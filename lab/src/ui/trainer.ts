import TrainWorker from '../worker/train-worker.ts?worker';
import type { FromWorker, JobName, Settings, StepRecord, ToWorker } from '../worker/protocol.js';
import type { BackendChoice } from '../worker/backend.js';
import { h, typing } from './dom.js';

export interface Field {
  name: string;
  label: string;
  kind: 'int' | 'float' | 'choice' | 'text';
  default: string | number;
  choices?: readonly string[];
  min?: number;
  max?: number;
}

export interface TrainerOptions {
  job: JobName;
  fields: Field[];
  /** A new run starts: clear charts and pictures. */
  onStart?(settings: Settings): void;
  onRecords(records: StepRecord[]): void;
  onView?(view: unknown): void;
  /** Text the job trains on (a dropped or pasted file), if the page has one. */
  text?(): string | undefined;
  /** The record key whose first and last values the page reports (default 'loss'). */
  lossKey?: string;
  startLabel?: string;
  /** Listen to space, k and Escape (default true; a page's second panel says false). */
  keys?: boolean;
  /** The status line's id (default 'status'). */
  id?: string;
}

type State = 'idle' | 'starting' | 'running' | 'paused' | 'done' | 'stopped' | 'error';

/** The jobs that train on the tensor engine, so may run on either of its browser backends (micrograd and NEAT need none). */
const ENGINE_JOBS: ReadonlySet<JobName> = new Set(['makemore', 'grokking', 'transformers', 'speed']);

/**
 * The engine choice of an engine job: wasm (the default) or webgpu, offered where this browser has
 * navigator.gpu and gives an adapter; kept in the URL as `backend`, so a link repeats it. Null
 * where there is nothing to choose. The option says whether the adapter is a software one (slow).
 */
function backendChoice(job: JobName): { select: HTMLSelectElement; note: HTMLElement } | null {
  if (!ENGINE_JOBS.has(job) || !('gpu' in navigator)) return null;
  const asked = new URLSearchParams(location.search).get('backend');
  const webgpu = h('option', { value: 'webgpu', text: 'webgpu (looking for an adapter)', disabled: true });
  const select = h('select', { name: 'backend' }, h('option', { value: 'wasm', text: 'wasm (CPU)' }), webgpu);
  const note = h('p', { class: 'note', 'data-role': 'backend-note', hidden: true });
  const explain = () => (note.hidden = select.value !== 'webgpu');
  select.addEventListener('change', explain);
  void navigator.gpu.requestAdapter().catch(() => null).then((adapter) => {
    if (!adapter) return void (webgpu.textContent = 'webgpu (this browser gives no adapter)');
    if (globalThis.crossOriginIsolated !== true) return void (webgpu.textContent = 'webgpu (needs a cross-origin isolated page)');
    const software = adapter.info.isFallbackAdapter === true || /swiftshader/i.test(`${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.description}`);
    webgpu.textContent = software ? 'webgpu (software adapter: slow)' : 'webgpu (GPU)';
    webgpu.disabled = false;
    note.textContent = software
      ? 'This browser\'s WebGPU adapter is a software one (SwiftShader, on machines without a usable GPU): correct, but much slower than wasm, and the first steps wait while the kernels compile.'
      : 'webgpu runs the engine on this browser\'s GPU; the first steps wait while the kernels compile.';
    if (asked === 'webgpu') select.value = 'webgpu';
    explain();
  });
  return { select, note };
}

/** The note every page shows about threads: whether this page is cross-origin isolated. */
export function isolationNote(): HTMLElement {
  return globalThis.crossOriginIsolated
    ? h('p', { class: 'backend', id: 'isolation', 'data-isolated': 'true' }, `Cross-origin isolated: training may use up to ${Math.min(navigator.hardwareConcurrency || 1, 8)} threads.`)
    : h('p', { class: 'backend warn', id: 'isolation', 'data-isolated': 'false' }, 'This page is not cross-origin isolated (its host sends no COOP/COEP headers), so training runs on one thread. `gradpath lab` sends them.');
}

/**
 * A training panel: the settings (read from and written to the URL, so a link repeats a run),
 * start / pause / resume / stop (keys: space or k to start/pause/resume, Escape to stop),
 * progress, and a Web Worker running the chapter's job. The status line carries data-state,
 * data-step, data-first-loss and data-last-loss for tests and for anyone scripting the page.
 */
export class Trainer {
  readonly el: HTMLElement;
  private worker: Worker | null = null;
  /** The backend and threads the worker started with. */
  private workerKey = '';
  private state: State = 'idle';
  private readonly inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  private readonly startButton: HTMLButtonElement;
  private readonly pauseButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly progress: HTMLProgressElement;
  private readonly status: HTMLElement;
  private readonly backend: HTMLElement;
  private readonly backendSelect: HTMLSelectElement | null;
  private firstLoss: number | null = null;
  private asks = new Map<number, (a: unknown) => void>();
  private nextAsk = 1;

  constructor(private readonly o: TrainerOptions) {
    const params = new URLSearchParams(location.search);
    const fields = o.fields.map((f) => {
      const value = params.get(f.name) ?? String(f.default);
      const input = f.kind === 'choice'
        ? h('select', { name: f.name }, ...f.choices!.map((c) => h('option', { value: c, text: c })))
        : h('input', { name: f.name, type: f.kind === 'text' ? 'text' : 'number', step: f.kind === 'float' ? 'any' : '1', ...(f.min !== undefined ? { min: f.min } : {}), ...(f.max !== undefined ? { max: f.max } : {}) });
      input.value = value;
      this.inputs.set(f.name, input);
      return h('label', {}, f.label, input);
    });
    this.startButton = h('button', { class: 'primary', 'aria-keyshortcuts': 'Space', onclick: () => this.start() }, o.startLabel ?? 'Train');
    this.pauseButton = h('button', { disabled: true, 'aria-keyshortcuts': 'K', onclick: () => this.togglePause() }, 'Pause');
    this.stopButton = h('button', { disabled: true, 'aria-keyshortcuts': 'Escape', onclick: () => this.stop() }, 'Stop');
    this.progress = h('progress', { max: 1, value: 0 });
    this.status = h('div', { class: 'status', id: o.id ?? 'status', 'data-state': 'idle', 'aria-live': 'polite' }, o.keys === false ? 'Ready.' : 'Ready: space starts, pauses and resumes; Escape stops.');
    this.backend = h('div', { class: 'backend', id: 'backend' });
    const choice = backendChoice(o.job);
    this.backendSelect = choice?.select ?? null;
    this.el = h('section', { class: 'panel trainer' }, h('div', { class: 'controls' }, ...fields, ...(choice ? [h('label', {}, 'engine', choice.select)] : []), this.startButton, this.pauseButton, this.stopButton),
      ...(choice ? [choice.note] : []), this.progress, this.status, this.backend);
    if (o.keys !== false) addEventListener('keydown', (e) => {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === ' ' || e.key === 'k') {
        e.preventDefault();
        if (this.state === 'running' || this.state === 'paused') this.togglePause();
        else if (this.state !== 'starting') this.start();
      } else if (e.key === 'Escape') this.stop();
    });
  }

  /** The settings as typed, numbers as numbers. */
  settings(): Settings {
    const out: Settings = {};
    for (const f of this.o.fields) {
      const raw = this.inputs.get(f.name)!.value.trim();
      out[f.name] = f.kind === 'int' || f.kind === 'float' ? Number(raw) : raw;
    }
    return out;
  }

  private check(s: Settings): string | null {
    for (const f of this.o.fields) {
      const v = s[f.name];
      if (f.kind === 'int' && !Number.isInteger(v)) return `${f.label} must be a whole number`;
      if (f.kind === 'float' && !Number.isFinite(v)) return `${f.label} must be a number`;
      if (typeof v === 'number' && f.min !== undefined && v < f.min) return `${f.label} must be at least ${f.min}`;
      if (typeof v === 'number' && f.max !== undefined && v > f.max) return `${f.label} must be at most ${f.max}`;
    }
    return null;
  }

  start(): void {
    const settings = this.settings();
    const problem = this.check(settings);
    if (problem) return this.show('error', problem);
    const params = new URLSearchParams(location.search); // merged: a page's other panels keep theirs
    for (const [k, v] of Object.entries(settings)) params.set(k, String(v));
    const backend = (this.backendSelect?.value ?? 'wasm') as BackendChoice;
    if (this.backendSelect) params.set('backend', backend);
    history.replaceState(null, '', `?${params}`);
    // a finished run's worker serves the next one with the same engine: its backend started (on
    // webgpu: its device and compiled kernels), so the new run compiles nothing
    const key = `${backend}/${settings.threads ?? 0}`;
    if (!(this.worker && this.workerKey === key && (this.state === 'done' || this.state === 'stopped'))) {
      this.worker?.terminate();
      this.worker = new TrainWorker();
      this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
      this.worker.onerror = (e) => this.show('error', `the training worker failed: ${e.message}`);
      this.workerKey = key;
    }
    this.firstLoss = null;
    this.progress.value = 0;
    this.o.onStart?.(settings);
    this.send({ type: 'start', job: this.o.job, settings, text: this.o.text?.(), backend });
    this.show('starting', 'Starting the engine...');
  }

  togglePause(): void {
    if (this.state === 'running') this.send({ type: 'pause' });
    else if (this.state === 'paused') this.send({ type: 'resume' });
  }

  stop(): void {
    if (this.state === 'running' || this.state === 'paused' || this.state === 'starting') this.send({ type: 'stop' });
  }

  /** Asks the job a question (between its steps); resolves with its answer. */
  ask(question: unknown): Promise<unknown> {
    if (!this.worker) return Promise.resolve(null);
    const id = this.nextAsk++;
    return new Promise((ok) => {
      this.asks.set(id, ok);
      this.send({ type: 'ask', id, question });
    });
  }

  get running(): boolean {
    return this.worker !== null;
  }

  private send(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  private receive(m: FromWorker): void {
    const key = this.o.lossKey ?? 'loss';
    if (m.type === 'backend') {
      this.backend.textContent = `Engine: ${m.info.description}`;
      this.backend.dataset.backend = m.info.name;
      this.backend.dataset.threads = String(m.info.threads);
    } else if (m.type === 'progress') {
      this.o.onRecords(m.records);
      if (m.view !== undefined) this.o.onView?.(m.view);
      const last = m.records[m.records.length - 1];
      for (const r of m.records) if (this.firstLoss === null && Number.isFinite(r[key])) this.firstLoss = r[key];
      this.progress.value = m.step / m.total;
      this.status.dataset.step = String(m.step);
      if (this.firstLoss !== null) this.status.dataset.firstLoss = String(this.firstLoss);
      if (Number.isFinite(last[key])) this.status.dataset.lastLoss = String(last[key]);
      const shown = Object.entries(last).filter(([k]) => k !== 'step').map(([k, v]) => `${k.replace(/_/g, ' ')} ${format(v)}`).join(' · ');
      this.show(this.state === 'paused' ? 'paused' : 'running', `step ${m.step} / ${m.total} · ${shown} · ${m.stepsPerSecond.toFixed(1)} steps/s`);
    } else if (m.type === 'state') {
      const text = this.status.textContent ?? '';
      const base = text.replace(/^(paused|stopped|done)( · )?/, '');
      this.show(m.state, m.state === 'running' ? base : `${m.state}${base ? ' · ' + base : ''}`);
    } else if (m.type === 'answer') {
      this.asks.get(m.id)?.(m.answer);
      this.asks.delete(m.id);
    } else if (m.type === 'error') {
      this.show('error', m.message);
    }
  }

  private show(state: State, text: string): void {
    this.state = state;
    this.status.dataset.state = state;
    this.status.textContent = text;
    this.status.classList.toggle('warn', state === 'error');
    const active = state === 'running' || state === 'paused' || state === 'starting';
    this.startButton.disabled = active;
    this.startButton.textContent = `${this.o.startLabel ?? 'Train'}${state === 'done' || state === 'stopped' ? ' again' : ''}`;
    this.pauseButton.disabled = !(state === 'running' || state === 'paused');
    this.pauseButton.textContent = state === 'paused' ? 'Resume' : 'Pause';
    this.stopButton.disabled = !active;
  }
}

export function format(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : Number(v.toPrecision(4)).toString();
}
