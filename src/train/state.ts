import { GradpathError } from '../util/errors.js';
import type { Generator } from '../util/random.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { compareConfig, loadCheckpoint, saveCheckpoint, type StateDict } from '../io/checkpoint.js';

/**
 * Everything a run needs to continue exactly where it stopped: model weights and buffers,
 * optimizer moments and step count, the random generator, the step, and the configuration.
 */
export interface TrainingState {
  model: Module;
  optimizer?: Optimizer;
  generator?: Generator;
  step: number;
  kind: string;
  config: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/** A module's tensors as plain {shape, data} records: copies, so later steps do not change them, unless `copy` is false. */
export function moduleState(model: Module, copy = true): StateDict {
  const out: StateDict = {};
  for (const [name, t] of Object.entries(model.stateDict())) out[name] = { shape: [...t.shape], data: copy ? t.values().slice() : t.values() };
  return out;
}

export function saveTrainingState(path: string, s: TrainingState): void {
  saveCheckpoint(path, {
    model: moduleState(s.model, false), // written before anything changes: no 0.5 GB copy of GPT-2's weights
    optimizer: s.optimizer?.stateDict(),
    step: s.step,
    rng: s.generator?.getState(),
    kind: s.kind,
    config: s.config,
    extra: s.extra,
  });
}

/**
 * Loads a checkpoint into an existing model (and optimizer and generator). With configKeys,
 * a checkpoint trained with another configuration is refused, naming the first difference.
 */
export function loadTrainingState(
  path: string,
  into: { model: Module; optimizer?: Optimizer; generator?: Generator; kind: string; config?: Record<string, unknown>; configKeys?: readonly string[] },
): { step: number; config: Record<string, unknown>; extra: Record<string, unknown> } {
  const ckpt = loadCheckpoint(path, { kind: into.kind });
  if (into.config && into.configKeys) {
    const diff = compareConfig(ckpt.config, into.config, into.configKeys);
    if (diff) throw new GradpathError(`checkpoint ${path} was trained with another configuration: ${diff}`);
  }
  into.model.loadStateDict(ckpt.model);
  if (into.optimizer && ckpt.optimizer) into.optimizer.loadStateDict(ckpt.optimizer);
  if (into.generator && ckpt.rng) into.generator.setState(ckpt.rng);
  return { step: ckpt.step, config: ckpt.config, extra: ckpt.extra ?? {} };
}
