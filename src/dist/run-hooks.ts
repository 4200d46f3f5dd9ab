/**
 * What a chapter hands the training loop for a distributed run, in one call: sharded checkpoints
 * of whatever this rank holds and the step timeline with timeline.svg at the end. The parallel
 * modes (DDP, ZeRO, tensor and pipeline parallel) build `state` from their ShardSpecs; the chapter
 * spreads the result into its loop options:
 *
 *   trainLoop({ ...opts, run: rank === 0 ? run : undefined,
 *               ...distributedRun({ world, dir: run.dir, state, layout: { dp, tp, pp, zero }, title: 'GPT-2, dp 2' }) });
 */
import { ShardedCheckpoint, type ShardedState } from './checkpoint.js';
import type { Communicator } from './communicator.js';
import { stepTimeline, type StepSummary, type StepTimeline } from './timeline.js';
import { timelineWriter } from './timeline-gather.js';

export interface DistributedRunHooks {
  sharded: ShardedCheckpoint;
  timeline: { recorder: StepTimeline; finish: (last: StepSummary) => Promise<void> };
}

export function distributedRun(o: { world: Communicator; dir: string; state: ShardedState; layout: Record<string, number>; title: string }): DistributedRunHooks {
  return {
    sharded: new ShardedCheckpoint(o.dir, o.state, o.world, o.layout),
    // every rank gathers; rank 0 draws
    timeline: { recorder: stepTimeline(), finish: timelineWriter(o.world, o.world.rank === 0 ? o.dir : undefined, o.title) },
  };
}
