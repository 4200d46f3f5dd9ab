import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, tensor } from '../../../src/index.js';
import { GradpathError } from '../../../src/util/errors.js';
import { loadSafetensors } from '../../../src/io/safetensors.js';
import { tokenizerFromMerges } from '../../../src/chapters/gpt2/bpe.js';
import { loadBPE, trainBPE, trainedTokenizer } from '../../../src/chapters/gpt2/bpe_train.js';
import { gpt2Tokenizer } from '../../../src/chapters/gpt2/gpt2_tokenizer.js';
import { BYTE_TO_CHAR, loadHFTokenizer, saveHFTokenizer, tokenizerToHF } from '../../../src/chapters/gpt2/hf_tokenizer.js';
import { saveHFFolder } from '../../../src/chapters/gpt2/hf_export.js';
import { GPT2, type GPT2Config } from '../../../src/chapters/gpt2/model.js';
import { loadGPT2, saveHF } from '../../../src/chapters/gpt2/weights.js';

const dir = mkdtempSync(join(tmpdir(), 'gpt2-hf-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const VARIED = "Hello world! It's 2026: naïve café, 東京 and Привет 🙂😀👍\n\n\tif (x) {\n    return y;   }\n<|endoftext|>The end's near, don't you think?  12345 3.14\r\n";
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

test('hf tokenizer: the byte table maps every byte to one visible character (space Ġ, newline Ċ)', () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(BYTE_TO_CHAR[32], 'Ġ');
  assert.equal(BYTE_TO_CHAR[10], 'Ċ');
  assert.equal(BYTE_TO_CHAR[0], 'Ā');
  assert.equal(BYTE_TO_CHAR[97], 'a');
  assert.equal(BYTE_TO_CHAR[255], 'ÿ');
  assert.ok(BYTE_TO_CHAR.every((c) => !/\s/.test(c)), 'no whitespace: merges.txt separates tokens with a space');
});

test('hf tokenizer: GPT-2 as vocab.json + merges.txt (its published merge order) reads back with identical ids', () => {
  const tok = gpt2Tokenizer();
  const sub = join(dir, 'gpt2-tok');
  saveHFTokenizer(sub, tok);
  const vocab = json(join(sub, 'vocab.json')) as Record<string, number>;
  assert.equal(Object.keys(vocab).length, 50257);
  assert.equal(vocab['<|endoftext|>'], 50256);
  assert.equal(vocab['Hello'], 15496);
  assert.equal(vocab['Ġworld'], 995);
  assert.equal(vocab['!'], 0);
  const lines = readFileSync(join(sub, 'merges.txt'), 'utf8').split('\n');
  assert.equal(lines[0], '#version: 0.2');
  assert.deepEqual(lines.slice(1, 8), ['Ġ t', 'Ġ a', 'h e', 'i n', 'r e', 'o n', 'Ġt he']);
  assert.equal(lines.filter(Boolean).length, 1 + 50000);
  const cfg = json(join(sub, 'tokenizer_config.json'));
  assert.equal(cfg.eos_token, '<|endoftext|>');
  const back = loadHFTokenizer(sub);
  assert.equal(back.vocabSize, 50257);
  assert.deepEqual(back.encode(VARIED), tok.encode(VARIED));
  assert.deepEqual(back.encode(VARIED, 'none'), tok.encode(VARIED, 'none'));
  assert.equal(back.decode(back.encode(VARIED)), VARIED);
});

test('hf tokenizer: a trained BPE round-trips through the folder, its merges written as trained', () => {
  const text = 'the cat sat on the mat; the cats sat on the mats. 🙂 ok\n\n'.repeat(8);
  for (const pattern of ['gpt2', 'gpt4']) {
    const t = trainBPE(text, 300, { pattern, specialTokens: ['<|endoftext|>'] });
    const tok = trainedTokenizer(t);
    const sub = join(dir, `trained-${pattern}`);
    saveHFTokenizer(sub, tok);
    const { merges } = tokenizerToHF(tok);
    assert.equal(merges.length, t.merges.length);
    const [a, b] = t.merges[0];
    assert.equal(merges[0], `${BYTE_TO_CHAR[a]} ${BYTE_TO_CHAR[b]}`);
    const back = loadBPE(sub); // a folder is read as vocab.json + merges.txt
    assert.equal(back.pattern, tok.pattern);
    assert.deepEqual(back.specialTokens, tok.specialTokens);
    const sample = text.slice(0, 80) + '<|endoftext|>' + VARIED;
    assert.deepEqual(back.encode(sample), tok.encode(sample), pattern);
  }
});

test('hf tokenizer: two ids with the same bytes cannot be written; bad files are refused with the reason', () => {
  const [a, b, c] = [97, 98, 99];
  // 'ab', 'abc' = ab+c, 'bc', and again 'abc' = a+bc
  const tok = tokenizerFromMerges([[a, b], [256, c], [b, c], [a, 258]], null);
  assert.throws(() => tokenizerToHF(tok), (e: Error) => e instanceof GradpathError && /ids 257 and 259 are the same bytes "abc"/.test(e.message));
  const bad = join(dir, 'bad-tok');
  saveHFTokenizer(bad, trainedTokenizer(trainBPE('aaaa bbbb', 258, { pattern: 'gpt2' })));
  writeFileSync(join(bad, 'merges.txt'), '#version: 0.2\nzz yy\n');
  assert.throws(() => loadHFTokenizer(bad), /line 2 'zz yy' is not two tokens of vocab.json/);
  writeFileSync(join(bad, 'merges.txt'), '#version: 0.2\nb b\na a\n'); // 'bb' has a higher id than 'aa' here
  assert.throws(() => loadHFTokenizer(bad), /gradpath needs merged ids in merge order/);
  assert.throws(() => loadBPE(dir), /has no vocab.json and merges.txt/);
});

const tiny: GPT2Config = { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8, vocabSize: 300, paddedVocabSize: 320 };

test('hf folder: config.json has GPT2Config\'s fields, weights have HF names and shapes, and load back to the same logits', () => {
  const model = new GPT2(tiny, new Generator(5));
  const tok = trainedTokenizer(trainBPE('the cat sat on the mat. '.repeat(20), 290, { pattern: 'gpt2', specialTokens: ['<|endoftext|>'] }));
  const eot = tok.specialTokens.get('<|endoftext|>');
  assert.ok(eot !== undefined && eot < 300);
  const sub = join(dir, 'folder');
  const files = saveHFFolder(sub, model, tok);
  assert.deepEqual(readdirSync(sub).sort(), [...files].sort());
  assert.deepEqual([...files].sort(), ['config.json', 'merges.txt', 'model.safetensors', 'tokenizer_config.json', 'vocab.json']);
  const cfg = json(join(sub, 'config.json'));
  assert.deepEqual(
    [cfg.vocab_size, cfg.n_positions, cfg.n_embd, cfg.n_layer, cfg.n_head, cfg.layer_norm_epsilon, cfg.activation_function, cfg.model_type, cfg.bos_token_id, cfg.eos_token_id, cfg.tie_word_embeddings],
    [300, 8, 16, 2, 2, 1e-5, 'gelu_new', 'gpt2', eot, eot, true],
  );
  assert.deepEqual(cfg.architectures, ['GPT2LMHeadModel']);
  const { tensors, metadata } = loadSafetensors(join(sub, 'model.safetensors'));
  assert.equal(metadata.format, 'pt', 'transformers refuses safetensors without format metadata');
  const shapes = Object.fromEntries([...tensors].map(([k, v]) => [k, v.shape]));
  assert.deepEqual(shapes['wte.weight'], [300, 16], 'vocabulary unpadded');
  assert.deepEqual(shapes['wpe.weight'], [8, 16]);
  assert.deepEqual(shapes['h.1.attn.c_attn.weight'], [16, 48], 'Conv1D: (in, out)');
  assert.deepEqual(shapes['h.1.mlp.c_proj.weight'], [64, 16]);
  assert.deepEqual(shapes['ln_f.bias'], [16]);
  assert.equal(tensors.size, 4 + 2 * 12, 'wte, wpe, ln_f (2) and 12 per layer; no lm_head (tied)');
  const idx = tensor(new Int32Array([1, 5, 9, 299, 0, 3, 7, 2]), [1, 8]);
  const back = loadGPT2(join(sub, 'model.safetensors')).model; // n_head from config.json beside it
  assert.equal(back.gpt2.nHead, 2);
  // the same float32 weights, stored (in, out): BLAS may round the other layout differently
  const [got, want] = [back, model].map((m) => Array.from(m.forward(idx).logits.values()));
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= 1e-5 * (1 + Math.abs(want[i])), `logit ${i}: ${g} vs ${want[i]}`));
  const big = tokenizerFromMerges(Array.from({ length: 50 }, (_, i): [number, number] => [97, 98 + i]), null);
  assert.throws(() => saveHFFolder(join(dir, 'too-big'), model, big), /the tokenizer has 306 tokens but the model's vocabulary is 300/);
  writeFileSync(join(dir, 'a-file'), 'x');
  assert.throws(() => saveHFFolder(join(dir, 'a-file'), model, tok), /a-file is a file; -o names a folder/);
});

test('cli: gpt2 export --format hf writes the folder; -o NAME.safetensors only the weights', () => {
  const bin = fileURLToPath(new URL('../../../../bin/gradpath.js', import.meta.url));
  const src = join(dir, 'src.safetensors');
  saveHF(src, new GPT2({ nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 4, vocabSize: 50257 }, new Generator(1)));
  const out = join(dir, 'cli-hf');
  const r = spawnSync(process.execPath, [bin, 'gpt2', 'export', '--init-from', src, '-o', out, '--format', 'hf'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['config.json', 'merges.txt', 'model.safetensors', 'tokenizer_config.json', 'vocab.json']);
  assert.equal(json(join(out, 'config.json')).eos_token_id, 50256);
  const one = join(dir, 'only.safetensors');
  const r2 = spawnSync(process.execPath, [bin, 'gpt2', 'export', '--init-from', src, '-o', one, '--format', 'hf'], { encoding: 'utf8' });
  assert.equal(r2.status, 0, r2.stderr);
  assert.ok(loadSafetensors(one).tensors.has('wte.weight'));
});
