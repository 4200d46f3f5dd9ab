/**
 * Sharded checkpoints and step timings under MPI: 2 ranks train a tiny GPT data-parallel with a
 * sharded checkpoint every step and write timeline.svg; one process then resumes the run and
 * matches a single-process run of the same global batch. A rank killed while saving leaves the
 * last complete checkpoint loadable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, mpiSkip, runLaunch, script } from './mpi.js';
import { shardedJob } from './rank-sharded.js';
import { readShardIndex, type ShardIndex } from '../../src/io/sharded.js';
import { ShardSet } from '../../src/dist/checkpoint-pieces.js';
import type { ShardSpec } from '../../src/dist/shard-spec.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the sharded checkpoint MPI tests: ${skip}`);

const maxAbsDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((x, i) => Math.max(...x.map((v, j) => Math.abs(v - b[i][j])))));

test('2 ranks save sharded checkpoints and timeline.svg; 1 process resumes and matches one process throughout', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-sharded-mpi-')), ref = mkdtempSync(join(tmpdir(), 'gp-sharded-ref-'));
  try {
    const r = await runLaunch(['-n', '2', '--', script('rank-sharded.js')], { GRADPATH_TEST_DIR: dir, GRADPATH_TEST_STEPS: '4' }, 100);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const index = readShardIndex(dir);
    assert.deepEqual([index.step, index.world, index.layout.dp], [4, 2, 2]);
    // per-step timings in the batch events (rank 0's metrics only)
    const batches = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.split === 'batch');
    assert.equal(batches.length, 4);
    for (const e of batches) {
      assert.ok(e.compute_s > 0 && e.comm_s > 0 && e.bubble === 0, JSON.stringify(e));
    }
    const svg = readFileSync(join(dir, 'timeline.svg'), 'utf8');
    assert.match(svg, /rank 0/);
    assert.match(svg, /rank 1/);
    assert.match(svg, /grad all-reduce: [\d.]+ ms \(comm\)/);
    // one process continues to step 8 from the 2 ranks' checkpoint
    const resumed = await shardedJob({ dir, maxSteps: 8, resume: true, world: null });
    assert.equal(resumed.result.startStep, 4);
    const straight = await shardedJob({ dir: ref, maxSteps: 8, resume: false, world: null });
    const got = resumed.model.parameters().map((p) => p.values() as Float32Array);
    const want = straight.model.parameters().map((p) => p.values() as Float32Array);
    const diff = maxAbsDiff(got, want);
    console.log(`# 2 ranks x 4 steps + 1 process x 4 steps vs 1 process x 8 steps: max |param diff| = ${diff.toExponential(2)}`);
    // Adam's first steps move a parameter by about lr (1e-2) whatever its gradient's size, so an
    // element whose gradient is near zero (the size of float32 summation-order noise, which differs
    // between 2 ranks and 1) moves by a different fraction of lr: measured 3e-5 after one step, 1e-4 after 8.
    assert.ok(diff < 5e-4, `parameters differ by ${diff}`);
    const lossDiff = Math.max(...resumed.result.losses.map((l, i) => Math.abs(l - straight.result.losses[4 + i])));
    console.log(`# losses of steps 5-8: max |diff| = ${lossDiff.toExponential(2)}`);
    assert.ok(lossDiff < 1e-4, `losses differ by ${lossDiff}`);
  } finally {
    for (const d of [dir, ref]) rmSync(d, { recursive: true, force: true });
  }
});

test('1 process then 2 ranks: a single-process latest.safetensors resumes on 2 ranks', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-sharded-up-')), ref = mkdtempSync(join(tmpdir(), 'gp-sharded-ref-'));
  try {
    await shardedJob({ dir, maxSteps: 3, resume: false, world: null });
    assert.ok(existsSync(join(dir, 'latest.safetensors')));
    const r = await runLaunch(['-n', '2', '--', script('rank-sharded.js')], { GRADPATH_TEST_DIR: dir, GRADPATH_TEST_STEPS: '6', GRADPATH_TEST_RESUME: '1' }, 100);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const index = readShardIndex(dir);
    assert.deepEqual([index.step, index.world], [6, 2]);
    const straight = await shardedJob({ dir: ref, maxSteps: 6, resume: false, world: null });
    const set = new ShardSet(dir, index as ShardIndex<ShardSpec>);
    const got = straight.model.namedParameters().map(([name]) => set.global(name));
    const diff = maxAbsDiff(got, straight.model.parameters().map((p) => p.values() as Float32Array));
    console.log(`# 1 process x 3 steps + 2 ranks x 3 steps vs 1 process x 6 steps: max |param diff| = ${diff.toExponential(2)}`);
    assert.ok(diff < 5e-4, `parameters differ by ${diff}`);
  } finally {
    for (const d of [dir, ref]) rmSync(d, { recursive: true, force: true });
  }
});

test('a rank killed while saving leaves the last complete sharded checkpoint loadable', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-sharded-kill-'));
  try {
    const r = await runLaunch(['-n', '2', '--', script('rank-sharded.js')], { GRADPATH_TEST_DIR: dir, GRADPATH_TEST_STEPS: '6', GRADPATH_TEST_KILL_AT: '3' }, 100);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /rank 1 .*was killed by signal 9/);
    const index = readShardIndex(dir);
    assert.equal(index.step, 2, 'the index still names the last complete step');
    const set = new ShardSet(dir, index as ShardIndex<ShardSpec>);
    for (const name of set.shapes.keys()) set.global(name); // every tensor assembles
    assert.ok(existsSync(join(dir, index.folder)));
    const resumed = await shardedJob({ dir, maxSteps: 3, resume: true, world: null });
    assert.equal(resumed.result.startStep, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C on gradpath launch: every rank finishes the same step, saves, and the job exits 130', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-sharded-int-'));
  try {
    const env = { ...process.env, GRADPATH_TEST_DIR: dir, GRADPATH_TEST_STEPS: '100000' };
    const child = spawn(process.execPath, [BIN, 'launch', '-n', '2', '--', script('rank-sharded.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // training is under way once the first complete checkpoint is there
    for (let i = 0; i < 900 && !existsSync(join(dir, 'latest.index.json')); i++) await new Promise((res) => setTimeout(res, 100));
    child.kill('SIGINT');
    assert.equal(await closed, 130, out);
    assert.match(out, /gradpath launch: interrupted \(SIGINT\); every rank stopped after its step/);
    const stopped = Number(/stopped at step (\d+) \(interrupted\)/.exec(out)?.[1]);
    assert.ok(stopped >= 1, out);
    assert.equal(readShardIndex(dir).step, stopped, 'the checkpoint holds the step every rank stopped after');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
