import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evolve, makeConfig } from '../../../src/chapters/neat/index.js';
import { runXor, xorFitness } from '../../../src/chapters/neat/tasks/xor.js';
import { GradpathError } from '../../../src/util/errors.js';

const xorModule = { module: new URL('../../../src/chapters/neat/tasks/xor.js', import.meta.url).href, exportName: 'xorFitness' };

test('a run is a pure function of its seed', async () => {
  const a = await evolve({ config: { inputs: 2, outputs: 1, seed: 42 }, fitness: xorFitness, maxGenerations: 15, stopWhenSolved: false });
  const b = await evolve({ config: { inputs: 2, outputs: 1, seed: 42 }, fitness: xorFitness, maxGenerations: 15, stopWhenSolved: false });
  assert.deepEqual(a.generations, b.generations);
  assert.deepEqual(a.champion, b.champion);
  const c = await evolve({ config: { inputs: 2, outputs: 1, seed: 43 }, fitness: xorFitness, maxGenerations: 15, stopWhenSolved: false });
  assert.notDeepEqual(a.generations, c.generations);
});

test('XOR is solved within a bounded number of generations for several seeds', async () => {
  for (const seed of [1, 2, 3, 4]) {
    const { run, result } = await runXor(seed, {}, 150);
    assert.ok(run.solved, `seed ${seed} solved`);
    assert.ok(run.hiddenNodes >= 1, 'XOR needs a hidden node');
    const net = result.network();
    assert.deepEqual([[0, 0], [0, 1], [1, 0], [1, 1]].map((x) => Math.round(net.activate(x)[0])), [0, 1, 1, 0]);
  }
});

test('evaluation over worker threads gives exactly the serial results', async () => {
  const options = { config: { inputs: 2, outputs: 1, seed: 5, populationSize: 60 }, fitnessModule: xorModule, maxGenerations: 8, stopWhenSolved: false };
  const serial = await evolve(options);
  const parallel = await evolve({ ...options, workers: 2 });
  assert.deepEqual(parallel.generations, serial.generations);
  assert.deepEqual(parallel.champion, serial.champion);
});

test('invalid configurations are one clear GradpathError line', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ addNodeRate: -0.1 }, /addNodeRate is a probability and must be in \[0, 1\]; got -0.1/],
    [{ weightMutationRate: 1.5 }, /weightMutationRate/],
    [{ populationSize: 1 }, /populationSize must be an integer of at least 2/],
    [{ compatibilityThreshold: 0 }, /compatibilityThreshold must be > 0/],
    [{ inputs: 0 }, /inputs must be a positive integer/],
    [{ activation: 'softmax' }, /activation must be/],
  ];
  for (const [bad, message] of cases) {
    assert.throws(() => makeConfig({ inputs: 2, outputs: 1, ...bad }), (e: Error) => e instanceof GradpathError && message.test(e.message) && !e.message.includes('\n'));
  }
});

test('a fitness function that returns NaN (or a negative number) is a GradpathError', async () => {
  await assert.rejects(
    evolve({ config: { inputs: 2, outputs: 1, populationSize: 10 }, fitness: () => NaN, maxGenerations: 3 }),
    (e: Error) => e instanceof GradpathError && /returned NaN for genome 0 of generation 0/.test(e.message),
  );
  await assert.rejects(evolve({ config: { inputs: 2, outputs: 1, populationSize: 10 }, fitness: () => -1, maxGenerations: 3 }), GradpathError);
  await assert.rejects(evolve({ config: { inputs: 2, outputs: 1 }, fitness: xorFitness, maxGenerations: 3, workers: 2 }), /needs fitnessModule/);
});

test('boolean tasks: truth tables, fitness and a solving run from the library API', async () => {
  const { truthTable, tableFitness, runBoolean } = await import('../../../src/chapters/neat/tasks/boolean.js');
  const parity = truthTable('parity3');
  assert.equal(parity.rows.length, 8);
  assert.deepEqual(parity.rows.map((r) => r.want), [0, 1, 1, 0, 1, 0, 0, 1]);
  const mux = truthTable('multiplexer6');
  assert.equal(mux.rows.length, 64);
  // address bits 1,0 -> data bit 2 (of d0..d3)
  assert.equal(mux.rows.find((r) => r.input.join('') === '100010')!.want, 1);
  assert.equal(mux.rows.find((r) => r.input.join('') === '101101')!.want, 0);
  // A network that always answers 0.5 is wrong everywhere (rounds to 1) and scores (8 - 4)^2.
  const half = { activate: () => [0.5], reset() {} };
  assert.deepEqual(tableFitness(half, parity), { fitness: 16, solved: false });
  const exact = { activate: (x: number[]) => [x.reduce((p, b) => p ^ b, 0)], reset() {} };
  assert.deepEqual(tableFitness(exact, parity), { fitness: 64, solved: true });
  assert.throws(() => truthTable('parity9'), (e: Error) => e instanceof GradpathError && /unknown boolean task 'parity9'/.test(e.message));
  const { run, result } = await runBoolean(1, 'parity3', {}, 300);
  assert.ok(run.solved, 'seed 1 solves 3-bit parity');
  const net = result.network();
  assert.ok(parity.rows.every((r) => Math.round(net.activate(r.input)[0]) === r.want));
});
