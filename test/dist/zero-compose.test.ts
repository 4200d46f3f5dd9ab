/**
 * ZeRO-1/2 over the dp group beside tensor and pipeline parallelism (src/dist/compose.ts):
 *
 * - dp 2 x tp 2 and dp 2 x pp 2 with --zero 1 and 2 (4 ranks oversubscribed, rank-compose.ts with
 *   4 KB buckets, so several go during backward) reproduce one process training the same tiny GPT
 *   for 12 steps with clipping that triggers: every step's loss within 2e-5 relative, the grad
 *   norm 1e-4 relative, every final parameter (TP slices re-assembled, the last stage's tied copy
 *   against wte) within 1e-4 absolute; measured: 1.2e-7, 7.7e-8 and 2.9e-6 at most. With dp x tp,
 *   `gradpath plan`'s bytes per rank match the rank's within 10%. In the same job dp 2 x tp 2 with
 *   sequence parallel, plain DDP (its sum of the replicated gradients over tp must come after
 *   DDP's average, which writes .grad; in the other order the losses were off by 2e-3 relative)
 *   and ZeRO-1/2 (the sum over tp of ZeRO's pieces of those gradients).
 * - sharded checkpoints of these layouts (ZeRO's flat pieces of TP slices and of stage
 *   parameters): `chargpt --dp 2 --tp 2 --zero 1` and `--dp 2 --pp 2 --zero 1` stop after 4 steps,
 *   continue to 8 on one process (and the pp one as dp 2 x tp 2 --zero 2), and a one-process run
 *   continues as dp 2 x pp 2 --zero 2; each ends where one process training 8 steps ends
 *   (resume-helpers.ts's tolerances: parameters 5e-5, losses 1e-5 absolute; measured printed), and
 *   the best.safetensors the ZeRO runs gather at step 4 is one process's.
 * - without MPI: a piece that is a flat range of a slice cuts and places as the slice's elements
 *   in order; the plan's formulas for ZeRO beside tp and pp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mpiSkip, runLaunch, script } from './mpi.js';
import { LOSS_TOL, PARAM_TOL, flags, gradpath, launch, losses, maxLossDiff, maxParamDiff, modelOf, straightRuns, textFile } from './resume-helpers.js';
import { readShardIndex, type ShardIndex } from '../../src/io/sharded.js';
import { cutPiece, placePiece } from '../../src/dist/checkpoint-pieces.js';
import { commPerStep, layoutsThatFit, memoryPerRank, type Layout, type Workload } from '../../src/dist/plan.js';
import { parsePlanModel, rankParams } from '../../src/dist/plan-model.js';
import type { ShardSpec } from '../../src/dist/shard-spec.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the ZeRO beside tp / pp runs: ${skip}`);

test('a flat range of a tensor-parallel slice (ZeRO over a tp rank\'s dp group) cuts and places the slice\'s elements in order', () => {
  // c_attn-like: (3C, C) viewed as (3, C, C), this rank's heads are rows [2, 4) of each of q, k, v (C = 4)
  const C = 4, global = Float32Array.from({ length: 3 * C * C }, (_, i) => i);
  const slice: ShardSpec = { name: 'w', shape: [3 * C, C], view: [3, C, C], slice: { dim: 1, start: 2, length: 2 } };
  const whole = cutPiece(global, slice); // (3, 2, C) = 24 values
  for (const [start, length] of [[0, 24], [0, 1], [5, 9], [7, 17], [23, 1], [3, 0]]) {
    const spec = { ...slice, flat: { start, length } };
    assert.deepEqual([...cutPiece(global, spec)], [...whole.subarray(start, start + length)], `flat ${start}+${length}`);
  }
  // two dp ranks' pieces of the slice (13 + 11) place back exactly the slice
  const out = new Float32Array(global.length), covered = new Uint8Array(global.length);
  for (const [start, length] of [[0, 13], [13, 11]]) placePiece(out, covered, { ...slice, flat: { start, length } }, whole.subarray(start, start + length));
  assert.deepEqual([...cutPiece(out, slice)], [...whole]);
  assert.equal(covered.reduce((a, b) => a + b, 0), 24);
  assert.throws(() => cutPiece(global, { ...slice, flat: { start: 20, length: 5 } }), /flat range .* is outside the slice/);
});

test('plan: ZeRO beside tp shards the tp slice over dp; beside pp ZeRO-2 keeps full gradients; --memory lists no ZeRO-3 beside tp or pp', () => {
  const m = parsePlanModel('gpt2', 1024);
  const work: Workload = { microBatch: 4, seqLen: 1024, accum: 8, dtype: 'fp32', ppSchedule: '1f1b' };
  const layout = (o: Partial<Layout>): Layout => ({ dp: 1, tp: 1, pp: 1, zero: 0, recompute: 'none', sp: false, ...o });
  const slice = rankParams(m, 2, 1, 0);
  const tp = memoryPerRank(m, work, layout({ dp: 4, tp: 2, zero: 2 }));
  assert.deepEqual([tp.params, tp.paramBytes, tp.gradBytes, tp.optimizerBytes], [slice, 4 * slice, slice, 2 * slice]);
  assert.equal(commPerStep(m, work, layout({ dp: 4, tp: 2, zero: 2 })).dpBytes, 9 * (3 / 4) * 4 * slice);
  const stage = Math.max(rankParams(m, 1, 2, 0), rankParams(m, 1, 2, 1));
  for (const zero of [1, 2] as const) {
    const pp = memoryPerRank(m, work, layout({ dp: 4, pp: 2, zero }));
    assert.deepEqual([pp.paramBytes, pp.gradBytes, pp.optimizerBytes], [4 * stage, 4 * stage, 2 * stage], `ZeRO-${zero} beside pp`);
    assert.equal(commPerStep(m, work, layout({ dp: 4, pp: 2, zero })).dpBytes, 2 * (3 / 4) * 4 * stage);
  }
  const fits = layoutsThatFit(m, { ...work, accum: 1 }, 8, 1e12);
  assert.ok(fits.some((p) => p.layout.zero === 3) && fits.some((p) => p.layout.zero === 2 && p.layout.tp > 1));
  assert.ok(!fits.some((p) => p.layout.zero === 3 && (p.layout.tp > 1 || p.layout.pp > 1)), 'ZeRO-3 beside tp or pp listed');
  // the command plans ZeRO-3 beside tp by the formulas, saying gradpath does not run it
  const plan = (...a: string[]) => gradpath(['plan', '--model', 'gpt2', '--gpus', '4', '--dp', '2', ...a]);
  assert.match(plan('--tp', '2', '--zero', '3'), /\(the formulas only: gradpath trains ZeRO-3 over dp alone; with --tp or --pp it runs --zero 1 or 2\)/);
  assert.doesNotMatch(plan('--pp', '2', '--zero', '2'), /formulas only/);
});

test('dp 2 x tp 2 and dp 2 x pp 2 with ZeRO-1 and ZeRO-2, dp 2 x tp 2 with sequence parallel (DDP, ZeRO-1, ZeRO-2), on 4 ranks reproduce one process: 12 steps of losses, grad norms (clipped) and the final parameters', { skip, timeout: 180_000 }, async () => {
  const modes = ['dp-tp-zero1', 'dp-tp-zero2', 'dp-pp-zero1', 'dp-pp-zero2', 'dp-tp-sp', 'dp-tp-sp-zero1', 'dp-tp-sp-zero2'];
  const r = await runLaunch(['-n', '4', '--', script('rank-compose.js'), ...modes], {}, 170);
  assert.equal(r.code, 0, `the job failed:\n${r.stdout}\n${r.stderr}`);
  for (const mode of modes) {
    for (let rank = 0; rank < 4; rank++) assert.match(r.stdout, new RegExp(`^rank ${rank}: ${mode} ok`, 'm'), r.stdout + r.stderr);
  }
  console.log(r.stdout.split('\n').filter((l) => /^rank 0: /.test(l)).map((l) => `# ${l}`).join('\n'));
  console.log(`# 4-rank job: ${r.seconds.toFixed(1)} s`);
});

test('sharded checkpoints of ZeRO beside tp and pp: dp2 x tp2 and dp2 x pp2 --zero 1 resume on one process (and as dp2 x tp2 --zero 2), one process resumes as dp2 x pp2 --zero 2; all match 8 steps on one process', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-zero-compose-'));
  try {
    const f = flags(textFile(dir));
    const { want, wantLoss } = straightRuns(dir, f);
    const at = ['val@4', 'val@8', 'batch@8'], results: string[] = [];
    const check = (label: string, model: string, run: string) => {
      const d = maxParamDiff(modelOf(model), want), l = maxLossDiff(losses(run), wantLoss, at);
      results.push(`${label} ${d.toExponential(2)} / ${l.toExponential(2)}`);
      assert.ok(d < PARAM_TOL, `${label}: parameters differ by ${d}`);
      assert.ok(l < LOSS_TOL, `${label}: losses differ by ${l}`);
    };
    const merged = (run: string) => {
      const out = join(dir, `${run}-merged.safetensors`);
      gradpath(['dist', 'merge', join(dir, run), '--out', out]);
      return out;
    };

    // dp 2 x tp 2, ZeRO-1: every dp rank saves its flat pieces of its tp slices
    await launch(4, [...f, '--max-steps', '4', '-o', join(dir, 'dt'), '--dp', '2', '--tp', '2', '--zero', '1']);
    const dt = readShardIndex(join(dir, 'dt')) as ShardIndex<ShardSpec>;
    assert.deepEqual([dt.step, dt.world, dt.layout.dp, dt.layout.tp, dt.layout.zero], [4, 4, 2, 2, 1]);
    assert.ok(dt.files.every((x) => x.pieces.some((p) => p.slice && p.flat)), 'a rank saved no flat piece of a slice');
    const best = (run: string) => maxParamDiff(modelOf(join(dir, run, 'best.safetensors')), modelOf(join(dir, 'four', 'best.safetensors')));
    assert.ok(best('dt') < PARAM_TOL, `best.safetensors gathered from the pieces differs by ${best('dt')}`);
    const out = gradpath([...f, '--max-steps', '8', '-o', join(dir, 'dt'), '--resume']);
    assert.match(out, /resuming from the sharded checkpoint .* \(saved by 4 ranks\) at step 4/);
    check('dp2 x tp2 ZeRO-1 -> 1 process', join(dir, 'dt', 'latest.safetensors'), join(dir, 'dt'));

    // dp 2 x pp 2, ZeRO-1: the last stage's tied copy is not saved (stage 0's wte is)
    await launch(4, [...f, '--max-steps', '4', '-o', join(dir, 'dp'), '--dp', '2', '--pp', '2', '--micro-batches', '2', '--zero', '1']);
    const dp = readShardIndex(join(dir, 'dp'));
    assert.deepEqual([dp.layout.dp, dp.layout.pp, dp.layout.zero], [2, 2, 1]);
    assert.ok(!dp.files.some((x) => x.pieces.some((p) => p.name.endsWith('lm_head.weight'))), 'the tied head copy was saved');
    assert.ok(maxParamDiff(modelOf(merged('dp')), modelOf(join(dir, 'four', 'latest.safetensors'))) < PARAM_TOL, 'merged at step 4');
    assert.ok(best('dp') < PARAM_TOL, `best.safetensors gathered from the stages' pieces differs by ${best('dp')}`);
    cpSync(join(dir, 'dp'), join(dir, 'dp-tp'), { recursive: true });
    gradpath([...f, '--max-steps', '8', '-o', join(dir, 'dp'), '--resume']);
    check('dp2 x pp2 ZeRO-1 -> 1 process', join(dir, 'dp', 'latest.safetensors'), join(dir, 'dp'));
    await launch(4, [...f, '--max-steps', '8', '-o', join(dir, 'dp-tp'), '--dp', '2', '--tp', '2', '--zero', '2', '--resume']);
    check('dp2 x pp2 ZeRO-1 -> dp2 x tp2 ZeRO-2', merged('dp-tp'), join(dir, 'dp-tp'));

    // one process's latest.safetensors continues as dp 2 x pp 2, ZeRO-2
    const up = await launch(4, [...f, '--max-steps', '8', '-o', join(dir, 'four'), '--dp', '2', '--pp', '2', '--micro-batches', '2', '--zero', '2', '--resume']);
    assert.match(up, /resuming from .*latest\.safetensors at step 4/);
    check('1 process -> dp2 x pp2 ZeRO-2', merged('four'), join(dir, 'four'));
    console.log(`# vs 1 process x 8 steps, max |param diff| / |loss diff|: ${results.join('; ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
