/**
 * Data parallel (DDP) on 2 ranks reproduces one process with the same global batch: a tiny GPT
 * (n_layer 2, n_embd 32, block 16, vocab 65) for 10 steps of AdamW with warmup, cosine decay and
 * clipping; every step's loss and the final parameters within dataparallel-check.ts' tolerance.
 * Gradients go in 10 kB buckets (many buckets, all-reduced during backward); rank 1 starts from
 * other weights, so the broadcast from rank 0 is checked too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mpiSkip } from './mpi.js';
import { runDataParallel } from './dataparallel-check.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the DDP tests: ${skip}`);

test('DDP on 2 ranks matches one process: every step and the final parameters', { skip, timeout: 180_000 }, async () => {
  const ranks = await runDataParallel(2, ['--zero', '0']);
  const r = ranks[0].report;
  // replicas: every byte of the formula, and the gradients all-reduced once (2(N-1)/N of 4Ψ sent)
  assert.equal(r.measured.params, 4 * r.psi);
  assert.equal(r.measured.grads, 4 * r.psi);
  assert.equal(r.measured.optimizer, 8 * r.psi);
  assert.equal(r.commBytesPerStep.measured, r.commBytesPerStep.formula);
});

test('DDP with gradient accumulation (2 micro-batches; only the last communicates) matches one process', { skip, timeout: 180_000 }, async () => {
  const ranks = await runDataParallel(2, ['--zero', '0', '--accum', '2']);
  // one all-reduce of the gradients per step, not one per micro-batch
  assert.equal(ranks[0].report.commBytesPerStep.measured, ranks[0].report.commBytesPerStep.formula);
});
