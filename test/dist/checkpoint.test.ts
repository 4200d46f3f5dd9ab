/**
 * Sharded checkpoints without MPI: the format and the assemble/cut logic are pure, so layouts of
 * several ranks are simulated in one process: a set saved by 4 ranks (dp2 x tp2 with ZeRO-like
 * flat optimizer shards) loads on 2 ranks (other pieces) and on 1; a missing shard leaves the
 * previous step loadable; the training loop saves and resumes through them bit for bit; merge
 * writes one checkpoint the ordinary loader reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cutPiece, placePiece, ShardSet, type ShardPiece } from '../../src/dist/checkpoint-pieces.js';
import { ShardedCheckpoint, replicaState } from '../../src/dist/checkpoint.js';
import { mergeShards } from '../../src/dist/checkpoint-merge.js';
import type { ShardSpec } from '../../src/dist/shard-spec.js';
import { readShardIndex, shardFileName, stepFolder, writeShardFile, writeShardIndex, type ShardIndex } from '../../src/io/sharded.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { RunDir } from '../../src/io/rundir.js';
import { GPT } from '../../src/models/gpt.js';
import { AdamW } from '../../src/optim/adam.js';
import { tensor } from '../../src/engine/ops/create.js';
import { Generator } from '../../src/util/random.js';
import { trainLoop } from '../../src/train/loop.js';
import { BIN } from './mpi.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'gp-sharded-'));
const ramp = (n: number, offset: number) => Float32Array.from({ length: n }, (_, i) => offset + i * 0.5);

/** Global tensors of a made-up model: a column-parallel weight (6, 4), a row-parallel one (4, 6), a bias (5). */
const GLOBAL: Record<string, { shape: number[]; data: Float32Array }> = {
  'h.0.mlp.c_fc.weight': { shape: [6, 4], data: ramp(24, 1) },
  'h.0.mlp.c_proj.weight': { shape: [4, 6], data: ramp(24, 100) },
  'ln_f.bias': { shape: [5], data: ramp(5, -3) },
  'exp_avg.h.0.mlp.c_fc.weight': { shape: [6, 4], data: ramp(24, 1000) },
};

/** Rank r of dp2 x tp2 (r = dp * 2 + tp): tp slices, the bias whole on dp rank 0 only, the moments' tp slice split flat over dp. */
function dp2tp2Specs(r: number): ShardSpec[] {
  const dp = Math.floor(r / 2), tp = r % 2;
  const specs: ShardSpec[] = [
    { name: 'h.0.mlp.c_fc.weight', shape: [6, 4], slice: { dim: 0, start: tp * 3, length: 3 } },
    { name: 'h.0.mlp.c_proj.weight', shape: [4, 6], slice: { dim: 1, start: tp * 3, length: 3 } },
  ];
  if (dp === 0) specs.push({ name: 'ln_f.bias', shape: [5] });
  // the moment of the column-parallel weight: this tp slice is rows tp*3..tp*3+3 = elements tp*12.. of 24; dp halves it
  specs.push({ name: 'exp_avg.h.0.mlp.c_fc.weight', shape: [6, 4], flat: { start: tp * 12 + dp * 6, length: 6 } });
  return specs;
}

function writeLayout(dir: string, step: number, world: number, specsOf: (r: number) => ShardSpec[]): ShardIndex {
  for (let r = 0; r < world; r++) {
    const specs = specsOf(r);
    writeShardFile(join(dir, stepFolder(step), shardFileName(r, world)), { rank: r, world, step, rng: [r, 7], pieces: specs }, specs.map((s) => cutPiece(GLOBAL[s.name].data, s)));
  }
  return writeShardIndex(dir, { layout: { dp: 2, tp: 2, pp: 1, zero: 1 }, kind: 'toy', config: {}, extra: { best: 1.5 }, optimizerStep: step }, step, world);
}

test('sharded: cut and assemble slices along any dim and flat ranges', () => {
  const x = ramp(24, 0); // (2, 3, 4)
  const spec: ShardSpec = { name: 'x', shape: [2, 3, 4], slice: { dim: 1, start: 1, length: 2 } };
  assert.deepEqual(Array.from(cutPiece(x, spec)), [4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23].map((i) => i * 0.5));
  assert.deepEqual(Array.from(cutPiece(x, { name: 'x', shape: [2, 3, 4], flat: { start: 5, length: 3 } })), [2.5, 3, 3.5]);
  assert.throws(() => cutPiece(x, { name: 'x', shape: [2, 3, 4], slice: { dim: 1, start: 2, length: 2 } }), /outside the tensor/);
  // tensor parallel's c_attn: (3C, C) viewed as (3, C, C), rows [C/2, C) of each of q, k, v (here C = 2)
  const qkv = ramp(12, 0); // (6, 2)
  const half: ShardSpec = { name: 'c_attn', shape: [6, 2], view: [3, 2, 2], slice: { dim: 1, start: 1, length: 1 } };
  assert.deepEqual(Array.from(cutPiece(qkv, half)), [2, 3, 6, 7, 10, 11].map((i) => i * 0.5));
  const back = new Float32Array(12), covered = new Uint8Array(12);
  placePiece(back, covered, half, cutPiece(qkv, half));
  placePiece(back, covered, { ...half, slice: { dim: 1, start: 0, length: 1 } }, cutPiece(qkv, { ...half, slice: { dim: 1, start: 0, length: 1 } }));
  assert.deepEqual(back, qkv);
  assert.throws(() => cutPiece(qkv, { ...half, slice: { dim: 1, start: 2, length: 1 } }), /outside the tensor/);
});

test('sharded: a set saved by 4 ranks (dp2 x tp2) loads on 2 ranks in another layout and on 1', () => {
  const dir = tmp();
  try {
    writeLayout(dir, 3, 4, dp2tp2Specs);
    const index = readShardIndex(dir);
    assert.equal(index.step, 3);
    assert.equal(index.files.length, 4);
    const set = new ShardSet(dir, index as ShardIndex<ShardSpec>);
    // 1 rank: every tensor whole
    for (const [name, t] of Object.entries(GLOBAL)) assert.deepEqual(set.read({ name, shape: t.shape }), t.data, name);
    // 2 ranks as tp2 with the other split (c_fc by columns) and ZeRO-style flat halves of everything
    for (let r = 0; r < 2; r++) {
      const a: ShardSpec = { name: 'h.0.mlp.c_fc.weight', shape: [6, 4], slice: { dim: 1, start: r * 2, length: 2 } };
      assert.deepEqual(set.read(a), cutPiece(GLOBAL[a.name].data, a));
      const b: ShardSpec = { name: 'exp_avg.h.0.mlp.c_fc.weight', shape: [6, 4], flat: { start: r * 12, length: 12 } };
      assert.deepEqual(set.read(b), GLOBAL[b.name].data.subarray(r * 12, r * 12 + 12));
    }
    assert.deepEqual(set.rng(2), [2, 7]);
    assert.throws(() => set.read({ name: 'ln_f.bias', shape: [6] }), /is \[5\] in the checkpoint but \[6\] now/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sharded: a save that never completed leaves the index on the last complete step', () => {
  const dir = tmp();
  try {
    writeLayout(dir, 1, 4, dp2tp2Specs);
    writeLayout(dir, 2, 4, dp2tp2Specs);
    assert.deepEqual(readdirSync(join(dir, 'shards')), ['step-000002'], 'older steps are removed once the new index is in place');
    // step 3: ranks 0, 1 and 3 wrote their shards; rank 2 was killed before it wrote its own
    for (const r of [0, 1, 3]) {
      const specs = dp2tp2Specs(r);
      writeShardFile(join(dir, stepFolder(3), shardFileName(r, 4)), { rank: r, world: 4, step: 3, pieces: specs }, specs.map((s) => cutPiece(GLOBAL[s.name].data, s)));
    }
    assert.throws(() => writeShardIndex(dir, { layout: {}, kind: 'toy', config: {}, extra: {} }, 3, 4), /rank2-of-4\.safetensors is missing; the checkpoint is incomplete/);
    const index = readShardIndex(dir);
    assert.equal(index.step, 2);
    const set = new ShardSet(dir, index as ShardIndex<ShardSpec>);
    for (const [name, t] of Object.entries(GLOBAL)) assert.deepEqual(set.global(name), t.data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sharded: pieces that leave a gap are refused, naming the tensor', () => {
  const dir = tmp();
  try {
    writeLayout(dir, 1, 2, (r) => [{ name: 'ln_f.bias', shape: [5], flat: { start: r * 2, length: 2 } }]); // element 4 never saved
    const set = new ShardSet(dir, readShardIndex(dir) as ShardIndex<ShardSpec>);
    assert.throws(() => set.global('ln_f.bias'), /the pieces of 'ln_f.bias' leave element 4 uncovered/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A tiny GPT job whose batches depend only on the step (no generator draws). */
function gptJob(dir: string, maxSteps: number, sharded: boolean, resume = false) {
  const model = new GPT({ vocabSize: 13, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16 }, new Generator(5));
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
  const batch = (step: number, k: number) => tensor(Int32Array.from({ length: 2 * 8 }, (_, i) => (i * 3 + step * 5 + k) % 13), [2, 8]);
  const run = new RunDir(dir);
  return {
    model,
    opts: {
      model, optimizer, maxSteps, run, resume, kind: 'toy-gpt', config: { n: 1 }, configKeys: ['n'], checkpointEvery: 1,
      loss: ({ step }: { step: number }) => model.forward(batch(step, 0), batch(step, 1)).loss!,
      sharded: sharded ? new ShardedCheckpoint(dir, replicaState(model, optimizer), null, { dp: 1 }) : undefined,
    },
  };
}

test('sharded: the loop saves through shards and resumes bit for bit; one process picks up a sharded run; merge loads', async () => {
  const a = tmp(), b = tmp(), merged = join(tmp(), 'merged.safetensors');
  try {
    const straight = gptJob(a, 6, false);
    await trainLoop(straight.opts);
    // 3 steps with sharded checkpoints, then a resume through the sharded checkpoint to 6
    const first = gptJob(b, 3, true);
    await trainLoop(first.opts);
    assert.ok(existsSync(join(b, 'latest.index.json')) && !existsSync(join(b, 'latest.safetensors')));
    await assert.rejects(trainLoop(gptJob(b, 3, true).opts), /already holds a run; continue it with --resume/, 'a sharded run is a run: a fresh start is refused');
    const second = gptJob(b, 6, true, true);
    const r = await trainLoop(second.opts);
    assert.equal(r.startStep, 3);
    const values = (m: GPT) => m.parameters().map((p) => Array.from(p.values()));
    assert.deepEqual(values(second.model), values(straight.model));
    // merge: one checkpoint with HF-style names, the optimizer numbered as one process numbers it
    const result = mergeShards(b, merged);
    assert.equal(result.step, 6);
    const ck = loadCheckpoint(merged, { kind: 'toy-gpt' });
    assert.ok('h.0.attn.c_attn.weight' in ck.model && 'wte.weight' in ck.model);
    assert.deepEqual(Array.from(ck.model['h.0.attn.c_attn.weight'].data), Array.from(second.model.h[0].attn.c_attn.weight.values()));
    assert.ok(ck.optimizer && 'exp_avg.0' in ck.optimizer && ck.optimizer.step.data[0] === 6);
    // and the command: one line, then the same file
    const out = spawnSync(process.execPath, [BIN, 'dist', 'merge', b, '--out', merged, '--model-only'], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /step 6 of a toy-gpt run saved by 1 ranks \(dp 1\)/);
    const none = spawnSync(process.execPath, [BIN, 'dist', 'merge', a, '--out', merged], { encoding: 'utf8' });
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /no sharded checkpoint in .* \(latest\.index\.json is missing\)/);
    // the other way: a single process's latest.safetensors resumes through `sharded` (what 1 rank to N does)
    const d = tmp();
    try {
      await trainLoop(gptJob(d, 3, false).opts);
      const through = gptJob(d, 6, true, true);
      assert.equal((await trainLoop(through.opts)).startStep, 3);
      assert.deepEqual(values(through.model), values(straight.model));
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
    // a single process without `sharded` resumes a run whose sharded checkpoint is its newest
    const c = tmp();
    try {
      await trainLoop(gptJob(c, 3, true).opts);
      const plain = gptJob(c, 6, false, true);
      assert.equal((await trainLoop(plain.opts)).startStep, 3);
      assert.deepEqual(values(plain.model), values(straight.model));
      assert.ok(readFileSync(join(c, 'metrics.jsonl'), 'utf8').length > 0);
      // --force starts over: the old shards and index go
      await trainLoop({ ...gptJob(c, 1, false).opts, force: true });
      assert.ok(!existsSync(join(c, 'latest.index.json')) && !existsSync(join(c, 'shards')));
    } finally {
      rmSync(c, { recursive: true, force: true });
    }
  } finally {
    for (const d of [a, b]) rmSync(d, { recursive: true, force: true });
  }
});
