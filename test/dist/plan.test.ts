/**
 * gradpath plan's formulas on known numbers (GPT-2's parameter counts, the Playbook's ZeRO
 * memory and activation formulas, ring communication volumes), against the bytes a real
 * single-process training step holds, and its command line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { GPT } from '../../src/models/gpt.js';
import { AdamW } from '../../src/optim/adam.js';
import { Generator } from '../../src/util/random.js';
import { tensor } from '../../src/engine/ops/create.js';
import { parsePlanModel, rankParams, totalParams, stageLayers } from '../../src/dist/plan-model.js';
import { blockActivationBytes, checkLayout, commPerStep, layoutsThatFit, memoryPerRank, parseBytes, type Layout, type Workload } from '../../src/dist/plan.js';
import { GradpathError } from '../../src/util/errors.js';
import { BIN } from './mpi.js';

const work = (o: Partial<Workload> = {}): Workload => ({ microBatch: 1, seqLen: 1024, accum: 1, dtype: 'fp32', ppSchedule: '1f1b', ...o });
const layout = (o: Partial<Layout> = {}): Layout => ({ dp: 1, tp: 1, pp: 1, zero: 0, recompute: 'none', sp: false, ...o });

test('plan: Ψ of the GPT-2 family with the tied head (124,439,808 for gpt2)', () => {
  const psi = (name: string) => totalParams(parsePlanModel(name, 1024));
  assert.equal(psi('gpt2'), 124_439_808);
  assert.equal(psi('gpt2-medium'), 354_823_168);
  assert.equal(psi('gpt2-large'), 774_030_080);
  assert.equal(psi('gpt2-xl'), 1_557_611_200);
  assert.equal(psi('12,12,768'), 124_439_808); // custom with seq-len 1024 positions: the same
});

test('plan: pipeline stages hold every block once, the last stage its own copy of the tied wte', () => {
  const m = parsePlanModel('gpt2', 1024);
  for (const pp of [1, 2, 3, 5]) {
    let sum = 0, layers = 0;
    for (let s = 0; s < pp; s++) {
      sum += rankParams(m, 1, pp, s);
      layers += stageLayers(12, pp, s);
    }
    assert.equal(layers, 12);
    assert.equal(sum, totalParams(m) + (pp > 1 ? m.vocabSize * m.nEmbd : 0), `pp ${pp}`);
  }
  // tp 2: the split matrices halve, LayerNorms, row-parallel biases and wpe stay whole
  const C = 768, t = 2;
  const replicated = 12 * 6 * C + 1024 * C + 2 * C;
  assert.equal(rankParams(m, t, 1, 0), (totalParams(m) - replicated) / t + replicated);
});

test('plan: ZeRO stages follow the Playbook in fp32 (4Ψ+4Ψ+8Ψ, then /N for optimizer, grads, params)', () => {
  const m = parsePlanModel('gpt2', 1024), psi = totalParams(m), N = 4;
  const at = (zero: Layout['zero']) => memoryPerRank(m, work(), layout({ dp: N, zero }));
  const state = (x: ReturnType<typeof at>) => x.paramBytes + x.gradBytes + x.optimizerBytes;
  assert.equal(state(at(0)), 16 * psi);
  assert.equal(state(at(1)), 4 * psi + 4 * psi + (8 * psi) / N);
  assert.equal(state(at(2)), 4 * psi + (12 * psi) / N);
  assert.equal(state(at(3)), (16 * psi) / N);
  const bf16 = memoryPerRank(m, work({ dtype: 'bf16' }), layout({ dp: N, zero: 1 }));
  assert.equal(bf16.paramBytes + bf16.gradBytes + bf16.optimizerBytes, 2 * psi + 2 * psi + (12 * psi) / N);
});

test('plan: activations by s·b·h·(34 + 5·a·s/h), with tp, sp and recomputation', () => {
  const m = parsePlanModel('gpt2', 1024);
  const sbh = 1024 * 768;
  const bf16 = work({ dtype: 'bf16' });
  assert.equal(blockActivationBytes(m, bf16, layout()), sbh * (34 + (5 * 12 * 1024) / 768)); // 89,653,248
  assert.equal(blockActivationBytes(m, bf16, layout()), 89_653_248);
  assert.equal(blockActivationBytes(m, work(), layout()), 2 * 89_653_248); // fp32: twice
  assert.equal(blockActivationBytes(m, bf16, layout({ recompute: 'selective' })), 34 * sbh);
  assert.equal(blockActivationBytes(m, bf16, layout({ tp: 4 })), sbh * (10 + 24 / 4 + (5 * 12 * 1024) / (768 * 4)));
  assert.equal(blockActivationBytes(m, bf16, layout({ tp: 4, sp: true })), sbh * (34 / 4 + (5 * 12 * 1024) / (768 * 4)));
  assert.equal(blockActivationBytes(m, bf16, layout({ recompute: 'full' })), 2 * sbh);
  const mem = memoryPerRank(m, bf16, layout({ recompute: 'selective' }));
  assert.equal(mem.activationBytes, 12 * 34 * sbh);
  assert.equal(mem.activationBytesNoRecompute, 12 * 89_653_248);
});

test('plan: communication per step (ring volumes) and the bubble (p-1)/(m+p-1)', () => {
  const m = parsePlanModel('gpt2', 1024), psi = totalParams(m);
  assert.equal(commPerStep(m, work(), layout({ dp: 4 })).dpBytes, 2 * (3 / 4) * 4 * psi);
  assert.equal(commPerStep(m, work({ accum: 4 }), layout({ dp: 4, zero: 3 })).dpBytes, 3 * 4 * (3 / 4) * 4 * psi);
  const tp = commPerStep(m, work({ microBatch: 2 }), layout({ tp: 2 }));
  assert.equal(tp.tpBytes, 4 * 12 * 2 * (1 / 2) * 2 * 1024 * 768 * 4);
  const pp = commPerStep(m, work({ accum: 8 }), layout({ pp: 4 }));
  assert.equal(pp.bubble, 3 / 11);
  assert.equal(pp.ppBytes, 2 * 8 * 1024 * 768 * 4);
});

test('plan: bad layouts are one clear error each', () => {
  const m = parsePlanModel('gpt2', 1024);
  assert.throws(() => checkLayout(m, layout({ tp: 5 }), 5), /--tp 5 does not divide the 12 attention heads/);
  assert.throws(() => checkLayout(m, layout({ dp: 3 }), 4), /dp x tp x pp = 3 x 1 x 1 = 3, but --gpus is 4/);
  assert.throws(() => checkLayout(m, layout({ pp: 16 }), 16), /more stages than the 12 layers/);
  assert.throws(() => checkLayout(m, layout({ zero: 2 }), 1), /--zero 2 shards over the data-parallel ranks/);
  assert.throws(() => parsePlanModel('gpt3', 1024), GradpathError);
  assert.throws(() => parsePlanModel('12,5,768', 1024), /multiple of the heads/);
  assert.throws(() => parseBytes('lots'), /--memory must be a size/);
  assert.equal(parseBytes('80GB'), 80e9);
  assert.equal(parseBytes('1.5GiB'), 1.5 * 2 ** 30);
});

test('plan: --memory lists only layouts that fit, least recomputation and bubble first', () => {
  const m = parsePlanModel('gpt2-xl', 1024);
  const budget = 40e9;
  const fits = layoutsThatFit(m, work({ microBatch: 4, accum: 8 }), 8, budget);
  assert.ok(fits.length > 0);
  for (const f of fits) assert.ok(f.memory.totalBytes <= budget);
  for (let i = 1; i < fits.length; i++) {
    const order = ['none', 'selective', 'full'];
    assert.ok(order.indexOf(fits[i - 1].layout.recompute) <= order.indexOf(fits[i].layout.recompute));
  }
  // nothing fits in 1 GB
  assert.equal(layoutsThatFit(m, work(), 8, 1e9).length, 0);
});

test('plan: predicted parameter, gradient and Adam bytes equal a real single-process step of a tiny GPT', () => {
  const config = { vocabSize: 65, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 32 };
  const gen = new Generator(3);
  const model = new GPT(config, gen);
  const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
  const idx = tensor(Int32Array.from({ length: 2 * 16 }, (_, i) => (i * 7) % 65), [2, 16]);
  const targets = tensor(Int32Array.from({ length: 2 * 16 }, (_, i) => (i * 5 + 1) % 65), [2, 16]);
  model.forward(idx, targets).loss!.backward();
  optimizer.step();
  const params = model.parameters();
  const measured = {
    param: params.reduce((n, p) => n + p.data.byteLength, 0),
    grad: params.reduce((n, p) => n + p.grad!.data.byteLength, 0),
    adam: Object.entries(optimizer.stateDict()).filter(([k]) => k !== 'step').reduce((n, [, t]) => n + t.data.byteLength, 0),
  };
  const plan = memoryPerRank(parsePlanModel('2,4,32', 16, 65), work({ seqLen: 16 }), layout());
  assert.equal(plan.paramBytes, measured.param);
  assert.equal(plan.gradBytes, measured.grad);
  assert.equal(plan.optimizerBytes, measured.adam);
});

// ZeRO stages against the bytes a real 2-rank job holds: test/dist/zero.test.ts (checkPlan).

test('plan: the command prints the table, --json, and one line for bad input', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'plan', ...args], { encoding: 'utf8' });
  const table = run('--model', 'gpt2', '--gpus', '4', '--tp', '2', '--zero', '1');
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /Ψ = 124,439,808 parameters/);
  assert.match(table.stdout, /\| 2 +\| 2 +\| 1 +\| 1 +\| none/);
  const json = JSON.parse(run('--model', 'gpt2-xl', '--gpus', '8', '--memory', '80GB', '--json').stdout);
  assert.equal(json.model.params, 1_557_611_200);
  assert.ok(json.fits.length > 0 && json.fits.every((f: { memory: { totalBytes: number } }) => f.memory.totalBytes <= 80e9));
  const bad = run('--model', 'gpt2', '--gpus', '5', '--tp', '5');
  assert.notEqual(bad.status, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /--tp 5 does not divide the 12 attention heads/);
});
