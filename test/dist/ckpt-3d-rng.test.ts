/**
 * A rank's named generators in sharded checkpoints (ShardedState.generators: a pipeline stage's
 * dropout mask stream), without MPI: saved in the shard's header, restored from the first saved
 * rank holding the name (every rank of a stage holds the same stream), left as built when no rank
 * saved it; the loop's own generator is unaffected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShardedCheckpoint, localState } from '../../src/dist/checkpoint.js';
import { readShardMeta, shardFileName, stepFolder, writeShardFile, writeShardIndex } from '../../src/io/sharded.js';
import { Linear } from '../../src/nn/layers.js';
import { Generator } from '../../src/util/random.js';

const draws = (g: Generator, n: number) => Array.from({ length: n }, () => g.random());

test('named generators: saved per rank, restored by name, left as built when no rank saved one; the loop\'s own unaffected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-ckpt-rng-'));
  try {
    const name = 'dropout masks of pp stage 0 of 1';
    const masks = new Generator(11), loop = new Generator(5);
    draws(masks, 7);
    draws(loop, 3);
    const state = localState(new Linear(3, 2, { generator: new Generator(1) }), undefined, { writes: () => true, generators: () => ({ [name]: masks }) });
    await new ShardedCheckpoint(dir, state, null, { dp: 1, tp: 1, pp: 1, zero: 0 }).save({ step: 2, kind: 'toy', config: {}, extra: {}, generator: loop });
    assert.deepEqual(readShardMeta(join(dir, stepFolder(2), shardFileName(0, 1))).rngs, { [name]: masks.getState() });
    const next = draws(masks, 4), nextLoop = draws(loop, 2);

    // a fresh process: both streams continue where the save left them; one nobody saved stays as built
    const masks2 = new Generator(11), loop2 = new Generator(5), other = new Generator(99);
    const built = other.getState();
    const state2 = localState(new Linear(3, 2, { generator: new Generator(2) }), undefined, { writes: () => true, generators: () => ({ [name]: masks2, 'dropout masks of pp stage 1 of 2': other }) });
    new ShardedCheckpoint(dir, state2, null, {}).load({ kind: 'toy', generator: loop2 });
    assert.deepEqual(draws(masks2, 4), next);
    assert.deepEqual(draws(loop2, 2), nextLoop);
    assert.deepEqual(other.getState(), built);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('named generators: a stage\'s stream comes from the first rank of the old job that saved it, whatever rank loads it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-ckpt-rng2-'));
  try {
    // 4 ranks of tp 2 x pp 2: ranks 0, 1 are stage 0 (the same stream), ranks 2, 3 stage 1
    const stream = (stage: number) => [stage + 1, 2, 3, 4, 0, 0];
    for (let r = 0; r < 4; r++) {
      const stage = r >> 1;
      writeShardFile(join(dir, stepFolder(3), shardFileName(r, 4)), { rank: r, world: 4, step: 3, rng: [r, 0, 0, 1, 0, 0], rngs: { [`dropout masks of pp stage ${stage} of 2`]: stream(stage) }, pieces: [] }, []);
    }
    writeShardIndex(dir, { layout: { dp: 1, tp: 2, pp: 2, zero: 0 }, kind: 'toy', config: {}, extra: {} }, 3, 4);
    const g = new Generator(0);
    // a state with no tensors: only the generator is loaded
    const state = localState(new Linear(1, 1, { bias: false, generator: new Generator(0) }), undefined, { writes: () => true, generators: () => ({ 'dropout masks of pp stage 1 of 2': g }) });
    new ShardedCheckpoint(dir, { ...state, load: () => {} }, null, {}).load({ kind: 'toy' });
    assert.deepEqual(g.getState(), stream(1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
