import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/gradpath.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gp-physics-cli-'));
const tiny = ['--preset', 'quick', '--people', '12', '--max-steps', '4', '--finetune-steps', '2', '--eval-every', '2'];

function gradpath(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: dir, env: { ...process.env, GRADPATH_THREADS: '1', CI: '1' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

test('physics knowledge: bad input is one line and exit 2, nothing written', async () => {
  for (const [argv, says] of [
    [['physics', 'knowledge', '--augment', 'multi5+shuffle', '-o', 'bad1'], /unknown augmentation 'shuffle'/],
    [['physics', 'knowledge', '--people', '1', '-o', 'bad2'], /--people/],
    [['physics', 'knowledge', '--qa-fraction', '1', '-o', 'bad3'], /qa-fraction/],
    [['physics', 'knowledge', '--compare', '--augment', 'multi5', '-o', 'bad4'], /--compare runs its own set/],
    [['physics', 'knowledge', '--variants', 'single', '-o', 'bad5'], /add --compare/],
    [['physics', 'knowledge', '--compare', '--variants', 'single,single', '-o', 'bad6'], /'single' twice/],
    [['physics', 'knowledge', '--values', '31', '-o', 'bad7'], /--values must be a whole number from 2 to 30/],
  ] as const) {
    const r = await gradpath([...argv]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, says);
    assert.ok(!existsSync(join(dir, argv.at(-1)!)), 'no run directory left behind');
  }
});

test('physics knowledge --compare --json: every variant, a table, a picture, one JSON line; --resume reads it back', async () => {
  const r = await gradpath(['physics', 'knowledge', ...tiny, '--compare', '-o', 'cmp', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'stdout holds only the summary');
  const s = JSON.parse(lines[0]) as { runs: { variant: string; qa_test_acc: number; lora_qa_test_acc?: number }[] };
  assert.deepEqual(s.runs.map((x) => x.variant), ['single', 'permute', 'fullname', 'multi5', 'multi5+permute+fullname', 'single mixed', 'multi5+permute+fullname mixed']);
  assert.deepEqual(s.runs.map((x) => typeof x.lora_qa_test_acc), [...Array(5).fill('number'), 'undefined', 'undefined'], 'a LoRA finetune beside every full one; none after mixed training');
  assert.match(readFileSync(join(dir, 'cmp', 'table.txt'), 'utf8'), /QA unseen people.*LoRA: unseen.*A-probe control/);
  assert.match(readFileSync(join(dir, 'cmp', 'table.txt'), 'utf8'), /A-probe per field, the control[^]*chance \(commonest class\)/);
  assert.match(readFileSync(join(dir, 'cmp', 'compare.svg'), 'utf8'), /^<svg/);
  const again = await gradpath(['physics', 'knowledge', ...tiny, '--compare', '-o', 'cmp', '--json', '--resume']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout.trim()), s, 'finished variants are read back, not retrained');
  const some = await gradpath(['physics', 'knowledge', ...tiny, '--compare', '--variants', 'single, single+mixed', '-o', 'cmp', '--json', '--resume']);
  assert.equal(some.code, 0, some.stderr);
  assert.deepEqual(JSON.parse(some.stdout.trim()).runs, [s.runs[0], s.runs[5]], '--variants picks from the same run directories');
  const refused = await gradpath(['physics', 'knowledge', ...tiny, '--compare', '-o', 'cmp']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--resume.*--force/);
});
