import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareConfig, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/io/checkpoint.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.js';
import { GradpathError } from '../../src/util/errors.js';

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-ckpt-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sample(step = 500): Checkpoint {
  return {
    kind: 'makemore-transformer',
    step,
    rng: [123456789, 362436069, 521288629, 88675123],
    config: { nEmbd: 64, nLayer: 2, blockSize: 8, vocab: ['.', 'a', 'b'] },
    extra: { bestValLoss: 2.01, tokensSeen: 1_000_000 },
    model: {
      'wte.weight': { shape: [3, 2], data: new Float32Array([0.1, -0.2, 0.3, -0.4, 0.5, -0.6]) },
      'h.0.attn.c_attn.weight': { shape: [2, 6], data: new Float32Array(12).map((_, i) => i / 7) },
      'h.0.attn.c_attn.bias': { shape: [6], data: new Float32Array(6) },
      'ln_f.eps': { shape: [], data: new Float32Array([1e-5]) },
      'token_ids': { shape: [2], data: new Int32Array([7, -7]) },
    },
    optimizer: {
      'exp_avg.h.0.attn.c_attn.weight': { shape: [2, 6], data: new Float32Array(12).fill(0.25) },
      'exp_avg_sq.h.0.attn.c_attn.weight': { shape: [2, 6], data: new Float32Array(12).fill(1e-8) },
      step: { shape: [], data: new Int32Array([500]) },
    },
  };
}

function assertStateDictEqual(actual: Checkpoint['model'] | undefined, expected: Checkpoint['model']): void {
  assert.ok(actual);
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [name, t] of Object.entries(expected)) {
    assert.deepEqual(actual[name].shape, t.shape, name);
    assert.equal(actual[name].data.constructor, t.data.constructor, name);
    assert.deepEqual([...actual[name].data], [...t.data], name);
  }
}

test('checkpoint round trip: model, optimizer, step, rng, config, extra', () => {
  withTempDir((dir) => {
    const path = join(dir, 'ckpt.safetensors');
    const ckpt = sample();
    saveCheckpoint(path, ckpt);
    const back = loadCheckpoint(path, { kind: 'makemore-transformer' });
    assert.equal(back.kind, ckpt.kind);
    assert.equal(back.step, 500);
    assert.deepEqual(back.rng, ckpt.rng);
    assert.deepEqual(back.config, ckpt.config);
    assert.deepEqual(back.extra, ckpt.extra);
    assertStateDictEqual(back.model, ckpt.model);
    assertStateDictEqual(back.optimizer, ckpt.optimizer!);
  });
});

test('the file is plain safetensors with model./optim. names and gradpath metadata', () => {
  withTempDir((dir) => {
    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, sample());
    const { tensors, metadata } = loadSafetensors(path);
    assert.ok(tensors.has('model.h.0.attn.c_attn.weight'));
    assert.ok(tensors.has('optim.exp_avg.h.0.attn.c_attn.weight'));
    const meta = JSON.parse(metadata.gradpath);
    assert.equal(meta.format, 'gradpath-checkpoint');
    assert.equal(meta.version, 1);
    assert.equal(meta.kind, 'makemore-transformer');
    assert.equal(meta.step, 500);
  });
});

test('optional fields stay absent: no optimizer, rng or extra', () => {
  withTempDir((dir) => {
    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, { kind: 'makemore-mlp', step: 0, config: {}, model: { w: { shape: [1], data: new Float32Array([2]) } } });
    const back = loadCheckpoint(path);
    assert.deepEqual(Object.keys(back).sort(), ['config', 'kind', 'model', 'step']);
    assert.equal(back.model.w.data[0], 2);
  });
});

test('kind mismatch names the file and both kinds', () => {
  withTempDir((dir) => {
    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, { ...sample(), kind: 'makemore-rnn' });
    assert.throws(() => loadCheckpoint(path, { kind: 'makemore-transformer' }), {
      name: 'GradpathError',
      message: `checkpoint ${path} holds a makemore-rnn model, not makemore-transformer`,
    });
  });
});

test('a missing checkpoint says how to proceed', () => {
  withTempDir((dir) => {
    const path = join(dir, 'nope.safetensors');
    assert.throws(() => loadCheckpoint(path), {
      name: 'GradpathError',
      message: `no checkpoint at ${path}; train first or drop --resume`,
    });
  });
});

test('safetensors files that are not gradpath checkpoints are rejected', () => {
  withTempDir((dir) => {
    const path = join(dir, 'x.safetensors');
    const w = { w: { shape: [1], data: new Float32Array(1) } };
    const cases: [Record<string, string> | undefined, RegExp, typeof w | undefined][] = [
      [undefined, /no gradpath metadata/, undefined],
      [{ gradpath: '{not json' }, /metadata is not valid JSON/, undefined],
      [{ gradpath: '{"format":"other"}' }, /wrong format tag/, undefined],
      [{ gradpath: '{"format":"gradpath-checkpoint","version":1,"kind":"k","step":-1,"config":{}}' }, /invalid step/, undefined],
      [{ gradpath: '{"format":"gradpath-checkpoint","version":1,"kind":"k","step":1,"config":[]}' }, /invalid config/, undefined],
      [{ gradpath: '{"format":"gradpath-checkpoint","version":1,"kind":"k","step":1,"config":{}}' }, /unexpected tensor 'w'/, w],
      [{ gradpath: '{"format":"gradpath-checkpoint","version":9,"kind":"k","step":1,"config":{}}' }, /has format version 9; this gradpath reads version 1/, undefined],
    ];
    for (const [metadata, message, tensors] of cases) {
      saveSafetensors(path, tensors ?? {}, metadata);
      assert.throws(
        () => loadCheckpoint(path),
        (e: Error) => e instanceof GradpathError && e.message.includes(path) && message.test(e.message),
        String(message),
      );
    }
  });
});

test('a truncated checkpoint is an error naming the file, not garbage weights', () => {
  withTempDir((dir) => {
    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, sample());
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    assert.throws(() => loadCheckpoint(path), (e: Error) => e instanceof GradpathError && e.message.startsWith(`${path}: truncated`));
  });
});

test('saving over an old checkpoint replaces it and leaves no temporary file', () => {
  withTempDir((dir) => {
    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, sample(1));
    saveCheckpoint(path, sample(2));
    assert.equal(loadCheckpoint(path).step, 2);
    assert.deepEqual(readdirSync(dir), ['ckpt.safetensors']);
  });
});

test('a failed save leaves no temporary file and does not clobber the old checkpoint', () => {
  withTempDir((dir) => {
    // The target directory is a file.
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'x');
    assert.throws(() => saveCheckpoint(join(blocker, 'ckpt.safetensors'), sample()), (e: Error) => e instanceof GradpathError && e.message.includes(blocker));
    assert.deepEqual(readdirSync(dir), ['blocker']);

    // The target is a directory: the rename fails, and the temporary file is cleaned up.
    const asDir = join(dir, 'dir.safetensors');
    mkdirSync(join(asDir, 'inside'), { recursive: true });
    assert.throws(() => saveCheckpoint(asDir, sample()), GradpathError);
    assert.deepEqual(readdirSync(dir).sort(), ['blocker', 'dir.safetensors']);

    // Invalid data is refused before anything is written.
    const path = join(dir, 'ckpt.safetensors');
    saveCheckpoint(path, sample(1));
    const before = readFileSync(path);
    const bad = sample(2);
    bad.model['wte.weight'] = { shape: [5, 5], data: new Float32Array(3) };
    assert.throws(() => saveCheckpoint(path, bad), GradpathError);
    assert.deepEqual(readFileSync(path), before);

    // The disk fills up mid-write: simulated by pointing the temporary file at /dev/full.
    if (existsSync('/dev/full')) {
      symlinkSync('/dev/full', `${path}.tmp-${process.pid}`);
      assert.throws(() => saveCheckpoint(path, sample(3)), (e: Error) => e instanceof GradpathError && e.message.startsWith(`cannot write ${path}:`));
      assert.deepEqual(readFileSync(path), before);
      assert.equal(loadCheckpoint(path).step, 1);
      assert.deepEqual(readdirSync(dir).sort(), ['blocker', 'ckpt.safetensors', 'dir.safetensors']);
    }
  });
});

test('compareConfig describes the first differing key, or returns null', () => {
  const saved = { nEmbd: 64, nLayer: 2, vocab: ['a', 'b'], dropout: 0 };
  assert.equal(compareConfig(saved, { ...saved }, ['nEmbd', 'nLayer', 'vocab']), null);
  assert.equal(compareConfig(saved, { ...saved, lr: 1 }, ['nEmbd']), null, 'only the listed keys count');
  assert.equal(compareConfig(saved, { ...saved, nLayer: 4, nEmbd: 128 }, ['nLayer', 'nEmbd']), 'nLayer is 2 in the checkpoint but 4 now');
  assert.equal(compareConfig(saved, { ...saved, vocab: ['a', 'c'] }, ['vocab']), 'vocab is ["a","b"] in the checkpoint but ["a","c"] now');
  assert.equal(compareConfig(saved, { ...saved, type: 'rnn' }, ['type']), 'type is unset in the checkpoint but "rnn" now');
  assert.equal(compareConfig(saved, {}, ['dropout']), 'dropout is 0 in the checkpoint but unset now');
});
