import { makeConfig, type NeatConfig } from '../../../src/chapters/neat/config.js';
import type { ConnectionGene, Genome, NodeGene } from '../../../src/chapters/neat/genome.js';

/** A 2-input, 1-output genome (nodes 0, 1 inputs; 2 bias; 3 output; 4+ hidden) from a list of links. */
export function handGenome(links: [innovation: number, from: number, to: number, weight: number, enabled?: boolean][], hidden: number[] = []): Genome {
  const nodes: NodeGene[] = [
    { id: 0, type: 'input', activation: 'identity' },
    { id: 1, type: 'input', activation: 'identity' },
    { id: 2, type: 'bias', activation: 'identity' },
    { id: 3, type: 'output', activation: 'sigmoid' },
    ...hidden.map((id): NodeGene => ({ id, type: 'hidden', activation: 'sigmoid' })),
  ];
  const connections: ConnectionGene[] = links.map(([innovation, from, to, weight, enabled]) => ({ innovation, in: from, out: to, weight, enabled: enabled ?? true }));
  return { inputs: 2, outputs: 1, nodes, connections };
}

export function xorConfig(extra: Partial<NeatConfig> = {}): NeatConfig {
  return makeConfig({ inputs: 2, outputs: 1, ...extra });
}
