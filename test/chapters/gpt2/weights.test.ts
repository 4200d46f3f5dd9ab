import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, tensor } from '../../../src/index.js';
import { GradpathError } from '../../../src/util/errors.js';
import { loadSafetensors, saveSafetensors, type TensorData } from '../../../src/io/safetensors.js';
import { GPT2, type GPT2Config } from '../../../src/chapters/gpt2/model.js';
import { loadGPT2, saveHF, saveLLMC, stateToHF, transpose2d, readLLMC } from '../../../src/chapters/gpt2/weights.js';

const tiny: GPT2Config = { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8, vocabSize: 50, paddedVocabSize: 64 };
const dir = mkdtempSync(join(tmpdir(), 'gpt2-weights-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function randomModel(cfg = tiny, seed = 3): GPT2 {
  const m = new GPT2(cfg, new Generator(seed));
  // biases and layer norms start at 0/1: make them random so a misplaced one would show
  const g = new Generator(seed + 100);
  for (const [name, p] of m.namedParameters()) {
    const d = p.data as Float32Array;
    if (name === 'wte.weight') for (let i = 0; i < cfg.vocabSize * cfg.nEmbd; i++) d[i] = 0.1 * g.normal();
    else for (let i = 0; i < d.length; i++) d[i] = (name.includes('ln') && name.endsWith('weight') ? 1 : 0) + 0.1 * g.normal();
  }
  return m;
}

const idx = tensor(new Int32Array([1, 5, 9, 49, 0, 3, 7, 2, 11, 22, 33, 44, 4, 6, 8, 10]), [2, 8]);
const logitsOf = (m: GPT2) => Array.from(m.forward(idx).logits.values());
/** The same float32 weights in another layout: BLAS may round a transposed operand differently, so logits agree to float rounding, not bit for bit. */
const SAME = 1e-5;
function assertClose(a: number[], b: number[], tol: number, what: string) {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= tol, `${what}: max |diff| ${worst} > ${tol}`);
}

test('weights: Hugging Face layout round-trips, Conv1D weights stored transposed', () => {
  const src = randomModel();
  const path = join(dir, 'model.safetensors');
  saveHF(path, src);
  const file = loadSafetensors(path).tensors;
  const attn = file.get('h.0.attn.c_attn.weight')!;
  assert.deepEqual(attn.shape, [16, 48], 'HF keeps Conv1D weights as (in, out)');
  assert.deepEqual(Array.from(attn.data), Array.from(transpose2d(src.h[0].attn.c_attn.weight.data as Float32Array, 48, 16)));
  assert.deepEqual(file.get('wte.weight')!.shape, [50, 16], 'exported vocabulary is unpadded');
  const { model, format, config } = loadGPT2(path, { expect: tiny });
  assert.equal(format, 'hf');
  assert.equal(config.paddedVocabSize, 64);
  assertClose(logitsOf(model), logitsOf(src), SAME, 'logits');
  // without an expected configuration, the shapes and the n_head metadata give it
  const inferred = loadGPT2(path).model;
  assert.equal(inferred.gpt2.nHead, 2);
  assertClose(logitsOf(inferred), logitsOf(src), SAME, 'logits');
});

test('weights: an HF file with the transformer. prefix, attn.bias buffers and lm_head loads', () => {
  const src = randomModel();
  const hf = stateToHF(src);
  const tensors: Record<string, TensorData> = {};
  for (const [k, v] of Object.entries(hf)) tensors[`transformer.${k}`] = v;
  for (let l = 0; l < 2; l++) {
    tensors[`transformer.h.${l}.attn.bias`] = { shape: [1, 1, 8, 8], data: new Float32Array(64).fill(1) };
    tensors[`transformer.h.${l}.attn.masked_bias`] = { shape: [], data: Float32Array.of(-1e4) };
  }
  tensors['lm_head.weight'] = hf['wte.weight'];
  const path = join(dir, 'prefixed.safetensors');
  saveSafetensors(path, tensors); // no n_head metadata: comes from --n-head
  assert.throws(() => loadGPT2(path), /number of heads/);
  assertClose(logitsOf(loadGPT2(path, { nHead: 2 }).model), logitsOf(src), SAME, 'logits');
});

test('weights: llm.c layout round-trips (float32 exactly, bfloat16 closely) and follows its order', () => {
  const src = randomModel();
  const path = join(dir, 'gpt2_tiny.bin');
  saveLLMC(path, src);
  const bytes = readFileSync(path);
  const h = new Int32Array(bytes.buffer, bytes.byteOffset, 8);
  assert.deepEqual(Array.from(h), [20240326, 3, 8, 50, 2, 2, 16, 64]);
  // hand-computed offset of qkvb for layer 1: wte, wpe, ln1w, ln1b, qkvw (all layers), then layer 0's qkvb
  const C = 16, floats = 64 * C + 8 * C + 2 * C + 2 * C + 2 * 3 * C * C + 3 * C;
  const qkvb1 = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 1024 + floats * 4, bytes.byteOffset + 1024 + (floats + 3 * C) * 4));
  assert.deepEqual(Array.from(qkvb1), Array.from(src.h[1].attn.c_attn.bias!.data));
  const { model, format } = loadGPT2(path);
  assert.equal(format, 'llmc');
  assertClose(logitsOf(model), logitsOf(src), SAME, 'logits');
  const unpadded = loadGPT2(path, { expect: { ...tiny, paddedVocabSize: 50 } }).model;
  assertClose(logitsOf(unpadded), logitsOf(src), SAME, 'padding rows are a storage detail');

  saveLLMC(join(dir, 'bf16.bin'), src, { bf16: true });
  const bf = readLLMC(join(dir, 'bf16.bin'));
  assert.equal(bf.version, 5);
  assertClose(logitsOf(loadGPT2(join(dir, 'bf16.bin')).model), logitsOf(src), 0.05, 'bf16 logits');
});

test('weights: a configuration mismatch names the tensor and both shapes; corrupt llm.c files are refused', () => {
  const path = join(dir, 'mismatch.safetensors');
  saveHF(path, randomModel());
  assert.throws(() => loadGPT2(path, { expect: { ...tiny, nEmbd: 32 } }),
    (e: Error) => e instanceof GradpathError && /'wte.weight' has shape \[64, 16\].*expects \[64, 32\]/.test(e.message));
  assert.throws(() => loadGPT2(path, { expect: { ...tiny, nLayer: 3 } }), /missing tensor 'h.2.ln_1.weight'/);
  assert.throws(() => loadGPT2(path, { expect: { ...tiny, nLayer: 1 } }), /unexpected tensor 'h.1/);

  const good = join(dir, 'good.bin');
  saveLLMC(good, randomModel());
  const bytes = readFileSync(good);
  writeFileSync(join(dir, 'trunc.bin'), bytes.subarray(0, bytes.length - 4));
  assert.throws(() => loadGPT2(join(dir, 'trunc.bin')), /truncated/);
  const wrongVersion = Buffer.from(bytes);
  wrongVersion.writeInt32LE(4, 4);
  writeFileSync(join(dir, 'v4.bin'), wrongVersion);
  assert.throws(() => loadGPT2(join(dir, 'v4.bin')), /version 4/);
  assert.throws(() => loadGPT2(join(dir, 'missing.bin')), /does not exist/);
});
