import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeBuilt } from '../../src/backends/native/index.js';

/**
 * Every command, given bad input of every kind, must answer with exactly one line on stderr
 * naming the problem, exit non-zero, print no stack trace, touch no existing file, and not hang.
 * Each case is a real `bin/gradpath.js` process with tiny settings; they run in parallel batches.
 */
const BIN = fileURLToPath(new URL('../../../bin/gradpath.js', import.meta.url));
const TIMEOUT_MS = 60_000; // per case, generous for a loaded 2-core machine; a good case takes about a second
const PARALLEL = 4;

const dir = mkdtempSync(join(tmpdir(), 'gp-bad-'));
chmodSync(dir, 0o755); // the unwritable-output cases run as another user, who must read the inputs
const file = (name: string, content: string | Uint8Array) => (writeFileSync(join(dir, name), content), join(dir, name));
const names = file('names.txt', 'emma\nolivia\nava\nisabella\nsophia\nmia\n');
const text = file('text.txt', 'to be or not to be, that is the question. '.repeat(40));
const empty = file('empty.txt', '');
const blank = file('blank.txt', '  \n\n ');
const binary = file('binary.bin', Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 255));
const latin1 = file('latin1.txt', Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e\n'.repeat(20), 'latin1'));
const existing = file('existing.txt', 'do not overwrite me\n');
const notJson = file('config.json', '{"max_steps": 3,');
const readOnly = join(dir, 'read-only');
mkdirSync(readOnly);
chmodSync(readOnly, 0o555);
// a run directory whose checkpoint is garbage, for every --resume
const corrupt = join(dir, 'corrupt-run');
mkdirSync(corrupt);
const garbage = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
for (const f of ['latest.safetensors', 'best.safetensors']) writeFileSync(join(corrupt, f), garbage);
const corruptGrok = join(dir, 'corrupt-grok');
mkdirSync(corruptGrok);
writeFileSync(join(corruptGrok, 'latest.safetensors'), garbage);
const badShards = join(dir, 'bad-shards');
mkdirSync(badShards);
writeFileSync(join(badShards, 'val_000000.bin'), garbage);
writeFileSync(join(badShards, 'train_000001.bin'), garbage);
/** An llm.c token shard: a 256-int32 header (magic 20240520, version 1, count), then uint16 tokens. */
function shard(tokens: number[]): Uint8Array {
  const header = new Int32Array(256);
  header.set([20240520, 1, tokens.length]);
  return Buffer.concat([Buffer.from(header.buffer), Buffer.from(Uint16Array.from(tokens).buffer)]);
}
const shards = join(dir, 'shards');
mkdirSync(shards);
const tokens = Array.from({ length: 200 }, (_, i) => (i * 7) % 300);
writeFileSync(join(shards, 'val_000000.bin'), shard(tokens));
writeFileSync(join(shards, 'train_000001.bin'), shard(tokens));

const tinyChar = ['--n-layer', '1', '--n-head', '2', '--n-embd', '8', '--block-size', '8', '--batch-size', '2', '--max-steps', '2', '--eval-iters', '1', '--quiet'];
const tinyGpt2 = ['--n-layer', '1', '--n-head', '2', '--n-embd', '8', '--block-size', '8', '--vocab-size', '300', '--max-steps', '1'];

interface Case {
  kind: string;
  argv: string[];
  /** The one stderr line must match this (it names the problem). */
  says: RegExp;
  /** Run as an unprivileged user (root writes anywhere). */
  unprivileged?: boolean;
}

const out = (name: string) => join(dir, 'out', name);

const CASES: Case[] = [
  // a missing file
  ...[['makemore', '-i'], ['chargpt', '-i'], ['encoder', '-i'], ['bpe', 'train', '-o', out('tok.json'), '-i'], ['bpe', 'encode', '-i'], ['gpt2', 'prepare', '-o', out('sh'), '-i'],
    ['gpt2', 'hellaswag', '--init-from', existing, '-i'], ['neat', 'flappy', '--replay'], ['grokking', '--config']]
    .map((a): Case => ({ kind: 'missing file', argv: [...a, join(dir, 'nope.txt')], says: /nope\.txt.*does not exist/ })),
  { kind: 'missing file', argv: ['gpt2', 'sample', '--init-from', join(dir, 'nope.bin')], says: /nope\.bin: no such file/ },
  { kind: 'missing file', argv: ['gpt2', 'export', '--init-from', join(dir, 'nope.bin'), '-o', out('x.safetensors')], says: /nope\.bin: no such file/ },
  { kind: 'missing file', argv: ['gpt2', 'train', '--data', join(dir, 'nope'), ...tinyGpt2, '-o', out('g')], says: /nope does not exist/ },
  // an empty or whitespace-only file given as text
  ...[['makemore'], ['chargpt', ...tinyChar], ['encoder', ...tinyChar], ['bpe', 'train', '-o', out('tok.json')], ['gpt2', 'prepare', '-o', out('sh')], ['gpt2', 'hellaswag', '--init-from', existing]]
    .flatMap((a): Case[] => [{ kind: 'empty file', argv: [...a, '-i', empty], says: /empty\.txt: is empty/ }, { kind: 'blank file', argv: [...a, '-i', blank], says: /blank\.txt: (has only whitespace|is empty)/ }]),
  // a binary (or non-UTF-8) file given as text
  ...[['makemore'], ['chargpt', ...tinyChar], ['encoder', ...tinyChar], ['bpe', 'train', '-o', out('tok.json')], ['bpe', 'encode'], ['bench', 'bpe'], ['gpt2', 'prepare', '-o', out('sh')], ['gpt2', 'hellaswag', '--init-from', existing]]
    .flatMap((a): Case[] => [{ kind: 'binary file', argv: [...a, '-i', binary], says: /binary\.bin: not (a text file|UTF-8)/ }, { kind: 'latin-1 file', argv: [...a, '-i', latin1], says: /latin1\.txt: not UTF-8 text/ }]),
  { kind: 'binary weights', argv: ['gpt2', 'sample', '--init-from', binary], says: /binary\.bin: neither an llm\.c checkpoint nor a safetensors file/ },
  // wrong types
  ...[['makemore', '--max-steps'], ['chargpt', '--max-steps'], ['encoder', '--max-steps'], ['grokking', '--max-steps'], ['gpt2', 'train', '--max-steps'], ['neat', 'xor', '--runs'], ['neat', 'boolean', '--target-species'], ['neat', 'flappy', '--generations'], ['bench', 'matmul', '--reps'], ['micrograd', '--steps']]
    .map((a): Case => ({ kind: 'wrong type', argv: [...a, 'ten'], says: /--[a-z-]+ expects an integer; got 'ten'/ })),
  { kind: 'wrong type', argv: ['chargpt', '--lr', 'fast'], says: /--lr expects a number; got 'fast'/ },
  { kind: 'wrong type', argv: ['makemore', '--type', 'gpt5'], says: /--type must be one of/ },
  { kind: 'wrong type', argv: ['makemore', '--config', notJson], says: /config\.json is not valid JSON/ },
  // out of range and negative
  ...[['makemore', '--max-steps'], ['chargpt', '--max-steps'], ['encoder', '--max-iters'], ['grokking', '--epochs'], ['gpt2', 'train', '--max-steps'], ['neat', 'xor', '--runs'], ['neat', 'flappy', '--population'], ['micrograd', '--steps']]
    .map((a): Case => ({ kind: 'negative', argv: [...a, '-5'], says: /must be at least \d+ \((a positive integer|not negative)\)|must be at least \d+/ })),
  { kind: 'negative', argv: ['chargpt', '--lr', '-0.1'], says: /--lr must be at least 0 \(not negative\); got -0\.1/ },
  { kind: 'out of range', argv: ['makemore', '-i', names, '--dropout', '1.5'], says: /--dropout must be in \[0, 1\)/ },
  { kind: 'out of range', argv: ['chargpt', '-i', text, ...tinyChar, '--dropout', '1.5'], says: /--dropout must be in \[0, 1\)/ },
  { kind: 'out of range', argv: ['grokking', '--train-frac', '1.5'], says: /train.frac/ },
  { kind: 'out of range', argv: ['chargpt', '-i', text, ...tinyChar, '--n-embd', '9'], says: /not divisible by --n-head/ },
  // stray arguments
  { kind: 'stray argument', argv: ['chargpt', 'config/train_shakespeare_char.py'], says: /nanoGPT \.py config.*--config FILE\.json/ },
  { kind: 'stray argument', argv: ['grokking', 'quick'], says: /unexpected argument 'quick'/ },
  { kind: 'unknown flag', argv: ['makemore', '--max-step', '3'], says: /Unknown option '--max-step'/ },
  // an existing file where an output directory (or a directory where an output file) should go
  ...[['makemore', '-i', names], ['chargpt', '-i', text, ...tinyChar], ['encoder', '-i', text, ...tinyChar], ['grokking', '--preset', 'quick'],
    ['gpt2', 'train', '--data', shards, ...tinyGpt2], ['gpt2', 'prepare', '-i', text], ['neat', 'flappy', '--generations', '1']]
    .map((a): Case => ({ kind: 'file as output dir', argv: [...a, '-o', existing], says: /existing\.txt: is a file, not a directory/ })),
  { kind: 'file as output dir', argv: ['micrograd', '--steps', '1', '--out', existing], says: /existing\.txt: is a file, not a directory/ },
  { kind: 'wrong type', argv: ['neat', 'pole', '--config', names], says: /names\.txt is not valid JSON/ },
  { kind: 'file as output dir', argv: ['makemore', '-i', names, '-o', join(existing, 'run')], says: /is a file, so nothing can be made inside it/ },
  { kind: 'dir as output file', argv: ['bpe', 'train', '-i', text, '--vocab-size', '260', '-o', dir], says: /is a directory; give a file name/ },
  // an output nobody may write
  ...[['makemore', '-i', names], ['chargpt', '-i', text, ...tinyChar], ['grokking', '--preset', 'quick'], ['gpt2', 'prepare', '-i', text], ['neat', 'flappy', '--generations', '1'], ['bpe', 'train', '-i', text, '--vocab-size', '260']]
    .map((a): Case => ({ kind: 'unwritable output', argv: [...a, '-o', join(readOnly, a[0] === 'bpe' ? 'tok.json' : 'run')], says: /cannot write in .*read-only \(permission denied\)/, unprivileged: true })),
  // a corrupt checkpoint with --resume
  { kind: 'corrupt checkpoint', argv: ['makemore', '-i', names, '--type', 'bigram', '--resume', '-o', corrupt], says: /latest\.safetensors/ },
  { kind: 'corrupt checkpoint', argv: ['makemore', '-i', names, '--type', 'bigram', '--sample-only', '-o', corrupt], says: /best\.safetensors/ },
  { kind: 'corrupt checkpoint', argv: ['chargpt', '-i', text, ...tinyChar, '--resume', '-o', corrupt], says: /latest\.safetensors/ },
  { kind: 'corrupt checkpoint', argv: ['encoder', '-i', text, ...tinyChar, '--resume', '-o', corrupt], says: /latest\.safetensors/ },
  { kind: 'corrupt checkpoint', argv: ['gpt2', 'train', '--data', shards, ...tinyGpt2, '--resume', '-o', corrupt], says: /latest\.safetensors/ },
  { kind: 'corrupt checkpoint', argv: ['grokking', '--preset', 'quick', '--resume', '-o', corruptGrok], says: /latest\.safetensors/ },
  // a wrong --backend, on every command that takes one; native where it is not built
  ...[['makemore'], ['chargpt'], ['encoder'], ['grokking'], ['gpt2', 'train'], ['gpt2', 'sample'], ['gpt2', 'hellaswag'], ['bench', 'matmul'], ['bench', 'train'], ['bench', 'makemore']]
    .map((a): Case => ({ kind: 'wrong backend', argv: [...a, '--backend', 'cuda'], says: /--backend must be one of native, wasm, webgpu, reference; got 'cuda'/ })),
  { kind: 'wrong backend', argv: ['bench', 'train', '--backends', 'wasm,gpu'], says: /--backends 'wasm,gpu': use a comma-separated list of native, wasm, webgpu, reference/ },
  ...(nativeBuilt() ? [] : [['chargpt', '-i', text, ...tinyChar, '-o', out('nb')], ['bench', 'train']]
    .map((a): Case => ({ kind: 'native not built', argv: [...a, '--backend', 'native'], says: /the native backend is not built: run `apt-get install/ }))),
  { kind: 'corrupt shards', argv: ['gpt2', 'train', '--data', badShards, ...tinyGpt2, '-o', out('g2')], says: /token shard .*(bad magic|shorter)/ },
];

interface Result { code: number | null; stdout: string; stderr: string; timedOut: boolean }

/** Each case runs in a folder of its own: default run directories (runs/...) of parallel cases must not meet. */
function run(c: Case, cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    const env = { ...process.env, GRADPATH_OFFLINE: '1', GRADPATH_CACHE_DIR: join(dir, 'cache'), GRADPATH_DATA_DIR: join(dir, 'no-data'), GRADPATH_THREADS: '1', CI: '1' };
    const asNobody = c.unprivileged && process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const child = spawn(process.execPath, [BIN, ...c.argv], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], ...asNobody });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** Contents and modification times of every file the cases might wrongly touch. */
function snapshot(): string {
  const files = [names, text, empty, blank, binary, latin1, existing, notJson, ...['latest.safetensors', 'best.safetensors'].map((f) => join(corrupt, f)),
    join(corruptGrok, 'latest.safetensors'), ...['val_000000.bin', 'train_000001.bin'].flatMap((f) => [join(shards, f), join(badShards, f)])];
  return files.map((f) => `${f} ${statSync(f).mtimeMs} ${readFileSync(f).toString('base64')}`).join('\n');
}

/** Every path under the test's folder: a refused command leaves nothing behind (no run directory, no output). */
function tree(): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => !p.startsWith('read-only/')).sort();
}

test('bad input, every command: one line on stderr, non-zero exit, no stack trace, nothing overwritten, no hang', { timeout: 10 * 60_000 }, async () => {
  const cwds = CASES.map((_, i) => join(dir, 'cwd', String(i)));
  for (const cwd of cwds) mkdirSync(cwd, { recursive: true });
  chmodSync(join(dir, 'cwd'), 0o777);
  for (const cwd of cwds) chmodSync(cwd, 0o777);
  const before = snapshot();
  const paths = tree();
  const failures: string[] = [];
  for (let i = 0; i < CASES.length; i += PARALLEL) {
    const batch = CASES.slice(i, i + PARALLEL);
    const results = await Promise.all(batch.map((c, j) => run(c, cwds[i + j])));
    batch.forEach((c, j) => {
      const r = results[j];
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      const problems = [
        r.timedOut && `hung (killed after ${TIMEOUT_MS / 1000} s)`,
        r.code === 0 && 'exit code 0',
        /\n\s+at .+:\d+:\d+\)?/.test(r.stderr) && 'a stack trace',
        lines.length !== 1 && `${lines.length} lines on stderr`,
        lines.length >= 1 && !c.says.test(lines.join(' ')) && `not matching ${c.says}`,
      ].filter(Boolean);
      if (problems.length) failures.push(`${c.kind}: gradpath ${c.argv.join(' ').replaceAll(dir, '$DIR')}\n  -> ${problems.join('; ')}\n  stderr: ${r.stderr.trim().replaceAll(dir, '$DIR').split('\n').slice(0, 6).join('\n          ')}`);
    });
  }
  assert.equal(snapshot(), before, 'an input or an existing output was modified');
  assert.deepEqual(tree(), paths, 'a refused command left files or folders behind');
  assert.equal(failures.length, 0, `${failures.length} of ${CASES.length} cases misbehaved:\n${failures.join('\n')}`);
});

test.after(() => {
  chmodSync(readOnly, 0o755);
  rmSync(dir, { recursive: true, force: true });
});
