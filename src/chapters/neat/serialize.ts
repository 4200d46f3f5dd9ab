import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../io/atomic.js';
import { GradpathError } from '../../util/errors.js';
import type { Activation } from './config.js';
import { biasId, createsCycle, outputId, type ConnectionGene, type Genome, type NodeGene } from './genome.js';

export const GENOME_FORMAT = 'gradpath-neat-genome';

/** What a saved genome file holds: the genome plus how to run it and where it came from. */
export interface SavedGenome {
  format: typeof GENOME_FORMAT;
  version: 1;
  recurrent: boolean;
  fitness?: number;
  info?: Record<string, unknown>;
  genome: Genome;
}

export function genomeToJson(genome: Genome, extra: { recurrent?: boolean; fitness?: number; info?: Record<string, unknown> } = {}): string {
  const saved: SavedGenome = { format: GENOME_FORMAT, version: 1, recurrent: extra.recurrent ?? false, fitness: extra.fitness, info: extra.info, genome };
  return JSON.stringify(saved, null, 1) + '\n';
}

export function saveGenome(path: string, genome: Genome, extra: Parameters<typeof genomeToJson>[1] = {}): void {
  writeFileAtomic(path, genomeToJson(genome, extra));
}

export function loadGenome(path: string): SavedGenome {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GradpathError(`neat: cannot read genome file '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseGenome(text, path);
}

const NODE_TYPES = ['input', 'bias', 'hidden', 'output'];
const ACTIVATIONS = ['sigmoid', 'tanh', 'relu', 'identity'];

/** Parses and checks a saved genome; anything wrong becomes one GradpathError line naming the file. */
export function parseGenome(text: string, source = 'genome'): SavedGenome {
  const bad = (why: string): never => {
    throw new GradpathError(`neat: '${source}' is not a valid genome file: ${why}`);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    bad(`not JSON (${(err as Error).message.replace(/\s+/g, ' ')})`);
  }
  const obj = data as Partial<SavedGenome> | null;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) bad('expected a JSON object');
  if (obj!.format !== GENOME_FORMAT) bad(`"format" must be "${GENOME_FORMAT}"`);
  if (obj!.version !== 1) bad(`unsupported version ${String(obj!.version)}`);
  const g = obj!.genome as Genome | undefined;
  if (typeof g !== 'object' || g === null) bad('missing "genome"');
  const isCount = (x: unknown) => Number.isInteger(x) && (x as number) >= 1;
  if (!isCount(g!.inputs) || !isCount(g!.outputs)) bad('"inputs" and "outputs" must be positive integers');
  if (!Array.isArray(g!.nodes) || !Array.isArray(g!.connections)) bad('"nodes" and "connections" must be arrays');
  const ids = new Map<number, NodeGene>();
  g!.nodes.forEach((n: NodeGene, i: number) => {
    if (typeof n !== 'object' || n === null || !Number.isInteger(n.id) || n.id < 0) bad(`node ${i} has no valid integer id`);
    if (!NODE_TYPES.includes(n.type)) bad(`node ${n.id} has unknown type '${String(n.type)}'`);
    if (!ACTIVATIONS.includes(n.activation as Activation)) bad(`node ${n.id} has unknown activation '${String(n.activation)}'`);
    if (ids.has(n.id)) bad(`node id ${n.id} appears twice`);
    ids.set(n.id, n);
  });
  const expect = (id: number, type: string) => {
    if (ids.get(id)?.type !== type) bad(`node ${id} must be the ${type} node`);
  };
  for (let i = 0; i < g!.inputs; i++) expect(i, 'input');
  expect(biasId(g!.inputs), 'bias');
  for (let k = 0; k < g!.outputs; k++) expect(outputId(g!.inputs, k), 'output');
  if (g!.nodes.filter((n) => n.type !== 'hidden').length !== g!.inputs + 1 + g!.outputs) bad('extra input, bias or output nodes');
  const innovations = new Set<number>();
  let last = -1;
  g!.connections.forEach((c: ConnectionGene, i: number) => {
    if (typeof c !== 'object' || c === null) bad(`connection ${i} is not an object`);
    if (!Number.isInteger(c.innovation) || c.innovation < 0) bad(`connection ${i} has no valid innovation number`);
    if (innovations.has(c.innovation) || c.innovation < last) bad(`innovation numbers must be unique and ascending (at connection ${i})`);
    innovations.add(c.innovation);
    last = c.innovation;
    if (!ids.has(c.in) || !ids.has(c.out)) bad(`connection ${c.innovation} refers to a missing node`);
    const target = ids.get(c.out)!.type;
    if (target === 'input' || target === 'bias') bad(`connection ${c.innovation} leads into an ${target} node`);
    if (typeof c.weight !== 'number' || !Number.isFinite(c.weight)) bad(`connection ${c.innovation} has a non-numeric weight`);
    if (typeof c.enabled !== 'boolean') bad(`connection ${c.innovation} needs "enabled": true or false`);
  });
  const recurrent = obj!.recurrent === true;
  if (!recurrent) {
    // A link closes a cycle when its target already reaches its source through the others.
    for (const c of g!.connections) if (cycleWithAll(g!, c)) bad('it has a cycle but is not marked "recurrent": true');
  }
  const genome: Genome = {
    inputs: g!.inputs,
    outputs: g!.outputs,
    nodes: g!.nodes.map((n) => ({ id: n.id, type: n.type, activation: n.activation })),
    connections: g!.connections.map((c) => ({ innovation: c.innovation, in: c.in, out: c.out, weight: c.weight, enabled: c.enabled })),
  };
  return { format: GENOME_FORMAT, version: 1, recurrent, fitness: typeof obj!.fitness === 'number' ? obj!.fitness : undefined, info: obj!.info, genome };
}

function cycleWithAll(g: Genome, c: ConnectionGene): boolean {
  return createsCycle({ ...g, connections: g.connections.filter((x) => x !== c) }, c.in, c.out);
}
