import type { MetricEvent } from '../../io/rundir.js';
import type { GenerationStats } from './population.js';

/**
 * One NEAT generation as a metrics.jsonl event (split `population`, the vocabulary of
 * io/rundir.ts): the generation is the step; `extra` adds task-specific numbers (e.g. pipes).
 */
export function generationEvent(s: GenerationStats, extra: Record<string, number> = {}): MetricEvent {
  return {
    step: s.generation,
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
