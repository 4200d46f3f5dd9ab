import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '../../../src/io/rundir.js';
import { evolve, generationEvent } from '../../../src/chapters/neat/index.js';
import { xorFitness } from '../../../src/chapters/neat/tasks/xor.js';

test('each generation is one metrics.jsonl event of split population', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neat-metrics-'));
  try {
    const run = new RunDir(dir);
    const result = await evolve({
      config: { inputs: 2, outputs: 1, populationSize: 30, seed: 1 }, fitness: xorFitness, maxGenerations: 4, stopWhenSolved: false,
      onGeneration: (s) => run.log(generationEvent(s, { pipes: 3 })),
    });
    const events = run.readMetrics();
    assert.equal(events.length, 4);
    events.forEach((e, g) => {
      const s = result.generations[g];
      assert.equal(e.split, 'population');
      assert.equal(e.step, g + 1); // 1-based, as the progress line and the docs count
      assert.equal(e.best_fitness, s.bestFitness);
      assert.equal(e.mean_fitness, s.meanFitness);
      assert.equal(e.species, s.species);
      assert.equal(e.evaluations, 30 * (g + 1));
      assert.equal(e.pipes, 3);
      assert.equal(typeof e.time, 'string');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
