import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GradpathError } from '../../../src/index.js';
import { loadCheckpoint } from '../../../src/io/checkpoint.js';
import { parseOptions } from '../../../src/cli/args.js';
import { command } from '../../../src/cli/chargpt.js';
import { runChargpt, type ChargptFlags } from '../../../src/chapters/transformers/chargpt.js';

const dir = mkdtempSync(join(tmpdir(), 'gp-chargpt-'));
const text = join(dir, 'text.txt');
// a small, very regular text: a tiny model can learn a lot of it in a few dozen steps
writeFileSync(text, 'the cat sat on the mat. the dog sat on the log. '.repeat(40));
const tiny = ['-i', text, '--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '8', '--eval-iters', '2', '--num-samples', '0', '--quiet'];

function flags(argv: string[]): ChargptFlags {
  return parseOptions('gradpath chargpt', command.options, argv).opts as unknown as ChargptFlags;
}

function metrics(out: string): { step: number; split: string; loss: number }[] {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

test('chargpt: training a tiny model on a tiny text lowers the loss', async () => {
  const out = join(dir, 'train');
  await runChargpt(flags([...tiny, '-o', out, '--max-iters', '100', '--eval-interval', '50', '--warmup-iters', '5', '--lr', '3e-3']));
  const m = metrics(out);
  const first = m.find((e) => e.split === 'batch')!.loss; // after 10 steps
  const val = m.filter((e) => e.split === 'val').at(-1)!.loss;
  // 14 characters: a uniform guess costs ln 14 = 2.64 nats
  assert.ok(val < first && val < 0.65 * Math.log(14), `loss ${first} -> val ${val}`);
  assert.ok(statSync(join(out, 'best.safetensors')).size > 0);
  // best holds the model only; latest everything a resume needs
  const best = loadCheckpoint(join(out, 'best.safetensors')), latest = loadCheckpoint(join(out, 'latest.safetensors'));
  assert.ok(best.optimizer === undefined && best.rng === undefined && latest.optimizer !== undefined && latest.rng !== undefined);
  // a second run into the same directory is refused, unless forced
  await assert.rejects(runChargpt(flags([...tiny, '-o', out, '--max-iters', '2'])), /already holds a run; continue it with --resume, or start over/);
});

test('chargpt --eval-only: the exact loss over every window of both splits', async () => {
  const out = join(dir, 'train'); // trained by the test above
  const logged: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => (logged.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    assert.equal(await runChargpt(flags(['-i', text, '-o', out, '--eval-only', '--json', '--quiet'])), 0);
  } finally {
    process.stdout.write = write;
  }
  const got = JSON.parse(logged.join('').trim().split('\n').at(-1)!);
  assert.equal(got.step, 100);
  // the text repeats a 48-character phrase, so the two splits hold the same sentences: close losses
  assert.ok(got.val_loss > 0 && got.val_loss < 0.65 * Math.log(14) && Math.abs(got.val_loss - got.train_loss) < 0.3, JSON.stringify(got));
  await assert.rejects(runChargpt(flags(['-i', text, '-o', join(dir, 'nothing-here'), '--eval-only'])), /--eval-only: no checkpoint/);
});

test('chargpt: --resume continues exactly (3 + 3 iterations = 6 straight)', async () => {
  const common = [...tiny, '--lr-decay-iters', '6', '--warmup-iters', '2', '--eval-interval', '100', '--dropout', '0.1', '--attention', 'gqa', '--n-kv-head', '1'];
  const a = join(dir, 'straight'), b = join(dir, 'resumed');
  await runChargpt(flags([...common, '-o', a, '--max-iters', '6']));
  await runChargpt(flags([...common, '-o', b, '--max-iters', '3']));
  await runChargpt(flags([...common, '-o', b, '--max-iters', '6', '--resume']));
  const ca = loadCheckpoint(join(a, 'latest.safetensors')), cb = loadCheckpoint(join(b, 'latest.safetensors'));
  assert.equal(cb.step, 6);
  for (const [name, t] of Object.entries(ca.model)) assert.deepEqual(cb.model[name].data, t.data, name);
});

test('chargpt: --resume refuses another configuration and overwrites nothing', async () => {
  const out = join(dir, 'refuse');
  await runChargpt(flags([...tiny, '-o', out, '--max-iters', '2', '--eval-interval', '100']));
  const before = readFileSync(join(out, 'latest.safetensors')), metricsBefore = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
  await assert.rejects(runChargpt(flags([...tiny.map((x) => (x === '16' ? '32' : x)), '-o', out, '--max-iters', '4', '--resume'])), /another configuration: .* is .* there but .* now/);
  await assert.rejects(runChargpt(flags([...tiny, '-o', out, '--max-iters', '4', '--resume', '--attention', 'mqa'])), /attention is "mha" there but "mqa" now/);
  assert.deepEqual(readFileSync(join(out, 'latest.safetensors')), before);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), metricsBefore);
});

test('chargpt: one clear error for each bad input', async () => {
  const empty = join(dir, 'empty.txt'), short = join(dir, 'short.txt');
  writeFileSync(empty, '');
  writeFileSync(short, 'To be, or not to be');
  const run = (argv: string[]) => runChargpt(flags([...tiny, '-o', join(dir, 'errors'), '--max-iters', '1', ...argv]));
  const cases: [string[], RegExp][] = [
    [['-i', join(dir, 'missing.txt')], /does not exist/],
    [['-i', empty], /is empty/],
    [['-i', short], /too short: 19 characters.*block_size \+ 1 = 17/],
    [['--prompt', 'ZEBRA'], /character "Z", which is not in the training text's vocabulary/],
    [['--n-embd', '15'], /--n-embd 15 is not divisible by --n-head 2/],
    [['--attention', 'gqa', '--n-kv-head', '3'], /--n-kv-head 3 must divide --n-head 2/],
    [['--attention', 'mla', '--rope-dim', '3'], /--rope-dim 3 must be even/],
    [['--attention', 'mla', '--kv-rank', '64'], /--kv-rank 64 is larger than/],
    [['--n-kv-head', '1'], /--n-kv-head is for --attention gqa/],
    [['--resume', '-o', join(dir, 'nothing-here')], /no checkpoint at/],
  ];
  for (const [argv, re] of cases) {
    await assert.rejects(run(argv), (e: unknown) => e instanceof GradpathError && re.test((e as Error).message), `${argv.join(' ')} should fail with ${re}`);
  }
  assert.throws(() => flags(['--n-head', 'x']), /expects an integer/);
});
