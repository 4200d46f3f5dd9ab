import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { syllableNames, tempDir, writeLines } from './helpers.js';

/** Runs `gradpath makemore ...`, capturing stdout and stderr lines. */
async function makemore(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error, write = process.stderr.write;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(['makemore', ...args]), out, err };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

test('--json: the last stdout line has type, params, steps, losses and seconds', async () => {
  const dir = tempDir();
  const input = writeLines(dir, 'names.txt', syllableNames(100));
  const r = await makemore(['-i', input, '-o', join(dir, 'run'), '--type', 'bigram', '--max-steps', '5', '--num-samples', '3', '--json']);
  assert.equal(r.code, 0);
  const summary = JSON.parse(r.out.at(-1)!);
  assert.deepEqual(Object.keys(summary).slice(0, 6), ['type', 'params', 'steps', 'train_loss', 'test_loss', 'seconds']);
  assert.equal(summary.steps, 5);
  assert.ok(existsSync(join(dir, 'run', 'bigram-counts.svg')));
  assert.ok(existsSync(join(dir, 'run', 'best.safetensors')));

  // --sample-only reads the best model back; an item longer than its block size is refused
  const s = await makemore(['-i', input, '-o', join(dir, 'run'), '--type', 'bigram', '--sample-only', '--num-samples', '4']);
  assert.equal(s.code, 0);
  assert.equal(s.out.join('\n').split('\n').length, 4);
  const long = writeLines(dir, 'long.txt', ['ba', 'bababababababababa']);
  const e = await makemore(['-i', long, '-o', join(dir, 'run'), '--type', 'bigram', '--sample-only']);
  assert.equal(e.code, 2);
  assert.match(e.err.at(-1)!, /longer than the \d+ the model .* was trained for/);
  const other = await makemore(['-i', input, '-o', join(dir, 'run'), '--type', 'mlp', '--sample-only']);
  assert.equal(other.code, 2);
  assert.match(other.err.at(-1)!, /makemore-bigram/);
});

test('bad input files exit 2 with one line and leave no run directory', async () => {
  const dir = tempDir();
  const cases: [string, string | Buffer, RegExp][] = [
    ['empty.txt', '', /is empty/],
    ['one.txt', 'emma\n', /only one item/],
    ['binary.bin', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0d, 0x0a, 0xff, 0xfe]), /binary/],
  ];
  for (const [name, content, pattern] of cases) {
    const p = join(dir, name);
    writeFileSync(p, content);
    const r = await makemore(['-i', p, '-o', join(dir, `run-${name}`)]);
    assert.equal(r.code, 2, name);
    assert.match(r.err.at(-1)!, pattern);
    assert.equal(r.err.at(-1)!.trim().split('\n').length, 1);
    assert.equal(existsSync(join(dir, `run-${name}`)), false, name);
  }
  const missing = await makemore(['-i', join(dir, 'nope.txt')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err.at(-1)!, /does not exist/);
  const input = writeLines(dir, 'names.txt', syllableNames(50));
  const noCkpt = await makemore(['-i', input, '-o', join(dir, 'fresh'), '--resume']);
  assert.equal(noCkpt.code, 2);
  assert.match(noCkpt.err.at(-1)!, /--resume: no checkpoint/);
  assert.equal(existsSync(join(dir, 'fresh')), false);
  const noModel = await makemore(['-i', input, '-o', join(dir, 'fresh'), '--sample-only']);
  assert.equal(noModel.code, 2);
  assert.match(noModel.err.at(-1)!, /--sample-only: no trained model/);
  assert.equal(existsSync(join(dir, 'fresh')), false);
});
