import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeFileError } from '../../src/cli/main.js';
import { leaveNoTrace } from '../../src/cli/preflight.js';

test("a file-system error met anywhere becomes one line naming the path and the problem", () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-main-'));
  try {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    let err: unknown;
    try {
      mkdirSync(file);
    } catch (e) {
      err = e;
    }
    const line = describeFileError(err, 'makemore');
    assert.equal(line, `gradpath makemore: cannot mkdir ${file}: a file is in the way (EEXIST); check the path and its permissions`);
    assert.equal(describeFileError(new Error('a bug'), 'makemore'), null, 'other errors keep their stack');
    assert.equal(describeFileError(Object.assign(new Error('x'), { code: 'ERR_ASSERTION' }), 'makemore'), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('leaveNoTrace: a failed command removes the empty folders it made, and nothing else', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-trace-'));
  try {
    const out = join(dir, 'runs', 'a', 'b');
    await assert.rejects(leaveNoTrace(out, () => {
      mkdirSync(out, { recursive: true });
      throw new Error('refused');
    }), /refused/);
    assert.deepEqual(readdirSync(dir), [], 'runs/a/b and its new parents are gone');
    // something written: everything stays
    await assert.rejects(leaveNoTrace(out, () => {
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'metrics.jsonl'), '{}\n');
      throw new Error('failed later');
    }));
    assert.ok(existsSync(join(out, 'metrics.jsonl')));
    // a folder that was there before stays, even empty
    const before = join(dir, 'existing');
    mkdirSync(before);
    await assert.rejects(leaveNoTrace(before, () => Promise.reject(new Error('no'))));
    assert.ok(existsSync(before));
    assert.equal(await leaveNoTrace(join(dir, 'ok'), () => 7), 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
