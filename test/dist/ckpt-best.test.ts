/**
 * best.safetensors of a ZeRO-3 run (every rank holds a flat piece of each parameter): gathered to
 * rank 0 on each validation improvement, it is the file a single process writes (same names, same
 * step, values within the resume tests' tolerance) and `chargpt --sample-only` samples the same
 * text from it. (Tensor and pipeline parallel runs' best files are checked in tp-cli and pp tests.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mpiSkip } from './mpi.js';
import { PARAM_TOL, flags, gradpath, launch, maxParamDiff, textFile } from './resume-helpers.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';

const skip = mpiSkip();
if (skip) console.log(`# skipping the gathered best.safetensors run: ${skip}`);

test('chargpt --dp 2 --zero 3: best.safetensors is the single process one, and --sample-only reads it', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-ckpt-best-'));
  try {
    const f = flags(textFile(dir));
    gradpath([...f, '--max-steps', '8', '-o', join(dir, 'one')]);
    await launch(2, [...f, '--max-steps', '8', '-o', join(dir, 'z3'), '--dp', '2', '--zero', '3']);
    const [one, z3] = ['one', 'z3'].map((d) => loadCheckpoint(join(dir, d, 'best.safetensors'), { kind: 'chargpt' }));
    assert.equal(z3.step, one.step);
    assert.deepEqual(z3.config, one.config);
    assert.equal(z3.optimizer, undefined, 'best holds the model only');
    const model = (ck: typeof one) => new Map(Object.entries(ck.model).map(([k, t]) => [k, t.data as Float32Array]));
    const d = maxParamDiff(model(z3), model(one));
    console.log(`# ZeRO-3 2 ranks best.safetensors (step ${z3.step}) vs one process: max |param diff| ${d.toExponential(2)}`);
    assert.ok(d < PARAM_TOL, `best.safetensors differs by ${d}`);
    const sample = (d: string) => gradpath(['chargpt', '-o', join(dir, d), '--sample-only', '--num-samples', '1', '--max-new-tokens', '40', '--quiet']).split('\n').filter((l) => !/tokens\/s/.test(l)).join('\n');
    assert.equal(sample('z3'), sample('one'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
