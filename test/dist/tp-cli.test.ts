/**
 * `gradpath launch -n 2 -- chargpt --tp 2 --sequence-parallel` against the same chargpt on one
 * process: the same evaluations (train and val loss at steps 5 and 10, 4 decimals as logged, and
 * within 1e-5 in metrics.jsonl) and the same sample text from the re-assembled model; only rank 0
 * prints and writes; under TP latest is a sharded checkpoint and best.safetensors the model gathered
 * to rank 0, equal to the single process's. And the flags' mistakes, each one clear line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, mpiSkip, runLaunch } from './mpi.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the tensor-parallel chargpt job: ${skip}`);

function gradpath(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const evaluations = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.split !== 'batch');

test('chargpt --tp 2 --sequence-parallel under gradpath launch matches chargpt on one process', { skip, timeout: 150_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-tp-'));
  try {
    const text = Array.from({ length: 3000 }, (_, i) => 'the quick brown fox, jumps over lazy dogs!\n'[(i * 7) % 44]).join('');
    writeFileSync(join(dir, 'text.txt'), text.repeat(4));
    const args = (out: string) => ['chargpt', '-i', join(dir, 'text.txt'), '-o', join(dir, out), '--n-layer', '2', '--n-head', '2', '--n-embd', '16', '--block-size', '16',
      '--batch-size', '4', '--max-steps', '10', '--eval-every', '5', '--eval-iters', '2', '--dropout', '0.1', '--num-samples', '1', '--max-new-tokens', '30', '--quiet'];
    const one = gradpath(args('one'));
    assert.equal(one.code, 0, one.out);
    const r = await runLaunch(['-n', '2', '--', ...args('tp'), '--tp', '2', '--sequence-parallel']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /\[rank 1\]/, 'rank 1 prints nothing');
    const want = evaluations(join(dir, 'one')), got = evaluations(join(dir, 'tp'));
    assert.equal(got.length, 4);
    got.forEach((g, i) => {
      assert.deepEqual([g.step, g.split], [want[i].step, want[i].split]);
      assert.ok(Math.abs(g.loss - want[i].loss) < 1e-5, `step ${g.step} ${g.split}: ${g.loss} vs ${want[i].loss}`);
    });
    assert.equal(readFileSync(join(dir, 'tp', 'samples.txt'), 'utf8'), readFileSync(join(dir, 'one', 'samples.txt'), 'utf8'), 'the re-assembled model samples the same text');
    assert.ok(!existsSync(join(dir, 'tp', 'latest.safetensors')), 'no single-file latest from a split model');
    // best.safetensors: the model gathered to rank 0, as the single process writes it
    const [bestOne, bestTp] = ['one', 'tp'].map((d) => loadCheckpoint(join(dir, d, 'best.safetensors'), { kind: 'chargpt' }));
    assert.equal(bestTp.step, bestOne.step);
    assert.deepEqual(Object.keys(bestTp.model).sort(), Object.keys(bestOne.model).sort());
    const diff = Math.max(...Object.entries(bestOne.model).map(([k, t]) => Math.max(...Array.from(t.data as Float32Array, (v, i) => Math.abs(v - (bestTp.model[k].data as Float32Array)[i])))));
    console.log(`# best.safetensors of tp 2 vs one process: step ${bestTp.step}, max |param diff| ${diff.toExponential(2)}`);
    assert.ok(diff < 5e-5, `best.safetensors differs by ${diff}`);
    assert.ok(existsSync(join(dir, 'tp', 'latest.index.json')), 'the split model is saved as a sharded checkpoint');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tensor-parallel flags: each mistake is one clear line', () => {
  let r = gradpath(['chargpt', '--sequence-parallel', '--max-steps', '1']);
  assert.equal(r.code, 2);
  assert.match(r.out, /--sequence-parallel splits the sequence over the tensor-parallel ranks: give it with --tp N/);
  assert.doesNotMatch(r.out, /\n\s+at /, 'no stack trace');
  const env = { OMPI_COMM_WORLD_SIZE: '', PMI_SIZE: '', PMIX_RANK: '', PMI_RANK: '' };
  r = gradpath(['chargpt', '--tp', '2', '--max-steps', '1'], env);
  assert.equal(r.code, 2);
  assert.match(r.out, /--tp 2 needs 2 processes: run it as gradpath launch -n 2 -- <command>/);
});
