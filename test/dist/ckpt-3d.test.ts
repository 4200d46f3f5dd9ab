/**
 * Sharded checkpoints of composed layouts (dist/pipeline-checkpoint.ts with tensor parallel's
 * placement): a `chargpt --tp 2 --pp 2` run (4 ranks, oversubscribed) saves after 4 steps; the one
 * checkpoint, copied, continues to 8 on one process, as tp 2 x pp 2 again and as dp 2 x tp 2; each
 * ends where one process training 8 steps straight ends. `gradpath dist merge` of the tp 2 x pp 2
 * checkpoint, and its gathered best.safetensors, are one process's model after 4 steps.
 *
 * And pipelines with dropout: a stage draws its masks from a stream of its own, saved in every
 * rank's shard, so `--pp 2 --dropout 0.2` stopped at 4 and resumed as pp 2 logs exactly (bit for bit:
 * the same layout does the same arithmetic) what 8 steps straight log.
 *
 * Tolerance: resume-helpers.ts's (5e-5 on parameters, 1e-5 on losses): float32 sums in another
 * order (cut matmuls, micro-batches, replicas' halves); the measured differences are printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mpiSkip } from './mpi.js';
import { LOSS_TOL, PARAM_TOL, flags, gradpath, launch, losses, maxLossDiff, maxParamDiff, modelOf, textFile } from './resume-helpers.js';
import { readShardIndex } from '../../src/io/sharded.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the tp x pp checkpoint runs: ${skip}`);

const AT = ['val@4', 'val@8', 'batch@8'];

test('chargpt --tp 2 --pp 2: 4 steps resume on 1 process, as tp 2 x pp 2 and as dp 2 x tp 2; merge and best are one process\'s', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-ckpt-3d-'));
  try {
    const f = flags(textFile(dir));
    const tpPp = ['--tp', '2', '--pp', '2', '--micro-batches', '2'];
    gradpath([...f, '--max-steps', '4', '-o', join(dir, 'four')]);
    gradpath([...f, '--max-steps', '8', '-o', join(dir, 'one')]);
    const want = modelOf(join(dir, 'one', 'latest.safetensors')), wantLoss = losses(join(dir, 'one'));

    const start = await launch(4, [...f, '--max-steps', '4', '-o', join(dir, 'q'), ...tpPp]);
    assert.match(start, /process grid dp 1 x pp 2 x tp 2/);
    const index = readShardIndex(join(dir, 'q'));
    assert.deepEqual([index.step, index.world, index.layout.dp, index.layout.tp, index.layout.pp], [4, 4, 1, 2, 2]);
    // the tied head is saved once (as wte.weight, by the first stage's two tp ranks, a vocabulary half each)
    assert.ok(!index.files.some((x) => x.pieces.some((p) => p.name.endsWith('lm_head.weight'))), 'the tied head copy was saved');
    assert.deepEqual(index.files.map((x) => x.pieces.filter((p) => p.name === 'wte.weight').length), [1, 1, 0, 0]);
    gradpath(['dist', 'merge', join(dir, 'q'), '--out', join(dir, 'q-merged.safetensors')]);
    const four = modelOf(join(dir, 'four', 'latest.safetensors'));
    const dm = maxParamDiff(modelOf(join(dir, 'q-merged.safetensors')), four);
    // best.safetensors, gathered from the 4 ranks' pieces at the step-4 evaluation
    const [bestOne, bestQ] = ['four', 'q'].map((d) => loadCheckpoint(join(dir, d, 'best.safetensors'), { kind: 'chargpt' }));
    assert.equal(bestQ.step, bestOne.step);
    const db = maxParamDiff(new Map(Object.entries(bestQ.model).map(([k, t]) => [k, t.data as Float32Array])), four);
    for (const copy of ['q1', 'q22', 'qdt']) cpSync(join(dir, 'q'), join(dir, copy), { recursive: true });

    const one = gradpath([...f, '--max-steps', '8', '-o', join(dir, 'q1'), '--resume']);
    assert.match(one, /resuming from the sharded checkpoint .* \(saved by 4 ranks\) at step 4/);
    const d1 = maxParamDiff(modelOf(join(dir, 'q1', 'latest.safetensors')), want);
    const l1 = maxLossDiff(losses(join(dir, 'q1')), wantLoss, AT);

    const resumed = async (name: string, mode: string[]) => {
      const out = await launch(4, [...f, '--max-steps', '8', '-o', join(dir, name), ...mode, '--resume']);
      assert.match(out, /resuming from the sharded checkpoint .* \(saved by 4 ranks\) at step 4/);
      gradpath(['dist', 'merge', join(dir, name), '--out', join(dir, `${name}-merged.safetensors`)]);
      return [maxParamDiff(modelOf(join(dir, `${name}-merged.safetensors`)), want), maxLossDiff(losses(join(dir, name)), wantLoss, AT)];
    };
    const [d22, l22] = await resumed('q22', tpPp);
    const [ddt, ldt] = await resumed('qdt', ['--dp', '2', '--tp', '2']);
    assert.deepEqual(readShardIndex(join(dir, 'qdt')).layout, { dp: 2, pp: 1, tp: 2, zero: 0 });

    console.log(`# tp 2 x pp 2 x 4 steps vs 1 process x 4, max |param diff|: merged ${dm.toExponential(2)}, best.safetensors ${db.toExponential(2)}`);
    console.log(`# vs 1 process x 8, max |param diff| / |loss diff|: +1 process ${d1.toExponential(2)} / ${l1.toExponential(2)}, +tp2xpp2 ${d22.toExponential(2)} / ${l22.toExponential(2)}, +dp2xtp2 ${ddt.toExponential(2)} / ${ldt.toExponential(2)}`);
    assert.ok(Math.max(dm, db, d1, d22, ddt) < PARAM_TOL, `parameters differ by ${dm} (merged at 4), ${db} (best at 4), ${d1} (-> 1 process), ${d22} (-> tp2 x pp2), ${ddt} (-> dp2 x tp2)`);
    assert.ok(Math.max(l1, l22, ldt) < LOSS_TOL, `losses differ by ${l1} (-> 1 process), ${l22} (-> tp2 x pp2), ${ldt} (-> dp2 x tp2)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chargpt --pp 2 --dropout 0.2: 4 steps, then --resume as pp 2, logs exactly what 8 steps straight log', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-ckpt-pp-dropout-'));
  try {
    const f = [...flags(textFile(dir)), '--dropout', '0.2', '--pp', '2'];
    await launch(2, [...f, '--max-steps', '8', '-o', join(dir, 'straight')]);
    await launch(2, [...f, '--max-steps', '4', '-o', join(dir, 'r')]);
    // every rank's shard holds its stage's mask stream
    const shards = readShardIndex(join(dir, 'r')).files.length;
    assert.equal(shards, 2);
    await launch(2, [...f, '--max-steps', '8', '-o', join(dir, 'r'), '--resume']);
    for (const d of ['straight', 'r']) gradpath(['dist', 'merge', join(dir, d), '--out', join(dir, `${d}.safetensors`)]);
    const dp = maxParamDiff(modelOf(join(dir, 'r.safetensors')), modelOf(join(dir, 'straight.safetensors')));
    const got = losses(join(dir, 'r')), want = losses(join(dir, 'straight'));
    const at = [...want.keys()].filter((k) => Number(k.split('@')[1]) > 4);
    assert.ok(at.length >= 2, `too few losses logged after step 4: ${at.join(', ')}`);
    const dl = maxLossDiff(got, want, at);
    console.log(`# pp 2 with dropout 0.2, 4 + 4 steps vs 8 straight: max |loss diff| ${dl} (${at.join(', ')}), max |param diff| ${dp}`);
    assert.equal(dl, 0, `the resumed run's losses differ by ${dl}: the stages' dropout masks did not continue`);
    assert.equal(dp, 0, `the resumed run's parameters differ by ${dp}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
