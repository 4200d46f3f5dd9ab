/**
 * Sharded checkpoints of the parallel modes on the commands: a `chargpt --dp 2 --zero 2` run and
 * a `chargpt --tp 2` run stop after 4 steps and continue to 8 in another layout (2 ranks, or one
 * process), ending where one process training 8 steps straight ends; `gradpath dist merge` of the
 * tensor-parallel run is a whole model that `--eval-only` reads. A 4-rank ZeRO-2 save resumes as
 * tensor parallel on 2 ranks and on one process; `gpt2 train --dp 2 --zero 2` resumes on 2 ranks
 * (each rank continues its own rows of the token shards).
 *
 * Tolerance: float32 sums in another order (2 ranks' halves of the batch, cut matmuls) move the
 * losses and, through Adam (which turns near-zero gradients' noise into steps of a fraction of
 * lr), the parameters: measured (printed below) at most 2.4e-7 on losses and 1.9e-6 on
 * parameters; asserted with a margin of about 25x.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mpiSkip } from './mpi.js';
import { LOSS_TOL, PARAM_TOL, flags, gradpath, launch, losses, maxLossDiff, maxParamDiff, modelOf, textFile, tinyGpt2Run } from './resume-helpers.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { readShardIndex } from '../../src/io/sharded.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the sharded --resume runs: ${skip}`);

test('chargpt --dp 2 --zero 2: 4 steps, then --resume on 2 ranks and on 1 process, match 8 steps on one process', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-resume-zero-'));
  try {
    const f = flags(textFile(dir));
    gradpath([...f, '--max-steps', '8', '-o', join(dir, 'one')]);
    const want = modelOf(join(dir, 'one', 'latest.safetensors')), wantLoss = losses(join(dir, 'one'));
    const start = await launch(2, [...f, '--max-steps', '4', '-o', join(dir, 'z'), '--dp', '2', '--zero', '2']);
    assert.match(start, /process grid dp 2 x pp 1 x tp 1 .*\n.*dp groups: \[0 1\]/); // data parallel alone prints its grid too
    const index = readShardIndex(join(dir, 'z'));
    assert.deepEqual([index.step, index.world, index.layout.dp, index.layout.zero], [4, 2, 2, 2]);
    cpSync(join(dir, 'z'), join(dir, 'z1'), { recursive: true });

    const out = await launch(2, [...f, '--max-steps', '8', '-o', join(dir, 'z'), '--dp', '2', '--zero', '2', '--resume']);
    assert.match(out, /resuming from the sharded checkpoint .* \(saved by 2 ranks\) at step 4/);
    gradpath(['dist', 'merge', join(dir, 'z'), '--out', join(dir, 'z-merged.safetensors')]);
    const d2 = maxParamDiff(modelOf(join(dir, 'z-merged.safetensors')), want);
    const l2 = maxLossDiff(losses(join(dir, 'z')), wantLoss, ['val@4', 'val@8', 'batch@8']);
    console.log(`# ZeRO-2 2 ranks x 4 + 2 ranks x 4 vs 1 process x 8: max |param diff| ${d2.toExponential(2)}, max |loss diff| ${l2.toExponential(2)}`);

    const one = gradpath([...f, '--max-steps', '8', '-o', join(dir, 'z1'), '--resume']);
    assert.match(one, /resuming from the sharded checkpoint .* \(saved by 2 ranks\) at step 4/);
    const d1 = maxParamDiff(modelOf(join(dir, 'z1', 'latest.safetensors')), want);
    const l1 = maxLossDiff(losses(join(dir, 'z1')), wantLoss, ['val@4', 'val@8', 'batch@8']);
    console.log(`# ZeRO-2 2 ranks x 4 + 1 process x 4 vs 1 process x 8: max |param diff| ${d1.toExponential(2)}, max |loss diff| ${l1.toExponential(2)}`);
    assert.ok(d2 < PARAM_TOL && d1 < PARAM_TOL, `parameters differ by ${d2} (2 ranks), ${d1} (1 process)`);
    assert.ok(l2 < LOSS_TOL && l1 < LOSS_TOL, `losses differ by ${l2} (2 ranks), ${l1} (1 process)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chargpt --tp 2: 4 steps, then --resume on 1 process matches 8 steps on one process; dist merge gives a whole model', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-resume-tp-'));
  try {
    const f = flags(textFile(dir));
    gradpath([...f, '--max-steps', '4', '-o', join(dir, 'four')]);
    gradpath([...f, '--max-steps', '8', '-o', join(dir, 'one')]);
    await launch(2, [...f, '--max-steps', '4', '-o', join(dir, 't'), '--tp', '2']);
    assert.deepEqual(readShardIndex(join(dir, 't')).layout.tp, 2);

    // merged, the 2 ranks' slices are the whole model: --eval-only reads it as one process's checkpoint
    gradpath(['dist', 'merge', join(dir, 't'), '--out', join(dir, 'merged', 'latest.safetensors')]);
    const dm = maxParamDiff(modelOf(join(dir, 'merged', 'latest.safetensors')), modelOf(join(dir, 'four', 'latest.safetensors')));
    const evalLoss = (d: string) => Number(JSON.parse(gradpath(['chargpt', '-o', d, '--eval-only', '--json', '--quiet']).split('\n').find((l) => l.startsWith('{'))!).val_loss);
    const [merged, four] = [evalLoss(join(dir, 'merged')), evalLoss(join(dir, 'four'))];
    console.log(`# TP 2 ranks x 4 merged vs 1 process x 4: max |param diff| ${dm.toExponential(2)}; --eval-only val loss ${merged} vs ${four}`);
    assert.ok(dm < PARAM_TOL, `merged parameters differ by ${dm}`);
    assert.ok(Math.abs(merged - four) <= 1e-4, `--eval-only: ${merged} vs ${four} (4 decimals)`);

    const out = gradpath([...f, '--max-steps', '8', '-o', join(dir, 't'), '--resume']);
    assert.match(out, /resuming from the sharded checkpoint .* \(saved by 2 ranks\) at step 4/);
    const d1 = maxParamDiff(modelOf(join(dir, 't', 'latest.safetensors')), modelOf(join(dir, 'one', 'latest.safetensors')));
    const l1 = maxLossDiff(losses(join(dir, 't')), losses(join(dir, 'one')), ['val@4', 'val@8', 'batch@8']);
    console.log(`# TP 2 ranks x 4 + 1 process x 4 vs 1 process x 8: max |param diff| ${d1.toExponential(2)}, max |loss diff| ${l1.toExponential(2)}`);
    assert.ok(d1 < PARAM_TOL, `parameters differ by ${d1}`);
    assert.ok(l1 < LOSS_TOL, `losses differ by ${l1}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('4 ranks (--dp 4 --zero 2) save; --resume on 2 ranks in another mode (--tp 2) and on 1 process match one process', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-resume-4-'));
  try {
    const f = flags(textFile(dir));
    gradpath([...f, '--max-steps', '8', '-o', join(dir, 'one')]);
    const want = modelOf(join(dir, 'one', 'latest.safetensors')), wantLoss = losses(join(dir, 'one'));
    await launch(4, [...f, '--max-steps', '4', '-o', join(dir, 'q'), '--dp', '4', '--zero', '2']);
    assert.deepEqual([readShardIndex(join(dir, 'q')).world, readShardIndex(join(dir, 'q')).layout.dp], [4, 4]);
    cpSync(join(dir, 'q'), join(dir, 'q1'), { recursive: true });

    const out = await launch(2, [...f, '--max-steps', '8', '-o', join(dir, 'q'), '--tp', '2', '--resume']);
    assert.match(out, /resuming from the sharded checkpoint .* \(saved by 4 ranks\) at step 4/);
    gradpath(['dist', 'merge', join(dir, 'q'), '--out', join(dir, 'q-merged.safetensors')]);
    const d2 = maxParamDiff(modelOf(join(dir, 'q-merged.safetensors')), want);
    const l2 = maxLossDiff(losses(join(dir, 'q')), wantLoss, ['val@4', 'val@8', 'batch@8']);
    gradpath([...f, '--max-steps', '8', '-o', join(dir, 'q1'), '--resume']);
    const d1 = maxParamDiff(modelOf(join(dir, 'q1', 'latest.safetensors')), want);
    const l1 = maxLossDiff(losses(join(dir, 'q1')), wantLoss, ['val@4', 'val@8', 'batch@8']);
    console.log(`# ZeRO-2 4 ranks x 4 + TP 2 ranks x 4 | 1 process x 4 vs 1 process x 8: max |param diff| ${d2.toExponential(2)} | ${d1.toExponential(2)}, max |loss diff| ${l2.toExponential(2)} | ${l1.toExponential(2)}`);
    assert.ok(d2 < PARAM_TOL && d1 < PARAM_TOL, `parameters differ by ${d2} (tp 2), ${d1} (1 process)`);
    assert.ok(l2 < LOSS_TOL && l1 < LOSS_TOL, `losses differ by ${l2} (tp 2), ${l1} (1 process)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gpt2 train --dp 2 --zero 2: 4 steps, then --resume on 2 ranks ends where one process (4 + 4 steps) ends', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-resume-gpt2-'));
  try {
    // a token shard: every rank must continue from its own rows of the global batch (the loader's saved position)
    const g = tinyGpt2Run(dir);
    gradpath([...g, '--max-steps', '4', '-o', join(dir, 'one')]);
    gradpath([...g, '--max-steps', '8', '-o', join(dir, 'one'), '--resume']);
    assert.match(await launch(2, [...g, '--max-steps', '4', '-o', join(dir, 'z'), '--dp', '2', '--zero', '2']), /process grid dp 2 x pp 1 x tp 1/);
    const out = await launch(2, [...g, '--max-steps', '8', '-o', join(dir, 'z'), '--dp', '2', '--zero', '2', '--resume']);
    assert.match(out, /resuming from the sharded checkpoint .* \(saved by 2 ranks\) at step 4/);
    gradpath(['dist', 'merge', join(dir, 'z'), '--out', join(dir, 'z-merged.safetensors')]);
    const params = (f: string) => new Map(Object.entries(loadCheckpoint(f, { kind: 'gpt2' }).model).map(([k, t]) => [k, t.data as Float32Array]));
    const d = maxParamDiff(params(join(dir, 'z-merged.safetensors')), params(join(dir, 'one', 'latest.safetensors')));
    const l = maxLossDiff(losses(join(dir, 'z')), losses(join(dir, 'one')), ['batch@5', 'batch@8', 'val@8']);
    console.log(`# gpt2 ZeRO-2 2 ranks x (4 + 4) vs 1 process x (4 + 4): max |param diff| ${d.toExponential(2)}, max |loss diff| ${l.toExponential(2)}`);
    assert.ok(d < PARAM_TOL, `parameters differ by ${d}`);
    assert.ok(l < LOSS_TOL, `losses differ by ${l}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
