import '../shims/process.js';
import { topologicalOrder, type Value } from '../../../src/chapters/micrograd/engine.js';
import { toDot } from '../../../src/chapters/micrograd/graph.js';
import { h } from '../ui/dom.js';
import { layout } from '../ui/layout.js';
import { LineChart } from '../ui/chart.js';
import { Trainer, isolationNote } from '../ui/trainer.js';
import type { MoonsView } from '../worker/jobs/micrograd.js';
import { parseExpression, parseVariables } from './expression.js';

const main = layout('micrograd', 'Backpropagation: micrograd',
  'Type an expression: micrograd builds its graph forward, then backward() sends the gradient of the output to every input by the chain rule. Step through it one node at a time, then watch an MLP of these Values learn to separate two moons.');

// --- the expression graph ---
const params = new URLSearchParams(location.search);
const exprInput = h('input', { name: 'expr', type: 'text', size: 40, 'aria-label': 'expression' });
exprInput.value = params.get('expr') ?? 'tanh(x1*w1 + x2*w2 + b)';
const varsInput = h('input', { name: 'vars', type: 'text', size: 40, 'aria-label': 'variables' });
varsInput.value = params.get('vars') ?? 'x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8814';
const graphBox = h('div', { class: 'svgbox', id: 'graph' });
const graphNote = h('p', { class: 'status', id: 'graph-status' });
const stepButton = h('button', { onclick: () => backwardStep(), 'aria-keyshortcuts': 'N' }, 'Backward one node (n)');
const allButton = h('button', { onclick: () => backwardAll() }, 'Backward all');
main.append(h('h2', { text: 'An expression, forward and backward' }),
  h('div', { class: 'controls' }, h('label', {}, 'expression', exprInput), h('label', {}, 'variables', varsInput),
    h('button', { class: 'primary', onclick: () => build() }, 'Forward'), stepButton, allButton),
  graphNote, graphBox);

let root: Value | null = null;
let order: Value[] = [];
let next = -1; // index in `order` of the next node whose _backward runs

function build(): void {
  try {
    root = parseExpression(exprInput.value, parseVariables(varsInput.value));
  } catch (err) {
    graphNote.textContent = (err as Error).message;
    graphNote.classList.add('warn');
    return;
  }
  graphNote.classList.remove('warn');
  history.replaceState(null, '', `?${new URLSearchParams({ ...Object.fromEntries(new URLSearchParams(location.search)), expr: exprInput.value, vars: varsInput.value })}`);
  order = topologicalOrder(root);
  for (const v of order) v.grad = 0;
  root.grad = 1; // d out / d out
  next = order.length - 1;
  void draw(null, `forward done: out = ${root.data.toFixed(4)}; ${order.length} values. Backward starts at out with grad 1.`);
}

function backwardStep(): void {
  if (!root || next < 0) return;
  const v = order[next--];
  v._backward();
  void draw(v, next < 0 ? 'backward done: every value holds d out / d value.' : `ran the backward of ${v.label || v._op || 'a value'} (${next + 1} to go)`);
}

function backwardAll(): void {
  if (!root) return;
  while (next >= 0) order[next--]._backward();
  void draw(null, 'backward done: every value holds d out / d value.');
}

let viz: Promise<{ renderSVGElement(dot: string): SVGSVGElement }> | null = null;
async function draw(highlight: Value | null, message: string): Promise<void> {
  graphNote.textContent = message;
  stepButton.disabled = next < 0;
  allButton.disabled = next < 0;
  let dot = toDot(root!);
  if (highlight) dot = dot.replace(/}\n$/, `  v${order.indexOf(highlight)} [color="#dc2626", penwidth=2.5];\n}\n`);
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  graphBox.replaceChildren((await viz).renderSVGElement(dot));
  graphBox.dataset.nodes = String(order.length);
  graphBox.dataset.pending = String(next + 1);
}

addEventListener('keydown', (e) => {
  if (e.key === 'n' && !(e.target instanceof HTMLInputElement)) backwardStep();
});
build();

// --- the moons MLP ---
const canvas = h('canvas', { width: 360, height: 360, id: 'boundary', 'aria-label': 'decision boundary' });
const lossChart = new LineChart({ title: 'loss', series: ['loss'] });
const accChart = new LineChart({ title: 'accuracy', series: ['accuracy'] });
const trainer = new Trainer({
  job: 'micrograd',
  fields: [
    { name: 'steps', label: 'steps', kind: 'int', default: 100, min: 1, max: 10000 },
    { name: 'seed', label: 'seed', kind: 'int', default: 1337, min: 0 },
  ],
  onStart: () => (lossChart.reset(), accChart.reset()),
  onRecords: (records) => {
    for (const r of records) {
      lossChart.add(r.step, [r.loss]);
      accChart.add(r.step, [r.accuracy]);
    }
  },
  onView: (v) => drawBoundary(v as MoonsView),
});
main.append(h('h2', { text: 'The moons MLP' }),
  h('p', { class: 'note', text: 'MLP(2, [16, 16, 1]) of Values, max-margin loss, full-batch SGD with the learning rate falling from 1.0 to 0.1: the recipe of micrograd\'s demo.' }),
  isolationNote(), trainer.el, h('div', { class: 'grid' }, h('div', { class: 'panel' }, canvas), h('div', { class: 'panel' }, lossChart.el, accChart.el)));

function drawBoundary(v: MoonsView): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width, cell = W / v.grid;
  for (let i = 0; i < v.grid; i++) {
    for (let j = 0; j < v.grid; j++) {
      const s = Math.tanh(v.scores[i * v.grid + j]);
      const a = 0.15 + 0.35 * Math.abs(s);
      ctx.fillStyle = s > 0 ? `rgba(37,99,235,${a})` : `rgba(220,38,38,${a})`;
      ctx.fillRect(j * cell, i * cell, cell + 1, cell + 1);
    }
  }
  const [x0, x1, y0, y1] = v.box;
  v.X.forEach(([x, y], k) => {
    ctx.beginPath();
    ctx.arc(((x - x0) / (x1 - x0)) * W, ((y1 - y) / (y1 - y0)) * W, 4, 0, 2 * Math.PI);
    ctx.fillStyle = v.y[k] > 0 ? '#1d4ed8' : '#b91c1c';
    ctx.fill();
    ctx.strokeStyle = '#fff';
    ctx.stroke();
  });
}
