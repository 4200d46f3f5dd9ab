import '../shims/process.js';
import { attentionSvg } from '../../../src/chapters/transformers/svg.js';
import { kvFormulas, resolveConfig, type AttentionKind } from '../../../src/chapters/transformers/model.js';
import { h } from '../ui/dom.js';
import { layout } from '../ui/layout.js';
import { LineChart } from '../ui/chart.js';
import { Trainer, isolationNote, format } from '../ui/trainer.js';
import { fileDrop } from '../ui/drop.js';
import type { AttentionAnswer, SampleView } from '../worker/jobs/transformers.js';

const main = layout('transformers', 'Transformers and MLA',
  'A character-level GPT trains on the text below: it learns to predict the next character from the ones before, through self-attention. Type a prompt to see where each head looks. The attention design (MHA, GQA, MQA or DeepSeek\'s multi-head latent attention) sets how much each token costs in the KV cache.');

const params = new URLSearchParams(location.search);
const textArea = h('textarea', { rows: 8, id: 'text', 'aria-label': 'training text', placeholder: 'Paste a text to train on (a few thousand characters or more), or open a file.' });
textArea.value = params.get('text') ?? '';
const textNote = h('p', { class: 'note', id: 'text-note' });
const updateNote = () => (textNote.textContent = `${Array.from(textArea.value).length.toLocaleString('en')} characters, ${new Set(textArea.value).size} distinct. 90% trains, 10% validates.`);
textArea.addEventListener('input', updateNote);

const lossChart = new LineChart({ title: 'loss', series: ['batch', 'train', 'validation'], dashes: [undefined, [6, 3], undefined] });
const sampleBox = h('pre', { class: 'samples', id: 'sample' }, 'A sample appears at each evaluation.');
const promptInput = h('input', { type: 'text', size: 40, id: 'prompt', 'aria-label': 'prompt' });
promptInput.value = params.get('prompt') ?? '';
const attentionBox = h('div', { class: 'svgbox', id: 'attention' }, 'Train the model (a few steps are enough to start), then type a prompt: its attention maps, one per layer and head, appear here.');
const kvTable = h('div', { id: 'kv' });

const trainer = new Trainer({
  job: 'transformers',
  fields: [
    { name: 'attention', label: 'attention', kind: 'choice', default: 'mha', choices: ['mha', 'gqa', 'mqa', 'mla'] },
    { name: 'nLayer', label: 'layers', kind: 'int', default: 2, min: 1, max: 12 },
    { name: 'nHead', label: 'heads', kind: 'int', default: 4, min: 1, max: 16 },
    { name: 'nEmbd', label: 'channels', kind: 'int', default: 64, min: 8, max: 768 },
    { name: 'blockSize', label: 'block', kind: 'int', default: 32, min: 2, max: 512 },
    { name: 'batch', label: 'batch', kind: 'int', default: 16, min: 1, max: 256 },
    { name: 'steps', label: 'steps', kind: 'int', default: 1000, min: 1, max: 100000 },
    { name: 'lr', label: 'learning rate', kind: 'float', default: 1e-3, min: 0 },
    { name: 'evalEvery', label: 'evaluate every', kind: 'int', default: 100, min: 1 },
    { name: 'seed', label: 'seed', kind: 'int', default: 1337, min: 0 },
  ],
  text: () => textArea.value,
  onStart: () => (lossChart.reset(), (sampleBox.textContent = 'A sample appears at each evaluation.')),
  onRecords: (records) => {
    for (const r of records) lossChart.add(r.step, [r.loss, r.train_loss, r.val_loss]);
  },
  onView: (v) => {
    const view = v as SampleView;
    sampleBox.textContent = `after step ${view.step}:\n${view.sample}`;
    void showAttention();
  },
});

async function showAttention(): Promise<void> {
  if (!trainer.running || promptInput.value === '') return;
  const a = (await trainer.ask({ prompt: promptInput.value })) as AttentionAnswer | null;
  if (!a) return;
  if (a.error) return void (attentionBox.textContent = a.error);
  attentionBox.innerHTML = attentionSvg({ maps: a.maps, labels: a.labels, title: `attention for ${JSON.stringify(a.labels.join(''))}` }, 12);
  attentionBox.dataset.prompt = a.labels.join('');
}
promptInput.addEventListener('change', () => void showAttention());

function showKv(): void {
  const s = trainer.settings();
  try {
    const c = resolveConfig({ vocabSize: 65, blockSize: Number(s.blockSize), nLayer: Number(s.nLayer), nHead: Number(s.nHead), nEmbd: Number(s.nEmbd), attention: String(s.attention) as AttentionKind });
    const rows = kvFormulas(c), mha = rows[0].elements;
    // the design being trained is marked; the others are what the same sizes would cost with them
    kvTable.replaceChildren(h('table', { class: 'path' },
      h('thead', {}, h('tr', {}, h('th', { text: 'design' }), h('th', { text: 'elements per token per layer' }), h('th', { text: `for ${c.blockSize} tokens x ${c.nLayer} layers (float32)` }), h('th', { text: 'vs MHA' }))),
      h('tbody', {}, ...rows.map((r) => {
        const current = r.name.toLowerCase() === c.attention;
        return h('tr', { 'data-design': r.name, 'data-elements': r.elements, 'data-current': current },
          h('td', { text: current ? `${r.name} (training)` : r.name }), h('td', { class: 'mono', text: `${r.formula} = ${r.elements}` }),
          h('td', { text: `${format((r.elements * c.blockSize * c.nLayer * 4) / 1024)} KiB` }), h('td', { text: `${format(r.elements / mha)}x` }));
      }))));
  } catch (err) {
    kvTable.textContent = (err as Error).message;
  }
}
trainer.el.addEventListener('input', showKv);

// The engine's speed in this browser: the small GPT step of `gradpath bench train`.
const speedChart = new LineChart({ title: 'small GPT training step (ms)', series: ['step ms'], height: 160 });
const speedResult = h('p', { class: 'status', id: 'speed-result' });
let stepTimes: number[] = [];
const speed = new Trainer({
  job: 'speed', keys: false, id: 'speed-status', startLabel: 'Time it',
  fields: [
    { name: 'benchSteps', label: 'timed steps', kind: 'int', default: 20, min: 1, max: 1000 },
    { name: 'threads', label: 'threads (0: all)', kind: 'int', default: 0, min: 0, max: 64 },
  ],
  lossKey: 'step_ms',
  onStart: () => (speedChart.reset(), (stepTimes = []), (speedResult.textContent = '')),
  onRecords: (records) => {
    for (const r of records) {
      if (r.step_ms === undefined) continue;
      speedChart.add(r.step - 1, [r.step_ms]);
      stepTimes.push(r.step_ms);
    }
    const sorted = [...stepTimes].sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    speedResult.textContent = `median ${median.toFixed(1)} ms per step over ${sorted.length} timed steps (${Math.round((12 * 64) / (median / 1000)).toLocaleString('en')} tokens/s)`;
    speedResult.dataset.medianMs = String(median);
    speedResult.dataset.steps = String(sorted.length);
  },
});

/** Tiny Shakespeare, when the lab's server has it on its machine ($GRADPATH_DATA_DIR or the CLI's download cache). */
async function loadShakespeare(): Promise<void> {
  try {
    const available = (await (await fetch('./api/data')).json()) as string[];
    if (!available.includes('tinyshakespeare.txt')) throw new Error('not here');
    const text = await (await fetch('./api/data/tinyshakespeare.txt')).text();
    if (textArea.value === '') textArea.value = text; // never over what the learner typed meanwhile
    updateNote();
  } catch {
    if (textArea.value === '') textNote.textContent = 'Paste a text, or open a file. (`gradpath lab` offers Tiny Shakespeare when it is in $GRADPATH_DATA_DIR or the download cache of `gradpath chargpt`.)';
  }
}

main.append(isolationNote(), textArea, h('div', { class: 'controls' }, fileDrop('a text file', (text) => ((textArea.value = text), updateNote()))), textNote, trainer.el,
  h('div', { class: 'grid' }, h('div', { class: 'panel' }, lossChart.el), h('div', { class: 'panel' }, h('h2', { text: 'Sample' }), sampleBox)),
  h('h2', { text: 'Attention' }), h('div', { class: 'controls' }, h('label', {}, 'prompt (characters of the text; shown at each evaluation and when you press Enter)', promptInput)), attentionBox,
  h('h2', { text: 'KV-cache size by attention design' }), kvTable,
  h('h2', { text: 'How fast is the engine here?' }),
  h('p', { class: 'note', text: 'Times the training step of `gradpath bench train` (4 layers, 128 channels, block 64, batch 12) in this tab; compare with the same command in a terminal.' }),
  speed.el, speedResult, speedChart.el);
updateNote();
showKv();
if (textArea.value === '') void loadShakespeare();
