// gradpath's side of the nanoGPT check: loads a chargpt run (or checkpoint), runs its forward pass
// on B windows of the text it was trained on, and writes OUT/logits.bin (float32 (B, T, vocab))
// and OUT/meta.json (B, T, vocab, the windows' ids) for check.py.
//   node experiments/nanogpt-export/dump.mjs RUN_DIR|FILE -i TEXT -o OUT [--windows B]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadChargpt } from '../../dist/src/chapters/transformers/export.js';
import { Tensor, noGrad } from '../../dist/src/engine/index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { input: { type: 'string', short: 'i' }, output: { type: 'string', short: 'o' }, windows: { type: 'string', default: '4' } } });
if (positionals.length !== 1 || !values.input || !values.output) {
  console.error('usage: node dump.mjs RUN_DIR|FILE -i TEXT -o OUT [--windows B]');
  process.exit(2);
}
const { model, config, file, step } = loadChargpt(positionals[0]);
const chars = Array.from(config.vocab);
const index = new Map(chars.map((c, i) => [c, i]));
const text = Array.from(fs.readFileSync(values.input, 'utf8'));
const B = Number(values.windows), T = config.blockSize;
const windows = [];
for (let b = 0; b < B; b++) {
  const start = Math.floor((b * (text.length - T)) / Math.max(1, B - 1)); // spread over the text, the last at its end
  windows.push(text.slice(start, start + T).map((c) => {
    if (!index.has(c)) throw new Error(`character ${JSON.stringify(c)} is not in the model's vocabulary`);
    return index.get(c);
  }));
}
model.eval();
const logits = noGrad(() => model.forward(new Tensor(Int32Array.from(windows.flat()), [B, T])).logits); // (B, T, V)
const data = Float32Array.from(logits.values());
fs.mkdirSync(values.output, { recursive: true });
fs.writeFileSync(path.join(values.output, 'logits.bin'), new Uint8Array(data.buffer));
fs.writeFileSync(path.join(values.output, 'meta.json'), JSON.stringify({ B, T, vocab: config.vocabSize, windows }));
console.log(`${file} (iteration ${step}): logits (${B}, ${T}, ${config.vocabSize}); wrote ${values.output}`);
