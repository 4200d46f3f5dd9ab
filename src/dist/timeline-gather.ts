/**
 * timeline.svg at the end of a distributed run: rank 0 gathers one step's spans from every rank
 * (their JSON, gather-text.ts) and draws them.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Communicator } from './communicator.js';
import { allGatherText } from './gather-text.js';
import type { StepSummary } from './timeline.js';
import { timelineSvg, type RankStep } from './timeline-svg.js';

/** Every rank's step, in rank order (collective: every rank of `world` calls it). */
export async function gatherStepTimelines(world: Communicator, step: StepSummary): Promise<RankStep[]> {
  const texts = await allGatherText(world, JSON.stringify({ seconds: step.seconds, spans: step.spans }));
  return texts.map((json, rank) => ({ rank, ...(JSON.parse(json) as Omit<RankStep, 'rank'>) }));
}

/**
 * For the loop's `timeline.finish`: gathers the last step from every rank and, on rank 0 with a
 * run directory, writes RUN_DIR/timeline.svg.
 */
export function timelineWriter(world: Communicator, runDir: string | undefined, title: string): (last: StepSummary) => Promise<void> {
  return async (last) => {
    const rows = await gatherStepTimelines(world, last);
    if (world.rank === 0 && runDir) writeFileAtomic(join(runDir, 'timeline.svg'), timelineSvg(rows, { title }));
  };
}
