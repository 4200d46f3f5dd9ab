import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeFileError } from '../../src/cli/main.js';

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
