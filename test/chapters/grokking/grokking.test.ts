import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, GradpathError, randn, tensor } from '../../../src/index.js';
import {
  apply, buildModel, checkTask, embeddingSpectrum, evaluate, makeDataset, modInverse, PRESET_CONFIGS, setupRun, splitDataset, train,
} from '../../../src/chapters/grokking/index.js';
import { main } from '../../../src/cli/main.js';

test('dataset: every pair once, labelled with the operation', () => {
  const d = makeDataset('add', 7);
  assert.equal(d.n, 49);
  const seen = new Set<string>();
  for (let i = 0; i < d.n; i++) {
    const [a, b, eq] = d.inputs.subarray(3 * i, 3 * i + 3);
    assert.equal(eq, 7, "the third token is '=' (id p)");
    assert.equal(d.labels[i], (a + b) % 7);
    seen.add(`${a},${b}`);
  }
  assert.equal(seen.size, 49);
  assert.equal(makeDataset('sub', 5).labels[1 * 5 + 3], 3, '1 - 3 = -2 = 3 mod 5');
  assert.equal(apply('sq_add_ab', 2, 3, 7), (4 + 6 + 9) % 7);
});

test('split: seeded, disjoint, complete, of the chosen size', () => {
  const d = makeDataset('mul', 11);
  const a = splitDataset(d, 0.3, 5), b = splitDataset(d, 0.3, 5), c = splitDataset(d, 0.3, 6);
  assert.deepEqual(a.trainIdx, b.trainIdx);
  assert.notDeepEqual(a.trainIdx, c.trainIdx);
  assert.equal(a.trainIdx.length, Math.round(0.3 * 121));
  const all = [...a.trainIdx, ...a.valIdx].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 121 }, (_, i) => i));
  assert.deepEqual(a.x.shape, [a.trainIdx.length, 3]);
  assert.deepEqual(a.yVal.shape, [a.valIdx.length]);
});

test('division uses modular inverses (b != 0)', () => {
  assert.equal(modInverse(3, 7), 5);
  const p = 13;
  const d = makeDataset('div', p);
  assert.equal(d.n, p * (p - 1));
  for (let i = 0; i < d.n; i++) {
    const a = d.inputs[3 * i], b = d.inputs[3 * i + 1];
    assert.notEqual(b, 0);
    assert.equal((d.labels[i] * b) % p, a, `${a} / ${b} = ${d.labels[i]} mod ${p}`);
  }
});

test('errors: non-prime division, training fraction outside (0, 1), unknown operation', () => {
  assert.throws(() => checkTask('div', 12, 0.3), (e) => e instanceof GradpathError && /prime/.test(e.message));
  for (const f of [0, 1, 1.5, -0.2]) assert.throws(() => checkTask('add', 13, f), (e) => e instanceof GradpathError && /train-frac/.test(e.message));
  assert.throws(() => checkTask('pow', 13, 0.3), (e) => e instanceof GradpathError && /unknown operation 'pow'/.test(e.message));
  assert.doesNotThrow(() => checkTask('div', 13, 0.3));
});

test('CLI errors are one line and exit 2', async () => {
  const lines: string[] = [];
  const orig = console.error;
  console.error = (m: string) => lines.push(m);
  try {
    assert.equal(await main(['grokking', '--op', 'div', '--p', '12']), 2);
    assert.equal(await main(['grokking', '--train-frac', '1.2']), 2);
    assert.equal(await main(['grokking', '--op', 'pow']), 2);
  } finally {
    console.error = orig;
  }
  assert.equal(lines.length, 3);
  assert.match(lines[0], /12 is not prime/);
  assert.match(lines[1], /strictly between 0 and 1/);
  assert.match(lines[2], /--op must be one of/);
  assert.ok(lines.every((l) => !l.includes('\n')));
});

test('Fourier analysis finds the frequency of a planted embedding', () => {
  const p = 23, d = 16, k = 5;
  const gen = new Generator(3);
  const u = randn([d], { generator: gen }).floatValues(), v = randn([d], { generator: gen }).floatValues();
  const noise = randn([p + 1, d], { generator: gen }).floatValues();
  const w = new Float32Array((p + 1) * d);
  for (let a = 0; a <= p; a++) {
    for (let j = 0; j < d; j++) {
      w[a * d + j] = Math.cos((2 * Math.PI * k * a) / p) * u[j] + Math.sin((2 * Math.PI * k * a) / p) * v[j] + 0.05 * noise[a * d + j];
    }
  }
  const s = embeddingSpectrum(tensor(w, [p + 1, d]), p);
  assert.deepEqual(s.keyFrequencies, [k]);
  assert.ok(s.keyShare > 0.95, `share ${s.keyShare}`);
  // a random embedding has no key frequency: its energy is spread out
  const r = embeddingSpectrum(randn([p + 1, 64], { generator: gen }), p);
  assert.deepEqual(r.keyFrequencies, []);
});

test('models: both architectures give (B, p) logits and train', () => {
  const gen = new Generator(1);
  for (const arch of ['nanda', 'power'] as const) {
    const m = buildModel({ arch, p: 7, dModel: 16, nHeads: 4, dMlp: 64 }, gen);
    const y = m.forward(tensor(new Int32Array([1, 2, 7, 3, 4, 7]), [2, 3]));
    assert.deepEqual(y.shape, [2, 7]);
    assert.deepEqual(m.embeddingMatrix().shape, [8, 16]);
  }
});

test('a reduced quick preset reaches 100% training accuracy', () => {
  const cfg = { ...PRESET_CONFIGS.quick, p: 11, trainFrac: 0.5, epochs: 400, evalEvery: 50, stopAfterGrok: 0 };
  const s = setupRun(cfg);
  let at: number | null = null;
  const r = train(s, { onEpoch: (e) => { if (at === null && e.trainAcc === 1) at = e.epoch; }, interrupted: () => at !== null });
  assert.ok(at !== null, `training accuracy after ${r.epochsRun} epochs: ${r.history.at(-1)?.trainAcc}`);
  // measured again after that epoch's update (a large step may flip an example or two)
  assert.ok(evaluate(s.model, s.split.x, s.split.y).acc >= 0.95);
});

test('CLI: a tiny run writes metrics, pictures and a JSON last line', async () => {
  const out = mkdtempSync(join(tmpdir(), 'gp-grok-'));
  const logs: string[] = [];
  const orig = console.log;
  console.log = (m: string) => logs.push(m);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.equal(await main(['grokking', '--preset', 'quick', '--p', '7', '--epochs', '20', '--eval-every', '5', '--out', out, '--json', '--compare-wd']), 0);
  } finally {
    console.log = orig;
    process.stderr.write = origErr;
  }
  const j = JSON.parse(logs.at(-1)!);
  for (const key of ['p', 'op', 'train_frac', 'train_99_epoch', 'val_99_epoch', 'final_val_acc', 'key_frequencies', 'seconds']) assert.ok(key in j, key);
  assert.equal(j.p, 7);
  assert.ok('wd0' in j);
  for (const f of ['curves.svg', 'spectrum.svg', 'wd1/metrics.jsonl', 'wd0/metrics.jsonl', 'wd1/latest.safetensors']) assert.ok(existsSync(join(out, f)), f);
  assert.match(readFileSync(join(out, 'curves.svg'), 'utf8'), /^<svg/);
  const events = readFileSync(join(out, 'wd0', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(events.some((e) => e.split === 'val' && typeof e.param_norm === 'number'));
});

test('Ctrl-C saves the state; --resume continues from it', async () => {
  const { setInterruptRequested } = await import('../../../src/util/interrupt.js');
  const out = mkdtempSync(join(tmpdir(), 'gp-grok-resume-'));
  const orig = console.log;
  console.log = () => {};
  const origErr = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  let first: number, second: number;
  try {
    setInterruptRequested(true); // as if Ctrl-C arrived during the first epoch
    first = await main(['grokking', '--preset', 'quick', '--p', '7', '--epochs', '12', '--eval-every', '4', '--out', out]);
    setInterruptRequested(false);
    second = await main(['grokking', '--preset', 'quick', '--p', '7', '--epochs', '12', '--eval-every', '4', '--out', out, '--resume']);
  } finally {
    console.log = orig;
    process.stderr.write = origErr;
    setInterruptRequested(false);
  }
  assert.equal(first, 130);
  assert.equal(second, 0);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.epochsRun, 12);
  const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.split === 'val').map((e) => e.step);
  assert.deepEqual(steps, [1, 4, 8, 12]);
});
