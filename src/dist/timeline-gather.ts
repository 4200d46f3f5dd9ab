/**
 * timeline.svg at the end of a distributed run: rank 0 gathers one step's spans from every rank
 * (all-gathers of their JSON as floats: the communicator moves Float32Arrays only; character
 * codes below 2^24 are exact in float32) and draws them.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Communicator } from './communicator.js';
import type { StepSummary } from './timeline.js';
import { timelineSvg, type RankStep } from './timeline-svg.js';

/** Every rank's step, in rank order (collective: every rank of `world` calls it). */
export async function gatherStepTimelines(world: Communicator, step: StepSummary): Promise<RankStep[]> {
  const json = JSON.stringify({ seconds: step.seconds, spans: step.spans });
  const lengths = new Float32Array(world.size);
  await world.allGather(Float32Array.of(json.length), lengths);
  const longest = Math.max(...lengths);
  const mine = new Float32Array(longest);
  for (let i = 0; i < json.length; i++) mine[i] = json.charCodeAt(i);
  const all = new Float32Array(longest * world.size);
  await world.allGather(mine, all);
  return Array.from({ length: world.size }, (_, r) => {
    const codes = all.subarray(r * longest, r * longest + lengths[r]);
    const parsed = JSON.parse(Array.from(codes, (c) => String.fromCharCode(c)).join('')) as Omit<RankStep, 'rank'>;
    return { rank: r, ...parsed };
  });
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
