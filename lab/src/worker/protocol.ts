/** The messages between a page and its training worker (train-worker.ts). */
import type { BackendChoice, BackendInfo } from './backend.js';

export type JobName = 'micrograd' | 'makemore' | 'grokking' | 'transformers' | 'speed' | 'neat-task';
export type Settings = Record<string, string | number>;
/** One step's numbers; `step` counts from 1. Evaluations add their own keys (test_loss, val_acc...). */
export type StepRecord = { step: number } & Record<string, number>;

export type ToWorker =
  | { type: 'start'; job: JobName; settings: Settings; text?: string; backend?: BackendChoice }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'ask'; id: number; question: unknown };

export type FromWorker =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'progress'; step: number; total: number; records: StepRecord[]; view?: unknown; stepsPerSecond: number }
  | { type: 'state'; state: 'running' | 'paused' | 'done' | 'stopped' }
  | { type: 'answer'; id: number; answer: unknown }
  | { type: 'error'; message: string };

/** What a chapter hands the runner: one training step at a time, a picture now and then. */
export interface Job {
  total: number;
  /** Runs step `step` (1-based) and returns its numbers. */
  step(step: number): Record<string, number>;
  /** A picture of the model now (decision boundary, samples, spectrum...), sent every viewEvery steps and at the end. */
  view?(step: number): unknown;
  viewEvery?: number;
  /** True when the job is finished before `total` steps (e.g. NEAT solved its task). */
  done?(): boolean;
  /** Answers a page's question about the model (e.g. attention for a prompt), between steps. */
  ask?(question: unknown): unknown;
}
