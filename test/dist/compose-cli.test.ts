/**
 * The composed layouts on the commands, 4 ranks oversubscribed: `chargpt --dp 2 --tp 2` prints the
 * grid, trains 4 steps and saves a sharded checkpoint (dp rank 0's replica writes the tp pieces)
 * that one process resumes to step 8, ending where one process training 8 steps straight ends;
 * `chargpt --dp 2 --pp 2` evaluates after 4 steps as that process does; what does not compose is
 * refused in one line before any rank starts. `gpt2 train --dp 2 --tp 2` logs the losses of one process.
 *
 * Tolerances as resume-layouts.test.ts (float32 sums in another order; Adam magnifies the
 * rounding of tiny gradients): parameters 5e-5, losses 1e-5 absolute; the measured differences
 * are printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, mpiSkip, runLaunch } from './mpi.js';
import { readShardIndex } from '../../src/io/sharded.js';
import { flags, gradpath, LOSS_TOL, losses, maxLossDiff, maxParamDiff, modelOf, PARAM_TOL, textFile, tinyGpt2Run } from './resume-helpers.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the composed-layout command runs: ${skip}`);

/** A command outside any MPI job, as it exits (for what is refused). */
function refused(args: string[]) {
  const env = { ...process.env };
  for (const k of ['OMPI_COMM_WORLD_SIZE', 'OMPI_COMM_WORLD_RANK', 'PMI_SIZE', 'PMI_RANK', 'PMIX_RANK']) delete env[k];
  return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
}

test('chargpt --dp 2 --tp 2 (4 ranks) saves; --resume on 1 process ends where one process training 8 steps ends; --dp 2 --pp 2 evaluates as one process and resumes on one', { skip, timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-compose-'));
  try {
    const f = flags(textFile(dir));
    gradpath([...f, '--max-steps', '8', '-o', join(dir, 'one')]);
    const want = modelOf(join(dir, 'one', 'latest.safetensors')), wantLoss = losses(join(dir, 'one'));

    const r = await runLaunch(['-n', '4', '--', ...f, '--max-steps', '4', '-o', join(dir, 'dt'), '--dp', '2', '--tp', '2'], {}, 100);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /\[rank 0\] process grid dp 2 x pp 1 x tp 2 .*\n\[rank 0\] +dp groups: \[0 2\] \[1 3\]\n\[rank 0\] +tp groups: \[0 1\] \[2 3\]/);
    assert.doesNotMatch(r.stdout + r.stderr, /\[rank [123]\]/, 'only rank 0 prints');
    const index = readShardIndex(join(dir, 'dt'));
    assert.deepEqual([index.step, index.world, index.layout.dp, index.layout.tp, index.layout.pp], [4, 4, 2, 2, 1]);
    // a dp replica's ranks hold the same pieces: only dp rank 0's (ranks 0 and 1) write them
    const written = index.files.filter((x) => x.pieces.length > 0).map((x) => x.rank);
    assert.deepEqual(written, [0, 1]);
    assert.ok(existsSync(join(dir, 'dt', 'timeline.svg')), 'no timeline.svg');
    const l4 = maxLossDiff(losses(join(dir, 'dt')), wantLoss, ['val@4']);

    const out = gradpath([...f, '--max-steps', '8', '-o', join(dir, 'dt'), '--resume']);
    assert.match(out, /resuming from the sharded checkpoint .* \(saved by 4 ranks\) at step 4/);
    const d1 = maxParamDiff(modelOf(join(dir, 'dt', 'latest.safetensors')), want);
    const l1 = maxLossDiff(losses(join(dir, 'dt')), wantLoss, ['val@8', 'batch@8']);
    console.log(`# dp 2 x tp 2 (4 ranks) x 4 steps + 1 process x 4 vs 1 process x 8: max |param diff| ${d1.toExponential(2)}, max |loss diff| ${Math.max(l1, l4).toExponential(2)} (4-rank job ${r.seconds.toFixed(1)} s)`);
    assert.ok(d1 < PARAM_TOL, `parameters differ by ${d1}`);
    assert.ok(l1 < LOSS_TOL && l4 < LOSS_TOL, `losses differ by ${l4} (step 4), ${l1} (step 8)`);

    const p = await runLaunch(['-n', '4', '--', ...f, '--max-steps', '4', '-o', join(dir, 'dp'), '--dp', '2', '--pp', '2', '--micro-batches', '2'], {}, 100);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.match(p.stderr, /\[rank 0\] +dp groups: \[0 2\] \[1 3\]\n\[rank 0\] +pp groups: \[0 1\] \[2 3\]/);
    const lp = maxLossDiff(losses(join(dir, 'dp')), wantLoss, ['val@4']);
    // the stages of dp rank 0's replica (ranks 0 and 1) write the sharded checkpoint; it resumes on 1 process
    const pIndex = readShardIndex(join(dir, 'dp'));
    assert.deepEqual([pIndex.step, pIndex.layout.dp, pIndex.layout.pp], [4, 2, 2]);
    assert.deepEqual(pIndex.files.filter((x) => x.pieces.length > 0).map((x) => x.rank), [0, 1]);
    gradpath([...f, '--max-steps', '8', '-o', join(dir, 'dp'), '--resume']);
    const dpp = maxParamDiff(modelOf(join(dir, 'dp', 'latest.safetensors')), want);
    console.log(`# dp 2 x pp 2 (4 ranks) x 4 steps vs 1 process: |val loss diff| at step 4 ${lp.toExponential(2)}; resumed on 1 process to step 8: max |param diff| ${dpp.toExponential(2)} (4-rank job ${p.seconds.toFixed(1)} s)`);
    assert.ok(lp < LOSS_TOL, `val loss differs by ${lp}`);
    assert.ok(dpp < PARAM_TOL, `parameters differ by ${dpp}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gpt2 train --dp 2 --tp 2 (4 ranks) logs the losses one process logs, each dp replica reading its own rows of the token shard', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-compose-gpt2-'));
  try {
    const g = [...tinyGpt2Run(dir), '--max-steps', '4'];
    gradpath([...g, '-o', join(dir, 'one')]);
    const r = await runLaunch(['-n', '4', '--', ...g, '-o', join(dir, 'dt'), '--dp', '2', '--tp', '2'], {}, 100);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /\[rank 0\] process grid dp 2 x pp 1 x tp 2/);
    assert.deepEqual([readShardIndex(join(dir, 'dt')).layout.dp, readShardIndex(join(dir, 'dt')).layout.tp], [2, 2]);
    const at = ['batch@1', 'batch@2', 'batch@3', 'batch@4', 'val@4'];
    const l = maxLossDiff(losses(join(dir, 'dt')), losses(join(dir, 'one')), at);
    console.log(`# gpt2 train dp 2 x tp 2 (4 ranks) vs 1 process, 4 steps: max |loss diff| ${l.toExponential(2)} (4-rank job ${r.seconds.toFixed(1)} s)`);
    assert.ok(l < LOSS_TOL, `losses differ by ${l}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('what does not compose is refused in one line before MPI starts (--sequence-parallel with --pp, --zero 3 with --tp or --pp, --zero without --dp), and a combination outside an MPI job names its ranks', () => {
  const refusals = [
    [['--tp', '2', '--pp', '2', '--sequence-parallel'], /--sequence-parallel with --pp 2: a pipeline sends whole sequences/],
    [['--dp', '2', '--tp', '2', '--zero', '3'], /^--zero 3 with --tp 2: ZeRO-3's per-layer gathers are not wired into tensor-parallel layers or pipeline stages; use --zero 1 or 2/],
    [['--dp', '2', '--pp', '2', '--zero', '3'], /^--zero 3 with --pp 2: /],
    [['--zero', '1'], /^--zero 1 shards over the data-parallel ranks, and there is one: add --dp N with N >= 2/],
  ] as const;
  for (const [extra, what] of refusals) {
    const r = refused(['chargpt', '--max-steps', '1', ...extra]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, what);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const r = refused(['chargpt', '--max-steps', '1', '--dp', '2', '--tp', '2']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /^--dp 2 --tp 2 needs an MPI job of dp x pp x tp = 4 ranks; launch 4 ranks: `gradpath launch -n 4 -- /);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
