import '../shims/process.js';
import { spectrumSvg } from '../../../src/chapters/grokking/plot.js';
import { PRESET_CONFIGS } from '../../../src/chapters/grokking/presets.js';
import type { Spectrum } from '../../../src/chapters/grokking/fourier.js';
import { h } from '../ui/dom.js';
import { layout } from '../ui/layout.js';
import { LineChart } from '../ui/chart.js';
import { Trainer, isolationNote } from '../ui/trainer.js';

const q = PRESET_CONFIGS.quick;
const main = layout('grokking', 'Grokking',
  `A one-layer transformer learns (a + b) mod p from half of all pairs. Training accuracy reaches 100% early: the model has memorised. Validation accuracy stays low for hundreds of epochs, then climbs to 100% as weight decay pushes the model to a general algorithm, which reads the inputs through a few Fourier frequencies. The quick preset (p = ${q.p}) groks after about a thousand full-batch epochs.`);

const accChart = new LineChart({ title: 'accuracy', series: ['train', 'validation'], xLabel: 'epoch', logX: true });
const lossChart = new LineChart({ title: 'loss', series: ['train', 'validation'], xLabel: 'epoch', logX: true, logY: true });
const spectrum = h('div', { class: 'svgbox', id: 'spectrum' }, 'The spectrum of the embedding appears as it trains.');
const trainer = new Trainer({
  job: 'grokking',
  fields: [
    { name: 'epochs', label: 'epochs', kind: 'int', default: 1500, min: 1, max: 100000 },
    { name: 'p', label: 'p (prime)', kind: 'int', default: q.p, min: 3, max: 113 },
    { name: 'trainFrac', label: 'train fraction', kind: 'float', default: q.trainFrac, min: 0.05, max: 0.95 },
    { name: 'weightDecay', label: 'weight decay', kind: 'float', default: q.weightDecay, min: 0 },
    { name: 'lr', label: 'learning rate', kind: 'float', default: q.lr, min: 0 },
    { name: 'evalEvery', label: 'evaluate every', kind: 'int', default: q.evalEvery, min: 1 },
    { name: 'seed', label: 'seed', kind: 'int', default: q.seed, min: 0 },
  ],
  onStart: () => (accChart.reset(), lossChart.reset()),
  onRecords: (records) => {
    for (const r of records) {
      if (r.val_acc === undefined) continue; // curves at evaluations: both splits measured
      accChart.add(r.step, [r.train_acc, r.val_acc]);
      lossChart.add(r.step, [r.loss, r.val_loss]);
    }
  },
  onView: (v) => {
    const s = v as Spectrum;
    spectrum.innerHTML = spectrumSvg(`Fourier spectrum of the embedding (p = ${s.p}); key frequencies: ${s.keyFrequencies.join(', ') || 'none yet'}`, [{ label: 'now', spectrum: s }]);
    spectrum.dataset.keyFrequencies = s.keyFrequencies.join(',');
  },
});
main.append(isolationNote(), trainer.el,
  h('div', { class: 'grid' }, h('div', { class: 'panel' }, accChart.el), h('div', { class: 'panel' }, lossChart.el)),
  h('h2', { text: 'Fourier spectrum of the embedding' }),
  h('p', { class: 'note', text: 'How much of each input embedding lies on cos and sin of 2πka/p, for each frequency k. Memorising spreads it over every k; the grokked algorithm puts it on a few.' }),
  spectrum);
