import type { Activation } from './config.js';
import { biasId, outputId, type Genome } from './genome.js';

/** The phenotype: what a fitness function sees. */
export interface Network {
  /** Feeds one input vector through and returns the outputs (a fresh array). */
  activate(inputs: ArrayLike<number>): number[];
  /** Clears recurrent state (a no-op for feed-forward networks). */
  reset(): void;
}

const ACTIVATIONS: Record<Activation, (x: number) => number> = {
  // The paper's steepened sigmoid: near-linear over [-0.5, 0.5], where the weights usually live.
  sigmoid: (x) => 1 / (1 + Math.exp(-4.9 * x)),
  tanh: Math.tanh,
  relu: (x) => (x > 0 ? x : 0),
  identity: (x) => x,
};

export function activationFunction(a: Activation): (x: number) => number {
  return ACTIVATIONS[a];
}

/**
 * Compiles a genome into flat arrays: for each computed node, its incoming (source, weight)
 * pairs. Feed-forward nets compute nodes in topological order, so one activate() is a full pass;
 * recurrent nets compute every node from the previous step's values (one step per activate()).
 */
export function createNetwork(genome: Genome, recurrent = false): Network {
  const index = new Map<number, number>();
  genome.nodes.forEach((n, i) => index.set(n.id, i));
  const enabled = genome.connections.filter((c) => c.enabled && index.has(c.in) && index.has(c.out));
  const computed = genome.nodes.filter((n) => n.type === 'hidden' || n.type === 'output').map((n) => index.get(n.id)!);
  const order = recurrent ? computed : topologicalOrder(genome, computed, enabled, index);

  const incomingStart = new Int32Array(order.length + 1);
  const sources: number[] = [];
  const weights: number[] = [];
  const functions: ((x: number) => number)[] = [];
  order.forEach((node, k) => {
    incomingStart[k] = sources.length;
    for (const c of enabled) {
      if (index.get(c.out) === node) {
        sources.push(index.get(c.in)!);
        weights.push(c.weight);
      }
    }
    functions.push(ACTIVATIONS[genome.nodes[node].activation]);
  });
  incomingStart[order.length] = sources.length;
  const src = Int32Array.from(sources);
  const w = Float64Array.from(weights);
  const size = genome.nodes.length;
  let values = new Float64Array(size);
  let next = new Float64Array(size);
  const inputIdx = Array.from({ length: genome.inputs }, (_, i) => index.get(i)!);
  const biasIdx = index.get(biasId(genome.inputs))!;
  const outputIdx = Array.from({ length: genome.outputs }, (_, k) => index.get(outputId(genome.inputs, k))!);

  return {
    activate(inputs: ArrayLike<number>): number[] {
      if (inputs.length !== inputIdx.length) throw new Error(`network expects ${inputIdx.length} inputs, got ${inputs.length}`);
      for (let i = 0; i < inputIdx.length; i++) values[inputIdx[i]] = inputs[i];
      values[biasIdx] = 1;
      if (recurrent) {
        next.set(values);
        for (let k = 0; k < order.length; k++) {
          let sum = 0;
          for (let e = incomingStart[k]; e < incomingStart[k + 1]; e++) sum += w[e] * values[src[e]];
          next[order[k]] = functions[k](sum);
        }
        [values, next] = [next, values];
      } else {
        for (let k = 0; k < order.length; k++) {
          let sum = 0;
          for (let e = incomingStart[k]; e < incomingStart[k + 1]; e++) sum += w[e] * values[src[e]];
          values[order[k]] = functions[k](sum);
        }
      }
      return outputIdx.map((i) => values[i]);
    },
    reset(): void {
      values.fill(0);
      next.fill(0);
    },
  };
}

/** Kahn's algorithm over the enabled links; the genome guarantees there is no cycle. */
function topologicalOrder(genome: Genome, computed: number[], enabled: Genome['connections'], index: Map<number, number>): number[] {
  const indegree = new Map<number, number>(computed.map((n) => [n, 0]));
  const out = new Map<number, number[]>();
  for (const c of enabled) {
    const a = index.get(c.in)!;
    const b = index.get(c.out)!;
    if (indegree.has(b)) indegree.set(b, indegree.get(b)! + 1);
    if (!out.has(a)) out.set(a, []);
    out.get(a)!.push(b);
  }
  // Inputs and bias are known up front; release their targets first.
  const ready: number[] = [];
  const order: number[] = [];
  const release = (n: number) => {
    for (const m of out.get(n) ?? []) {
      const d = indegree.get(m)! - 1;
      indegree.set(m, d);
      if (d === 0) ready.push(m);
    }
  };
  genome.nodes.forEach((n, i) => {
    if (n.type === 'input' || n.type === 'bias') release(i);
  });
  for (const n of computed) if (indegree.get(n) === 0 && !ready.includes(n)) ready.push(n);
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    release(n);
  }
  if (order.length !== computed.length) throw new Error('network has a cycle but was built as feed-forward');
  return order;
}
