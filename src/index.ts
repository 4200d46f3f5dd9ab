/**
 * gradpath as a library:
 *   import { tensor, randn, nn, optim } from 'gradpath';
 * The engine's functions are at the top level (like torch.*), layers under nn, optimizers under optim.
 */
export * from './engine/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { saveCheckpoint, loadCheckpoint, type Checkpoint, type StateDict } from './io/checkpoint.js';
export { saveSafetensors, loadSafetensors } from './io/safetensors.js';
export { GradpathError } from './util/errors.js';
export { saveTrainingState, loadTrainingState, moduleState, type TrainingState } from './train/state.js';
export { trainLoop, type LoopOptions, type LoopResult, type Evaluation, type StepInfo as TrainStepInfo } from './train/loop.js';
export * as models from './models/index.js';
