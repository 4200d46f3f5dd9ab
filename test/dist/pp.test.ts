/**
 * Pipeline parallel reproduces one process: a tiny GPT (3 layers, n_embd 32, block 16, vocab 65,
 * tied head) trained 12 steps with GPipe and with 1F1B on 2 ranks, and with 1F1B on 3 ranks (a
 * middle stage, and the first and last stage's own group for the tied weight); every step's loss
 * within 2e-5 and grad norm within 1e-4 relative, final parameters within 5e-5, a pipelined
 * evaluation within 2e-5, and the activations held at once: 1F1B p - s micro-batches on stage s,
 * GPipe all m. The checks run on the ranks (rank-pp.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, mpiSkip, runLaunch, script } from './mpi.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the pipeline-parallel tests: ${skip}`);

async function expectReproduced(ranks: number, schedule: string, m: number): Promise<void> {
  const r = await runLaunch(['-n', String(ranks), '--', script('rank-pp.js'), schedule, String(m)]);
  assert.equal(r.code, 0, `the job failed:\n${r.stdout}\n${r.stderr}`);
  for (let rank = 0; rank < ranks; rank++) {
    assert.match(r.stdout, new RegExp(`^rank ${rank}: pp ${schedule} stage ${rank}/${ranks} .* reproduced 12 steps`, 'm'), r.stdout + r.stderr);
  }
}

test('GPipe on 2 stages (4 micro-batches) reproduces one process', { skip, timeout: 120_000 }, () => expectReproduced(2, 'gpipe', 4));

test('1F1B on 2 stages (4 micro-batches) reproduces one process', { skip, timeout: 120_000 }, () => expectReproduced(2, '1f1b', 4));

test('1F1B on 3 stages (8 micro-batches), oversubscribed, reproduces one process', { skip, timeout: 120_000 }, () => expectReproduced(3, '1f1b', 8));

/** A small generated text (no data files in unit tests): a few thousand characters of words. */
function tinyText(dir: string): string {
  const words = ['the', 'king', 'and', 'queen', 'of', 'a', 'castle', 'spoke', 'with', 'ROMEO:', 'JULIET:', 'night'];
  let x = 12345, text = '';
  while (text.length < 6000) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    text += words[x % words.length] + (x % 7 === 0 ? '\n' : ' ');
  }
  const path = join(dir, 'tiny.txt');
  writeFileSync(path, text);
  return path;
}

const TINY = ['--n-layer', '2', '--n-head', '2', '--n-embd', '32', '--block-size', '16', '--batch-size', '4', '--max-steps', '4', '--eval-every', '2', '--eval-iters', '1', '--num-samples', '0', '--quiet'];
const events = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);

test('gradpath launch -n 2 -- chargpt --pp 2 trains as one process does; rank 0 writes metrics with the bubble; a sharded latest, a gathered best', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-pp-'));
  try {
    const input = tinyText(dir);
    const one = spawnSync(process.execPath, [BIN, 'chargpt', ...TINY, '-i', input, '-o', join(dir, 'one')], { encoding: 'utf8' });
    assert.equal(one.status, 0, one.stderr);
    const r = await runLaunch(['-n', '2', '--', 'chargpt', ...TINY, '--pp', '2', '--pp-schedule', 'gpipe', '--micro-batches', '2', '-i', input, '-o', join(dir, 'pp')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /\[rank 0\] pipeline gpipe, 2 stages x 2 micro-batches: bubble 0\.\d+ measured .*, 0\.333 by \(p-1\)\/\(m\+p-1\)/);
    assert.doesNotMatch(r.stdout + r.stderr, /\[rank 1\]/, 'only rank 0 prints');
    const a = events(join(dir, 'one')), b = events(join(dir, 'pp'));
    assert.equal(b.length, a.length);
    a.forEach((e, i) => {
      assert.equal(b[i].split, e.split);
      assert.ok(Math.abs((b[i].loss as number) - (e.loss as number)) < 2e-5, `step ${e.step} ${e.split}: ${b[i].loss} vs ${e.loss}`);
    });
    const batch = b.find((e) => e.split === 'batch')!;
    assert.ok((batch.bubble as number) > 0 && (batch.bubble as number) < 1, `bubble ${batch.bubble}`);
    assert.equal(batch.bubble_formula, 1 / 3);
    assert.ok(!existsSync(join(dir, 'pp', 'latest.safetensors')) && existsSync(join(dir, 'pp', 'latest.index.json')), 'the stages write a sharded latest');
    const [bestOne, bestPp] = ['one', 'pp'].map((d) => loadCheckpoint(join(dir, d, 'best.safetensors'), { kind: 'chargpt' }));
    assert.deepEqual([bestPp.step, Object.keys(bestPp.model).sort()], [bestOne.step, Object.keys(bestOne.model).sort()], 'best.safetensors: the whole model, gathered');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chargpt --pp: outside an MPI job, too many stages, micro-batches that do not divide the batch: one line each', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-pp-'));
  try {
    const input = tinyText(dir);
    const refused = (args: string[], line: string) => {
      const r = spawnSync(process.execPath, [BIN, 'chargpt', ...args, '-i', input, '-o', join(dir, 'run')], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim(), line);
      assert.ok(!existsSync(join(dir, 'run')), 'nothing left behind');
    };
    refused(['--pp', '2'], '--pp 2 runs one process per stage: start it with `gradpath launch -n 2 -- <command> --pp 2 ...`');
    refused(['--pp', '5'], "--pp 5 is more pipeline stages than the model's 4 layers; use --pp 4 or fewer (or more --n-layer)");
    refused(['--pp', '2', '--micro-batches', '5'], '--micro-batches 5 does not divide --batch-size 12; pick a divisor of 12 (or another --batch-size)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
