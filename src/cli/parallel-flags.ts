/**
 * Flags of the parallel training modes, shared by `gradpath gpt2 train` and `gradpath chargpt`
 * (issue #17); they take effect under `gradpath launch -n N -- <command> ...`. Each mode keeps
 * its lines together under its own comment.
 */
import type { OptionSpecs } from './args.js';
import { PIPELINE_SCHEDULES } from '../dist/pipeline-schedule.js';

// --- pipeline parallel: src/dist/pipeline.ts
export const pipelineFlags = {
  pp: { type: 'int', min: 1, default: 1, help: 'Pipeline-parallel stages: the blocks split over this many ranks (launch -n N with N = pp)' },
  'pp-schedule': { type: 'choice', choices: PIPELINE_SCHEDULES, default: '1f1b', help: 'Pipeline schedule: 1f1b (holds at most pp micro-batches per stage) or gpipe (all forwards, then all backwards)' },
  'micro-batches': { type: 'int', min: 1, help: 'Micro-batches each batch is cut into for the pipeline (default 2 x --pp; must divide the batch)' },
} satisfies OptionSpecs;
// --- end of pipeline parallel
