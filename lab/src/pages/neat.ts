import '../shims/process.js';
import { Population, normaliseResult, type GenerationStats } from '../../../src/chapters/neat/population.js';
import { createNetwork, type Network } from '../../../src/chapters/neat/network.js';
import { genomeToSvg } from '../../../src/chapters/neat/svg.js';
import { FlappyGame } from '../../../src/chapters/neat/flappy/game.js';
import { decide, FLAPPY_INPUTS, PIPE_BONUS } from '../../../src/chapters/neat/flappy/agent.js';
import { FLAPPY_CONFIG } from '../../../src/chapters/neat/flappy/run.js';
import type { Genome } from '../../../src/chapters/neat/genome.js';
import { h, typing } from '../ui/dom.js';
import { layout } from '../ui/layout.js';
import { LineChart } from '../ui/chart.js';
import { Trainer } from '../ui/trainer.js';
import type { NeatTaskView } from '../worker/jobs/neat-task.js';
import { POLE } from '../../../src/chapters/neat/tasks/pole.js';

const main = layout('neat', 'Neuroevolution: NEAT',
  'A population of tiny networks plays a flappy-bird game. Each sees its height, speed, the distance to the next pipe and the height of its gap, and flaps when its output passes 0.5. The best fliers have children, with mutated weights and now and then a new connection or node; species protect new shapes while they learn. Every bird of a generation flies at once below.');

// The evolution runs on this page's thread, one game frame per bird per tick: a generation of 150
// small networks costs well under a millisecond a frame, and drawing needs the frames here anyway.
const params = new URLSearchParams(location.search);
const num = (k: string, d: number) => (params.has(k) && Number.isFinite(Number(params.get(k))) ? Number(params.get(k)) : d);
const settings = { population: num('population', 100), seed: num('seed', 1), maxPipes: num('maxPipes', 50), speed: num('speed', 2) };

const canvas = h('canvas', { width: 288, height: 400, id: 'flappy', tabindex: 0, 'aria-label': 'the flappy game: press space or tap to flap when playing' });
const status = h('div', { class: 'status', id: 'status', 'data-state': 'idle', 'aria-live': 'polite' });
const network = h('div', { class: 'svgbox', id: 'champion' }, 'The champion\'s network appears after the first generation.');
const chart = new LineChart({ title: 'fitness per generation', series: ['best', 'mean'], xLabel: 'generation' });
const speedSelect = h('select', { name: 'speed', 'aria-label': 'speed' }, ...[1, 2, 5, 20, 100].map((s) => h('option', { value: s, text: `${s}x` })));
speedSelect.value = String(settings.speed);
const evolveButton = h('button', { class: 'primary', id: 'evolve', 'aria-keyshortcuts': 'E', onclick: () => toggleEvolve() }, 'Evolve');
const playButton = h('button', { 'aria-keyshortcuts': 'P', onclick: () => startPlay() }, 'Play yourself');
const field = (name: keyof typeof settings, label: string) => {
  const input = h('input', { type: 'number', name, min: 1, value: settings[name] });
  input.addEventListener('change', () => (settings[name] = Number(input.value)));
  return h('label', {}, label, input);
};
main.append(h('div', { class: 'controls' }, field('population', 'population'), field('seed', 'seed'), field('maxPipes', 'pipes to win'), h('label', {}, 'speed', speedSelect), evolveButton, playButton),
  h('p', { class: 'note', text: 'Keys: e evolves or pauses, p plays, space (or a tap on the game) flaps, Escape stops.' }),
  status, h('div', { class: 'grid' }, h('div', { class: 'panel' }, canvas), h('div', { class: 'panel' }, network, chart.el)));

type Mode = 'idle' | 'evolving' | 'paused' | 'playing' | 'solved';
let mode: Mode = 'idle';
let population: Population | null = null;
let birds: { game: FlappyGame; net: Network }[] = [];
let player: FlappyGame | null = null;
let flapRequested = false;
let frames = 0; // frames drawn, for tests: the canvas changes between them

function setMode(m: Mode, text: string): void {
  mode = m;
  status.dataset.state = m;
  status.textContent = text;
  evolveButton.textContent = m === 'evolving' ? 'Pause' : m === 'paused' ? 'Resume' : 'Evolve';
}

function newGeneration(): void {
  birds = population!.genomes.map((g: Genome) => ({ game: new FlappyGame(settings.seed), net: createNetwork(g, population!.config.recurrent) }));
}

function toggleEvolve(): void {
  if (mode === 'evolving') return setMode('paused', `paused at generation ${population!.generation + 1}`);
  if (mode === 'paused') return setMode('evolving', `generation ${population!.generation + 1}`);
  const url = new URLSearchParams(location.search); // the XOR/pole panel keeps its own settings there too
  for (const [k, v] of Object.entries({ ...settings, speed: speedSelect.value })) url.set(k, String(v));
  history.replaceState(null, '', `?${url}`);
  population = new Population({ ...FLAPPY_CONFIG, populationSize: settings.population, seed: settings.seed, inputs: FLAPPY_INPUTS.length, outputs: 1 });
  chart.reset();
  player = null;
  newGeneration();
  setMode('evolving', 'generation 1');
}

function endGeneration(): void {
  const pop = population!;
  const evals = birds.map((b, i) => normaliseResult({ fitness: b.game.frame + PIPE_BONUS * b.game.pipesPassed, solved: b.game.pipesPassed >= settings.maxPipes, pipes: b.game.pipesPassed }, `bird ${i}`));
  const stats: GenerationStats = { ...pop.speciateAndMeasure(evals), evaluations: 0 };
  const best = evals.reduce((bi, e, i) => (e.fitness > evals[bi].fitness ? i : bi), 0);
  const pipes = Number(stats.bestInfo.pipes ?? 0);
  network.innerHTML = genomeToSvg(pop.genomes[best], { inputNames: FLAPPY_INPUTS, outputNames: ['flap'], title: `champion of generation ${stats.generation + 1}: ${pipes} pipes` });
  network.append(h('p', { class: 'note', text: `${stats.bestHiddenNodes} hidden nodes, ${stats.bestConnections} enabled connections, ${stats.species} species in the population` }));
  chart.add(stats.generation + 1, [stats.bestFitness, stats.meanFitness]);
  status.dataset.generation = String(stats.generation + 1);
  if (stats.solved) return setMode('solved', `generation ${stats.generation + 1}: a bird passed ${settings.maxPipes} pipes. Solved; play it yourself or evolve again.`);
  pop.reproduce(evals);
  newGeneration();
  setMode('evolving', `generation ${pop.generation + 1} (last: best ${pipes} pipes, ${stats.species} species)`);
}

function startPlay(): void {
  player = new FlappyGame(settings.seed);
  flapRequested = false;
  setMode('playing', 'your turn: space, click or tap to flap');
  canvas.focus();
}

function tick(): void {
  if (mode === 'evolving') {
    for (let f = 0; f < Number(speedSelect.value); f++) {
      let alive = 0;
      for (const b of birds) {
        if (!b.game.alive || b.game.pipesPassed >= settings.maxPipes) continue;
        b.game.step(decide(b.net, b.game));
        if (b.game.alive) alive++;
      }
      if (alive === 0 || birds.some((b) => b.game.alive && b.game.pipesPassed >= settings.maxPipes)) {
        endGeneration();
        break;
      }
    }
  } else if (mode === 'playing' && player) {
    player.step(flapRequested);
    flapRequested = false;
    if (!player.alive) setMode('idle', `you passed ${player.pipesPassed} pipe${player.pipesPassed === 1 ? '' : 's'}; p plays again`);
  }
  draw();
  requestAnimationFrame(tick);
}

function draw(): void {
  const ctx = canvas.getContext('2d')!;
  const shown = mode === 'playing' || (player && mode === 'idle') ? [player!] : birds.map((b) => b.game);
  const world = shown.find((g) => g.alive) ?? shown[0];
  ctx.fillStyle = '#e0f2fe';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!world) return;
  const p = world.params;
  ctx.fillStyle = '#16a34a';
  for (const pipe of world.pipes) {
    ctx.fillRect(pipe.x, 0, p.pipeWidth, pipe.gapY - p.gapHeight / 2);
    ctx.fillRect(pipe.x, pipe.gapY + p.gapHeight / 2, p.pipeWidth, p.height - pipe.gapY - p.gapHeight / 2);
  }
  let alive = 0;
  for (const g of shown) {
    if (!g.alive) continue;
    alive++;
    ctx.fillStyle = mode === 'playing' ? 'rgba(234,88,12,0.95)' : 'rgba(234,179,8,0.55)';
    ctx.fillRect(p.birdX - p.birdRadius, g.y - p.birdRadius, 2 * p.birdRadius, 2 * p.birdRadius);
  }
  ctx.fillStyle = '#1d1d1f';
  ctx.font = '14px system-ui, sans-serif';
  ctx.fillText(mode === 'playing' ? `pipes ${world.pipesPassed}` : `alive ${alive} / ${shown.length}   pipes ${Math.max(0, ...shown.map((g) => g.pipesPassed))}`, 8, 20);
  frames++;
  canvas.dataset.frames = String(frames);
}

const flap = () => {
  if (mode === 'playing') flapRequested = true;
};
canvas.addEventListener('pointerdown', (e) => (e.preventDefault(), flap()));
addEventListener('keydown', (e) => {
  if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === ' ' || e.key === 'ArrowUp') {
    if (mode === 'playing') (e.preventDefault(), flap());
  } else if (e.key === 'e') toggleEvolve();
  else if (e.key === 'p') startPlay();
  else if (e.key === 'Escape' && (mode === 'evolving' || mode === 'paused' || mode === 'playing')) setMode('idle', 'stopped');
});
setMode('idle', 'Evolve to watch the birds learn; play to try it yourself.');
requestAnimationFrame(tick);

// --- XOR and the pole: the paper's benchmarks, evolved in a Web Worker ---
const taskNet = h('div', { class: 'svgbox', id: 'task-champion' });
const taskResult = h('p', { class: 'status', id: 'task-result' });
const poleCanvas = h('canvas', { width: 360, height: 160, id: 'pole', hidden: true, 'aria-label': 'the champion balancing the pole' });
const taskChart = new LineChart({ title: 'best fitness per generation', series: ['best', 'mean'], xLabel: 'generation', height: 180 });
let poleTrace: [number, number][] = [];
let poleFrame = 0;
const task = new Trainer({
  job: 'neat-task', keys: false, id: 'task-status', startLabel: 'Evolve', lossKey: 'best_fitness',
  fields: [
    { name: 'task', label: 'task', kind: 'choice', default: 'xor', choices: ['xor', 'pole'] },
    { name: 'generations', label: 'generations', kind: 'int', default: 100, min: 1, max: 1000 },
    { name: 'taskSeed', label: 'seed', kind: 'int', default: 1, min: 0 },
  ],
  onStart: () => (taskChart.reset(), (poleTrace = []), (taskResult.textContent = '')),
  onRecords: (records) => {
    for (const r of records) taskChart.add(r.step, [r.best_fitness, r.mean_fitness]);
    const last = records[records.length - 1];
    taskResult.textContent = `generation ${last.step}: best fitness ${last.best_fitness.toFixed(2)}, ${last.species} species, champion with ${last.hidden_nodes} hidden node${last.hidden_nodes === 1 ? '' : 's'}`;
  },
  onView: (v) => {
    const view = v as NeatTaskView;
    taskNet.innerHTML = view.svg;
    if (view.outputs) taskNet.append(h('p', { class: 'mono', text: `outputs for 00 01 10 11: ${view.outputs.map((o) => o.toFixed(2)).join(' ')}${view.solved ? ' (all four round right: solved)' : ''}` }));
    if (view.trace) (poleTrace = view.trace), (poleFrame = 0);
    poleCanvas.hidden = !view.trace;
    taskResult.dataset.solved = String(view.solved);
  },
});

function drawPole(): void {
  const ctx = poleCanvas.getContext('2d')!;
  const W = poleCanvas.width, H = poleCanvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.strokeStyle = '#9ca3af';
  ctx.beginPath();
  ctx.moveTo(10, H - 20);
  ctx.lineTo(W - 10, H - 20);
  ctx.stroke();
  if (poleTrace.length) {
    const [x, theta] = poleTrace[Math.min(poleFrame, poleTrace.length - 1)];
    const scale = (W - 40) / (2 * POLE.trackLimit), cx = W / 2 + x * scale, cy = H - 30;
    ctx.fillStyle = '#2563eb';
    ctx.fillRect(cx - 18, cy - 10, 36, 20);
    ctx.strokeStyle = '#ea580c';
    ctx.lineWidth = 5;
    ctx.beginPath();
    ctx.moveTo(cx, cy - 10);
    ctx.lineTo(cx + Math.sin(theta) * 2 * POLE.halfLength[0] * scale * 1.5, cy - 10 - Math.cos(theta) * 2 * POLE.halfLength[0] * scale * 1.5);
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.fillStyle = '#1d1d1f';
    ctx.fillText(`${((Math.min(poleFrame, poleTrace.length - 1) + 1) * POLE.dt * POLE.substeps).toFixed(1)} s`, 8, 14);
    poleFrame = (poleFrame + 1) % (poleTrace.length + 25); // a short rest at the end, then again
  }
  setTimeout(() => requestAnimationFrame(drawPole), 1000 * POLE.dt * POLE.substeps);
}
drawPole();

main.append(h('h2', { text: 'XOR and the pole' }),
  h('p', { class: 'note', text: 'The paper\'s benchmarks: XOR, which needs a hidden node NEAT must invent, and balancing a pole on a cart (inputs: cart position and speed, pole angle and its speed; output: the push). Evolution stops at the first solution.' }),
  task.el, taskResult, h('div', { class: 'grid' }, h('div', { class: 'panel' }, taskNet, poleCanvas), h('div', { class: 'panel' }, taskChart.el)));
