// gradpath's side of the Hugging Face check: loads GPT-2 weights (any layout gradpath reads),
// runs the forward pass on windows of a text and writes what check.py compares against:
//   OUT/logits.bin   float32 logits (B, T, vocab), row-major
//   OUT/meta.json    B, T, vocab, the windows' token ids, and the token ids of the whole text
//                    (+ a line of varied unicode) for the tokenizer check
//   node experiments/hf-gpt2/dump.mjs WEIGHTS -i TEXT -o OUT [--encoding gpt2|FILE|DIR] [--windows B]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadGPT2 } from '../../dist/src/chapters/gpt2/weights.js';
import { gpt2Tokenizer } from '../../dist/src/chapters/gpt2/gpt2_tokenizer.js';
import { loadBPE } from '../../dist/src/chapters/gpt2/bpe_train.js';
import { Tensor, noGrad } from '../../dist/src/engine/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { input: { type: 'string', short: 'i' }, output: { type: 'string', short: 'o' }, encoding: { type: 'string', default: 'gpt2' }, windows: { type: 'string', default: '2' } },
});
if (positionals.length !== 1 || !values.input || !values.output) {
  console.error('usage: node dump.mjs WEIGHTS -i TEXT -o OUT [--encoding gpt2|FILE|DIR] [--windows B]');
  process.exit(2);
}
// text the tokenizer check adds to the file: accents, CJK, emoji, tabs, CRLF, digits, a special token
export const EXTRA = "\nnaïve café 東京 Привет 🙂😀👍 \t if (x) {\r\n    return y;   }  12345 3.14159<|endoftext|>It's done, isn't it?\n";

const { model } = loadGPT2(positionals[0]);
const tok = values.encoding === 'gpt2' ? gpt2Tokenizer() : loadBPE(values.encoding);
const text = fs.readFileSync(values.input, 'utf8');
const allIds = tok.encode(text + EXTRA);
const B = Number(values.windows), T = model.gpt2.blockSize, V = model.gpt2.vocabSize;
if (allIds.length < B * T) throw new Error(`the text has ${allIds.length} tokens; need ${B * T}`);
// windows spread over the text (the first, then evenly spaced), the last one ending in EXTRA
const windows = [];
for (let b = 0; b < B; b++) {
  const start = b === B - 1 ? allIds.length - T : Math.floor((b * (allIds.length - T)) / Math.max(1, B - 1));
  windows.push(allIds.slice(start, start + T));
}
const idx = new Tensor(Int32Array.from(windows.flat()), [B, T]);
model.eval();
const t0 = performance.now();
const logits = noGrad(() => model.forward(idx).logits); // (B, T, V)
const seconds = (performance.now() - t0) / 1000;
const data = Float32Array.from(logits.values());
fs.mkdirSync(values.output, { recursive: true });
fs.writeFileSync(path.join(values.output, 'logits.bin'), new Uint8Array(data.buffer));
fs.writeFileSync(path.join(values.output, 'meta.json'), JSON.stringify({ B, T, vocab: V, windows, text: path.resolve(values.input), extra: EXTRA, text_ids: allIds }));
console.log(`${positionals[0]}: ${model.gpt2.nLayer} layers, n_embd ${model.gpt2.nEmbd}; logits (${B}, ${T}, ${V}) in ${seconds.toFixed(2)} s; ${allIds.length} token ids of the text; wrote ${values.output}`);
