import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, Tensor } from '../../../src/index.js';
import { loadSafetensors } from '../../../src/io/safetensors.js';
import { buildModel, type TransformerConfig } from '../../../src/chapters/transformers/model.js';
import { loadChargpt, nanoGPTState, saveNanoGPT } from '../../../src/chapters/transformers/export.js';

const dir = mkdtempSync(join(tmpdir(), 'gp-export-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const base: TransformerConfig = { vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0.1, bias: false, attention: 'mha', pos: 'learned' };

test("export nanogpt: nanoGPT's names and (out, in) shapes, lm_head written as wte, GPTConfig and meta.json", () => {
  for (const bias of [false, true]) {
    const { model, config } = buildModel({ ...base, bias }, new Generator(2));
    const out = join(dir, `nanogpt-${bias}`);
    const files = saveNanoGPT(out, model, config, 'abcdefghij\n');
    assert.deepEqual(readdirSync(out).sort(), [...files].sort());
    const { tensors, metadata } = loadSafetensors(join(out, 'model.safetensors'));
    assert.equal(metadata.format, 'pt');
    const shapes = Object.fromEntries([...tensors].map(([k, v]) => [k, v.shape]));
    assert.deepEqual(shapes['transformer.wte.weight'], [11, 16]);
    assert.deepEqual(shapes['transformer.wpe.weight'], [8, 16]);
    assert.deepEqual(shapes['transformer.h.1.attn.c_attn.weight'], [48, 16], 'nn.Linear: (out, in)');
    assert.deepEqual(shapes['transformer.h.1.attn.c_proj.weight'], [16, 16]);
    assert.deepEqual(shapes['transformer.h.0.mlp.c_fc.weight'], [64, 16]);
    assert.deepEqual(shapes['transformer.h.0.mlp.c_proj.weight'], [16, 64]);
    assert.deepEqual(shapes['lm_head.weight'], [11, 16]);
    assert.deepEqual(Array.from(tensors.get('lm_head.weight')!.data), Array.from(tensors.get('transformer.wte.weight')!.data));
    assert.equal('transformer.h.0.ln_1.bias' in shapes, bias, 'LayerNorm biases exactly when bias is set (nanoGPT\'s LayerNorm)');
    assert.equal('transformer.h.0.attn.c_attn.bias' in shapes, bias);
    // 2 embeddings + head + ln_f + per layer (ln_1, c_attn, c_proj, ln_2, c_fc, c_proj), each with a bias or not
    assert.equal(tensors.size, 3 + (bias ? 2 : 1) + 2 * 6 * (bias ? 2 : 1));
    assert.ok([...tensors.keys()].every((k) => k === 'lm_head.weight' || k.startsWith('transformer.')));
    const w = tensors.get('transformer.h.1.attn.c_attn.weight')!.data;
    assert.deepEqual(Array.from(w), Array.from(model.stateDict()['h.1.attn.c_attn.weight'].values()), 'not transposed');
    assert.deepEqual(json(join(out, 'config.json')), { block_size: 8, vocab_size: 11, n_layer: 2, n_head: 2, n_embd: 16, dropout: 0.1, bias });
    const meta = json(join(out, 'meta.json'));
    assert.equal(meta.vocab_size, 11);
    assert.equal(meta.itos['10'], '\n');
    assert.equal(meta.stoi.c, 2);
  }
});

test('export nanogpt: attention designs and positions nanoGPT lacks are refused with the flag to change', () => {
  const refuse = (c: Partial<TransformerConfig>, re: RegExp) => {
    const { model, config } = buildModel({ ...base, ...c }, new Generator(1));
    assert.throws(() => saveNanoGPT(join(dir, 'refused'), model, config, 'abcdefghij\n'), re);
  };
  refuse({ attention: 'gqa', nKvHead: 1 }, /uses --attention gqa; nanoGPT's GPT has multi-head attention only/);
  refuse({ attention: 'mla', pos: 'rope' }, /--attention mla/);
  refuse({ pos: 'rope' }, /rotary positions; .* \(train with --pos learned\)/);
  const { model, config } = buildModel(base, new Generator(1));
  assert.throws(() => saveNanoGPT(join(dir, 'refused'), model, config, 'abc'), /the vocabulary has 3 characters but the model 11 rows/);
  writeFileSync(join(dir, 'a-file'), 'x');
  assert.throws(() => saveNanoGPT(join(dir, 'a-file'), model, config, 'abcdefghij\n'), /a-file is a file; -o names the folder/);
});

test('cli: chargpt export from a run directory; the state keys are the model\'s', () => {
  const bin = fileURLToPath(new URL('../../../../bin/gradpath.js', import.meta.url));
  const text = join(dir, 'text.txt');
  writeFileSync(text, 'the cat sat on the mat. '.repeat(30));
  const run = join(dir, 'run');
  const gp = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  const tr = gp(['chargpt', '-i', text, '--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '8', '--batch-size', '4', '--max-iters', '2', '--eval-iters', '1', '--num-samples', '0', '--quiet', '-o', run]);
  assert.equal(tr.status, 0, tr.stderr);
  const out = join(dir, 'cli-nanogpt');
  const ex = gp(['chargpt', 'export', '--init-from', run, '-o', out]);
  assert.equal(ex.status, 0, ex.stderr);
  assert.match(ex.stdout, /best\.safetensors \(iteration 2\) -> nanogpt/);
  const { model, config } = loadChargpt(run);
  assert.equal(config.vocab, ' .acehmnost');
  const keys = [...loadSafetensors(join(out, 'model.safetensors')).tensors.keys()].sort();
  assert.deepEqual(keys, Object.keys(nanoGPTState(model)).sort());
  const logits = model.forward(new Tensor(Int32Array.from([1, 2, 3]), [1, 3])).logits;
  assert.deepEqual(logits.shape, [1, 3, 11]);
  const missing = gp(['chargpt', 'export', '--init-from', join(dir, 'nothing'), '-o', out]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nothing does not exist; pass a chargpt run directory/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
});
