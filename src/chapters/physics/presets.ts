import type { KnowledgeConfig } from './knowledge.js';

/**
 * Starting configurations. `quick` checks the pipeline in about a minute; `default` is the scale
 * the comparison in docs/physics.md ran at (chosen by measurement: see "Compute" there).
 * Flags override a preset's values.
 */
export const PRESETS = ['quick', 'default'] as const;
export type Preset = (typeof PRESETS)[number];

const stage = (steps: number, batchSize: number, lr: number, evalEvery: number) => ({ steps, batchSize, lr, weightDecay: 0.1, warmupSteps: Math.min(100, Math.ceil(steps / 10)), evalEvery });

export const PRESET_CONFIGS: Record<Preset, KnowledgeConfig> = {
  quick: {
    people: 40, values: 30, augment: 'single', mixed: false, model: 'tiny', seed: 1, qaFraction: 0.5,
    pretrain: stage(60, 16, 3e-3, 30), finetune: stage(30, 16, 1e-3, 15), mixedQaShare: 0.3, probeSteps: 100,
    loraRank: 2, loraFinetune: { ...stage(30, 16, 3e-3, 15), weightDecay: 0 },
  },
  default: {
    people: 400, values: 10, augment: 'single', mixed: false, model: 'medium', seed: 1, qaFraction: 0.5,
    pretrain: { ...stage(1600, 32, 3e-3, 400), warmupSteps: 100 }, finetune: stage(300, 64, 1e-3, 100), mixedQaShare: 0.3, probeSteps: 300,
    loraRank: 4, loraFinetune: { ...stage(300, 64, 3e-3, 100), weightDecay: 0 },
  },
};

/** The variants `--compare` runs: the paper's augmentations, and mixed training on single and on fully augmented biographies. */
export const COMPARE_VARIANTS: { augment: string; mixed: boolean }[] = [
  { augment: 'single', mixed: false },
  { augment: 'permute', mixed: false },
  { augment: 'fullname', mixed: false },
  { augment: 'multi5', mixed: false },
  { augment: 'multi5+permute+fullname', mixed: false },
  { augment: 'single', mixed: true },
  { augment: 'multi5+permute+fullname', mixed: true },
];
