/**
 * Sharded checkpoints of pipeline runs (dist/pipeline-checkpoint.ts): a `chargpt --pp 2` run stops
 * after 4 steps and continues to 8 on one process and as pp 2 again; a one-process run's
 * latest.safetensors continues as pp 2; `gradpath dist merge` makes the pp 2 checkpoint one file
 * equal to a one-process run's. Every continuation ends where one process training 8 steps
 * straight ends.
 *
 * Tolerance: the stages sum each batch's loss over micro-batches (4 by default), a float32 sum in
 * another order than one process's; the bounds are resume-helpers.ts's (measured differences are
 * printed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mpiSkip } from './mpi.js';
import { LOSS_TOL, PARAM_TOL, flags, gradpath, launch, losses, maxLossDiff, maxParamDiff, modelOf, textFile } from './resume-helpers.js';
import { readShardIndex } from '../../src/io/sharded.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the pipeline checkpoint runs: ${skip}`);

test('chargpt --pp 2: 4 steps resume on 1 process and as pp 2; 1 process resumes as pp 2; all match 8 steps on one process', { skip, timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-ckpt-pp-'));
  try {
    const f = flags(textFile(dir));
    const at = ['val@4', 'val@8', 'batch@8'];
    gradpath([...f, '--max-steps', '4', '-o', join(dir, 'four')]);
    gradpath([...f, '--max-steps', '8', '-o', join(dir, 'one')]);
    const want = modelOf(join(dir, 'one', 'latest.safetensors')), wantLoss = losses(join(dir, 'one'));

    await launch(2, [...f, '--max-steps', '4', '-o', join(dir, 'p'), '--pp', '2']);
    const index = readShardIndex(join(dir, 'p'));
    assert.deepEqual([index.step, index.world, index.layout.pp], [4, 2, 2]);
    // the tied head is saved once (as wte.weight, by stage 0)
    assert.ok(!index.files.some((x) => x.pieces.some((p) => p.name.endsWith('lm_head.weight'))), 'the tied head copy was saved');
    gradpath(['dist', 'merge', join(dir, 'p'), '--out', join(dir, 'p-merged.safetensors')]);
    const dm = maxParamDiff(modelOf(join(dir, 'p-merged.safetensors')), modelOf(join(dir, 'four', 'latest.safetensors')));
    cpSync(join(dir, 'p'), join(dir, 'p1'), { recursive: true });
    cpSync(join(dir, 'four'), join(dir, 'f2'), { recursive: true });

    const out = await launch(2, [...f, '--max-steps', '8', '-o', join(dir, 'p'), '--pp', '2', '--resume']);
    assert.match(out, /resuming from the sharded checkpoint .* \(saved by 2 ranks\) at step 4/);
    gradpath(['dist', 'merge', join(dir, 'p'), '--out', join(dir, 'p-merged8.safetensors')]);
    const d22 = maxParamDiff(modelOf(join(dir, 'p-merged8.safetensors')), want);
    const l22 = maxLossDiff(losses(join(dir, 'p')), wantLoss, at);

    const one = gradpath([...f, '--max-steps', '8', '-o', join(dir, 'p1'), '--resume']);
    assert.match(one, /resuming from the sharded checkpoint .* \(saved by 2 ranks\) at step 4/);
    const d21 = maxParamDiff(modelOf(join(dir, 'p1', 'latest.safetensors')), want);
    const l21 = maxLossDiff(losses(join(dir, 'p1')), wantLoss, at);

    const up = await launch(2, [...f, '--max-steps', '8', '-o', join(dir, 'f2'), '--pp', '2', '--resume']);
    assert.match(up, /resuming from .*latest\.safetensors at step 4/);
    gradpath(['dist', 'merge', join(dir, 'f2'), '--out', join(dir, 'f2-merged.safetensors')]);
    const d12 = maxParamDiff(modelOf(join(dir, 'f2-merged.safetensors')), want);
    const l12 = maxLossDiff(losses(join(dir, 'f2')), wantLoss, at);

    console.log(`# pp 2 x 4 merged vs 1 process x 4: max |param diff| ${dm.toExponential(2)}`);
    console.log(`# vs 1 process x 8, max |param diff| / |loss diff|: pp2+pp2 ${d22.toExponential(2)} / ${l22.toExponential(2)}, pp2+1 ${d21.toExponential(2)} / ${l21.toExponential(2)}, 1+pp2 ${d12.toExponential(2)} / ${l12.toExponential(2)}`);
    assert.ok(Math.max(dm, d22, d21, d12) < PARAM_TOL, `parameters differ by ${dm} (merged at 4), ${d22} (pp2 -> pp2), ${d21} (pp2 -> 1), ${d12} (1 -> pp2)`);
    assert.ok(Math.max(l22, l21, l12) < LOSS_TOL, `losses differ by ${l22} (pp2 -> pp2), ${l21} (pp2 -> 1), ${l12} (1 -> pp2)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
