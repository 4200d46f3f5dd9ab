/**
 * NEAT on XOR or on balancing a pole (single pole, velocities given), one generation per step,
 * with the chapter's population, fitness functions and settings (src/chapters/neat/tasks/). The
 * view is the champion's network and, for the pole, the first seconds of it balancing.
 */
import { Population, normaliseResult } from '../../../../src/chapters/neat/population.js';
import { createNetwork } from '../../../../src/chapters/neat/network.js';
import { genomeToSvg } from '../../../../src/chapters/neat/svg.js';
import { xorFitness } from '../../../../src/chapters/neat/tasks/xor.js';
import { balance, poleFitness, poleInputCount, type PoleTask } from '../../../../src/chapters/neat/tasks/pole.js';
import { poleConfig } from '../../../../src/chapters/neat/tasks/pole-run.js';
import type { Genome } from '../../../../src/chapters/neat/genome.js';
import type { Job, Settings } from '../protocol.js';

export interface NeatTaskView {
  svg: string;
  solved: boolean;
  /** XOR: the champion's output for 00, 01, 10, 11. */
  outputs?: number[];
  /** Pole: cart position and pole angle every control step (0.02 s). */
  trace?: [number, number][];
}

const POLE_TASK: PoleTask = { poles: 1, velocities: true };

export function createJob(s: Settings): Job {
  const xor = s.task === 'xor';
  const config = xor ? { inputs: 2, outputs: 1 } : { ...poleConfig(POLE_TASK), inputs: poleInputCount(POLE_TASK), outputs: 1 };
  const population = new Population({ ...config, seed: Number(s.taskSeed) }); // taskSeed: the page's flappy game has its own seed
  let champion: Genome = population.genomes[0];
  let solved = false;
  return {
    total: Number(s.generations),
    viewEvery: 1,
    done: () => solved,
    step() {
      const evals = population.genomes.map((g, i) => {
        const net = createNetwork(g, population.config.recurrent);
        return normaliseResult(xor ? xorFitness(net) : poleFitness(net, g, POLE_TASK), `genome ${i}`);
      });
      const stats = population.speciateAndMeasure(evals);
      const best = evals.reduce((b, e, i) => (e.fitness > evals[b].fitness ? i : b), 0);
      champion = population.genomes[best];
      solved = stats.solved;
      if (!solved) population.reproduce(evals);
      return { best_fitness: stats.bestFitness, mean_fitness: stats.meanFitness, species: stats.species, hidden_nodes: stats.bestHiddenNodes };
    },
    view(): NeatTaskView {
      const net = createNetwork(champion, population.config.recurrent);
      const svg = genomeToSvg(champion, { inputNames: xor ? ['a', 'b'] : ['x', "x'", 'θ', "θ'"], outputNames: [xor ? 'a xor b' : 'force'], title: solved ? 'the solution' : 'the champion so far' });
      if (xor) return { svg, solved, outputs: [[0, 0], [0, 1], [1, 0], [1, 1]].map((x) => (net.reset(), net.activate(x)[0])) };
      const trace: [number, number][] = [];
      balance(net, POLE_TASK, 500, (st) => trace.push([st.x, st.theta[0]]));
      return { svg, solved, trace };
    },
  };
}
