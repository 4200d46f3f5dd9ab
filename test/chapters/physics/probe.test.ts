import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '../../../src/util/random.js';
import { bioVocab, buildModel, hiddenStates, LAST_NAMES, linearProbe, makeBiographies, makePeople, parseAugment, PRESET_CONFIGS, probeKnowledge, runKnowledge, majorityBaseline } from '../../../src/chapters/physics/index.js';
import { tensor } from '../../../src/engine/ops/create.js';
import { loadCheckpoint } from '../../../src/io/checkpoint.js';
import { addLoRA } from '../../../src/chapters/physics/model.js';

test('linear probe: finds a planted linear signal, and not one that is absent', () => {
  const gen = new Generator(3);
  const n = 400, d = 16, K = 5;
  const x = Float32Array.from({ length: n * d }, () => gen.normal());
  const w = Float32Array.from({ length: d * K }, () => gen.normal());
  const planted = new Int32Array(n), noise = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, bestScore = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[i * d + j] * w[j * K + k];
      if (s > bestScore) [best, bestScore] = [k, s];
    }
    planted[i] = best;
    noise[i] = gen.randint(0, K);
  }
  const train = Array.from({ length: 300 }, (_, i) => i), test = Array.from({ length: 100 }, (_, i) => 300 + i);
  const task = { fields: [{ name: 'planted', classes: K, labels: planted }, { name: 'noise', classes: K, labels: noise }] };
  const acc = linearProbe(x, d, task, train, test, { steps: 200 });
  assert.ok(acc.planted > 0.85, `planted signal read: ${acc.planted}`);
  assert.ok(acc.noise < 0.4, `no signal, no reading: ${acc.noise}`);
  const maj = majorityBaseline(task, train, test);
  assert.ok(maj.noise < 0.4 && maj.noise > 0);
});

test('linear probe at the preset\'s scale: 200 training people over 10 classes read a planted class signal that 100 over 30 cannot', () => {
  // the control of docs/physics.md: class means of norm 4 in 64 dimensions of unit noise, which the
  // nearest true mean classifies at over 90% in both settings; the probe must learn the means from its examples
  const read = (n: number, K: number) => {
    const gen = new Generator(5), d = 64;
    const means = Array.from({ length: K }, () => Array.from({ length: d }, () => (4 * gen.normal()) / Math.sqrt(d)));
    const labels = Int32Array.from({ length: 2 * n }, () => gen.randint(0, K));
    const x = Float32Array.from({ length: 2 * n * d }, (_, k) => means[labels[Math.floor(k / d)]][k % d] + gen.normal());
    const train = Array.from({ length: n }, (_, i) => i), test = Array.from({ length: n }, (_, i) => n + i);
    return linearProbe(x, d, { fields: [{ name: 'f', classes: K, labels }] }, train, test).f;
  };
  const preset = read(200, 10), before = read(100, 30);
  assert.ok(preset > 0.8, `200 people, 10 values: ${preset}`);
  assert.ok(before < 0.6, `100 people, 30 values: ${before} (3 examples per class are too few)`);
});

test('probeKnowledge: the Q-probe reads a value planted at the last name token; the A-probe reads the question\'s last token, not the name', () => {
  // blocks that add nothing (their output projections zeroed): every layer's state is the token's embedding plus its position
  const model = buildModel('tiny', bioVocab().size, 64, 2);
  for (const [name, p] of model.namedParameters()) if (/c_proj\.(weight|bias)$/.test(name)) p.data.fill(0);
  const people = makePeople(400, 3, 4).map((p) => ({ ...p, employer: (LAST_NAMES as readonly string[]).indexOf(p.last) % 4 })); // the employer is planted in the last name
  const bios = makeBiographies(people, parseAugment('single'), 4);
  const split = { train: people.map((_, i) => i).filter((i) => i % 2 === 0), test: people.map((_, i) => i).filter((i) => i % 2 === 1) };
  const t = probeKnowledge(model, bioVocab(), people, 4, bios, split, { steps: 200 });
  assert.equal(t.q.length, 3);
  for (const layer of t.q) assert.ok(layer.employer > 0.9, `Q-probe reads the planted employer: ${layer.employer}`);
  assert.deepEqual(Object.keys(t.a![0]).sort(), ['birth_city', 'birth_month', 'employer', 'employer_city', 'major', 'university']);
  // every question ends in the same words at the same position: without attention nothing tells the people apart there
  for (const layer of t.a!) assert.ok(layer.employer <= Math.max(...Object.values(t.majority)) + 0.15, `A-probe without attention: ${layer.employer}`);
});

test('a tiny knowledge run end to end: stages, probes, summary; --resume finds it finished', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-physics-'));
  const q = PRESET_CONFIGS.quick;
  const c = { ...q, people: 16, pretrain: { ...q.pretrain, steps: 6, evalEvery: 3 }, finetune: { ...q.finetune, steps: 4, evalEvery: 2 }, loraFinetune: { ...q.loraFinetune, steps: 3, evalEvery: 3 }, probeSteps: 20 };
  const quiet = { quiet: true, log: () => {} };
  const r = await runKnowledge(c, dir, quiet);
  assert.equal(r.interrupted, false);
  assert.equal(r.pretrainSteps, 6);
  assert.equal(r.finetuneSteps, 4);
  assert.equal(r.lora?.steps, 3);
  for (const x of [r.bioAcc, r.qaTrain, r.qaTest, r.lora!.qaTrain, r.lora!.qaTest]) assert.ok(x >= 0 && x <= 1);
  assert.equal(r.probes.q.length, 3, 'embeddings and two blocks');
  assert.equal(r.probes.a?.length, 3, 'the control at the question\'s last token, per layer');
  assert.ok(existsSync(join(dir, 'pretrain', 'latest.safetensors')) && existsSync(join(dir, 'finetune', 'best.safetensors')) && existsSync(join(dir, 'summary.json')));
  // the LoRA stage's checkpoint holds the adapters beside the frozen weights it started from
  const lora = loadCheckpoint(join(dir, 'finetune-lora', 'latest.safetensors'), { kind: 'physics-knowledge-finetune-lora' }).model;
  const pre = loadCheckpoint(join(dir, 'pretrain', 'latest.safetensors'), { kind: 'physics-knowledge-pretrain' }).model;
  assert.deepEqual(Object.keys(lora).filter((k) => k.includes('lora_')).sort(), ['h.0.attn.c_attn.lora_A', 'h.0.attn.c_attn.lora_B', 'h.1.attn.c_attn.lora_A', 'h.1.attn.c_attn.lora_B']);
  assert.deepEqual(Array.from(lora['h.1.attn.c_attn.weight'].data), Array.from(pre['h.1.attn.c_attn.weight'].data), 'LoRA starts from the pretrained weights and leaves them');
  const again = await runKnowledge(c, dir, { ...quiet, resume: true });
  assert.deepEqual(again, JSON.parse(JSON.stringify(r)), 'a finished run is read back, not trained again');
  await assert.rejects(runKnowledge(c, dir, quiet), /already holds a run/);
  await assert.rejects(runKnowledge({ ...c, people: 17 }, dir, { ...quiet, resume: true }), /another configuration \(people is 16/);
  let steps = 0;
  const cut = await runKnowledge(c, dir, { ...quiet, force: true, stopRequested: () => ++steps >= 3 });
  assert.equal(cut.interrupted, true);
  assert.ok(!existsSync(join(dir, 'summary.json')) && !existsSync(join(dir, 'finetune')), '--force leaves nothing of the replaced run');
  const resumed = await runKnowledge(c, dir, { ...quiet, resume: true });
  assert.deepEqual({ ...resumed, seconds: 0 }, { ...r, seconds: 0 }, 'interrupted and resumed: the same result as one go');
  // a run made without the LoRA finetune is continued by one that asks for it: only that stage trains
  const older = join(dir, 'older');
  await runKnowledge({ ...c, loraRank: 0 }, older, quiet);
  const pretrainLog = readFileSync(join(older, 'pretrain', 'metrics.jsonl'), 'utf8');
  assert.deepEqual({ ...(await runKnowledge(c, older, { ...quiet, resume: true })), seconds: 0 }, { ...r, seconds: 0 });
  assert.equal(readFileSync(join(older, 'pretrain', 'metrics.jsonl'), 'utf8'), pretrainLog);
  const mixed = await runKnowledge({ ...c, mixed: true }, join(dir, 'mixed'), quiet);
  assert.equal(mixed.finetuneSteps, 0);
  assert.equal(mixed.lora, undefined, 'mixed training has no finetune, full or LoRA');
  assert.ok(existsSync(join(dir, 'mixed', 'mixed', 'latest.safetensors')));
});

test('a knowledge run is deterministic per seed', async () => {
  const c = { ...PRESET_CONFIGS.quick, people: 12, pretrain: { ...PRESET_CONFIGS.quick.pretrain, steps: 4, evalEvery: 4 }, finetune: { ...PRESET_CONFIGS.quick.finetune, steps: 2, evalEvery: 2 }, probeSteps: 10 };
  const quiet = { quiet: true, log: () => {} };
  const a = await runKnowledge(c, mkdtempSync(join(tmpdir(), 'gp-physics-')), quiet);
  const b = await runKnowledge(c, mkdtempSync(join(tmpdir(), 'gp-physics-')), quiet);
  const strip = (r: typeof a) => ({ ...r, seconds: 0 });
  assert.deepEqual(strip(a), strip(b));
});

test('hiddenStates are the residual stream GPT.forward computes: its last one gives the same logits', () => {
  const model = buildModel('tiny', 50, 9, 4);
  const idx = tensor(Int32Array.from({ length: 2 * 9 }, (_, i) => (i * 7) % 50), [2, 9]);
  const states = hiddenStates(model, idx);
  assert.equal(states.length, 3);
  assert.deepEqual(states[2].shape, [2, 9, 32]);
  const viaStates = model.lm_head.forward(model.ln_f.forward(states[2])).floatValues();
  const direct = model.forward(idx).logits.floatValues();
  for (let i = 0; i < direct.length; i++) assert.ok(Math.abs(viaStates[i] - direct[i]) < 1e-5, `logit ${i}`);
});

test('addLoRA: the model computes the same at first, and trains only the adapters on q, k, v', () => {
  const model = buildModel('tiny', 50, 9, 4);
  const idx = tensor(Int32Array.from({ length: 2 * 9 }, (_, i) => (i * 5) % 50), [2, 9]);
  const before = model.forward(idx).logits.floatValues();
  addLoRA(model, 2, 1);
  assert.deepEqual(Array.from(model.forward(idx).logits.floatValues()), Array.from(before));
  assert.deepEqual(model.namedParameters().map(([n]) => n), ['h.0.attn.c_attn.lora_A', 'h.0.attn.c_attn.lora_B', 'h.1.attn.c_attn.lora_A', 'h.1.attn.c_attn.lora_B']);
  assert.throws(() => addLoRA(model, 2, 1), /already in place/);
});
