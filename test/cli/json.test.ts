import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `--json` means the same everywhere: the last line of stdout is one JSON object, and no other
 * line of stdout is one (progress and per-step lines go to stderr and metrics.jsonl). And a run
 * directory's config.json, given back as --config, repeats the run.
 */
const BIN = fileURLToPath(new URL('../../../bin/gradpath.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gp-json-'));
const names = join(dir, 'names.txt');
writeFileSync(names, 'emma\nolivia\nava\nisabella\nsophia\nmia\namelia\nharper\n');
const text = join(dir, 'text.txt');
writeFileSync(text, 'the cat sat on the mat. the dog sat on the log. '.repeat(40));
const shards = join(dir, 'shards');
mkdirSync(shards);
for (const name of ['val_000000.bin', 'train_000001.bin']) {
  const header = new Int32Array(256);
  header.set([20240520, 1, 200]);
  writeFileSync(join(shards, name), Buffer.concat([Buffer.from(header.buffer), Buffer.from(Uint16Array.from({ length: 200 }, (_, i) => (i * 7) % 300).buffer)]));
}
const tinyChar = ['-i', text, '--n-layer', '1', '--n-head', '2', '--n-embd', '8', '--block-size', '8', '--batch-size', '2', '--max-steps', '3', '--eval-iters', '1', '--quiet'];

function gradpath(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: dir, env: { ...process.env, GRADPATH_OFFLINE: '1', GRADPATH_THREADS: '1', CI: '1' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

function isObjectLine(line: string): boolean {
  try {
    const v = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

const COMMANDS: string[][] = [
  ['makemore', names, '--type', 'bigram', '--max-steps', '2', '--num-samples', '3', '-o', 'mm'],
  ['chargpt', ...tinyChar, '--num-samples', '1', '--max-new-tokens', '5', '-o', 'cg'],
  ['chargpt', '--report-kv', '--n-layer', '1', '--n-head', '2', '--n-embd', '8', '--block-size', '8', '--kv-tokens', '4'],
  ['encoder', ...tinyChar, '-o', 'enc'],
  ['grokking', '--preset', 'quick', '--p', '7', '--d-model', '8', '--max-steps', '3', '-o', 'grok'],
  ['gpt2', 'train', '--data', shards, '--n-layer', '1', '--n-head', '2', '--n-embd', '8', '--block-size', '8', '--vocab-size', '300', '--batch-size', '2', '--seq-len', '8', '--max-steps', '3', '--eval-every', '2', '--eval-steps', '1', '--max-new-tokens', '2', '--peak-gflops', '1', '-o', 'g2'],
  ['neat', 'xor', '--runs', '1', '--max-generations', '2'],
  ['neat', 'boolean', '--task', 'multiplexer3', '--runs', '1', '--max-generations', '2'],
  ['neat', 'flappy', '--generations', '1', '--population', '10', '--max-pipes', '1', '-o', 'flappy'],
  ['micrograd', '--steps', '2', '--out', 'mg'],
];

test('--json: one JSON object, on the last line of stdout, for every command', { timeout: 10 * 60_000 }, async () => {
  const failures: string[] = [];
  for (let i = 0; i < COMMANDS.length; i += 3) {
    const batch = COMMANDS.slice(i, i + 3);
    const results = await Promise.all(batch.map((argv) => gradpath([...argv, '--json'])));
    batch.forEach((argv, j) => {
      const { code, stdout, stderr } = results[j];
      const lines = stdout.split('\n').filter((l) => l.trim() !== '');
      const objects = lines.filter(isObjectLine).length;
      if (code !== 0 || lines.length === 0 || !isObjectLine(lines.at(-1)!) || objects !== 1) {
        failures.push(`gradpath ${argv.join(' ')} --json: exit ${code}, ${objects} JSON object line(s) on stdout, last line ${JSON.stringify(lines.at(-1)?.slice(0, 80))}; stderr: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      }
    });
  }
  assert.deepEqual(failures, []);
});

test("a run's own config.json, given as --config, repeats the run", { timeout: 5 * 60_000 }, async () => {
  const first = await gradpath(['chargpt', ...tinyChar, '--lr', '3e-3', '--num-samples', '0', '--seed', '7', '-o', 'again-1', '--json']);
  assert.equal(first.code, 0, first.stderr);
  const again = await gradpath(['chargpt', '--config', join('again-1', 'config.json'), '--quiet', '--num-samples', '0', '-o', 'again-2', '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /--config again-1\/config\.json: ignored \d+ key\(s\) that are not flags of this command: .*vocab/);
  const a = JSON.parse(first.stdout.trim().split('\n').at(-1)!), b = JSON.parse(again.stdout.trim().split('\n').at(-1)!);
  assert.equal(b.iters, 3);
  assert.equal(b.params, a.params);
  assert.equal(b.val_loss, a.val_loss);
  const metrics = (d: string) => readFileSync(join(dir, d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).loss);
  assert.deepEqual(metrics('again-2'), metrics('again-1'));
  // the command line overrides the file
  const longer = await gradpath(['chargpt', '--config', join('again-1', 'config.json'), '--max-steps', '4', '--quiet', '--num-samples', '0', '-o', 'again-3', '--json']);
  assert.equal(JSON.parse(longer.stdout.trim().split('\n').at(-1)!).iters, 4);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
