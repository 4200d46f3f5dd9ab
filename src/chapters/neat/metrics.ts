import type { MetricEvent } from '../../io/rundir.js';
import type { GenerationStats } from './population.js';

/**
 * One NEAT generation as a metrics.jsonl event (split `population`, the vocabulary of
 * io/rundir.ts): the step is the generation counted from 1, as the progress line and docs/neat.md
 * count them (after step g, g generations were evaluated, as after a training step); `extra` adds
 * task-specific numbers (e.g. pipes).
 */
export function generationEvent(s: GenerationStats, extra: Record<string, number> = {}): MetricEvent {
  return {
    step: s.generation + 1,
    split: 'population',
    best_fitness: s.bestFitness,
    mean_fitness: s.meanFitness,
    species: s.species,
    evaluations: s.evaluations,
    hidden_nodes: s.bestHiddenNodes,
    connections: s.bestConnections,
    ...extra,
  };
}
