import { parentPort, workerData } from 'node:worker_threads';
import type { Genome } from './genome.js';
import { createNetwork } from './network.js';
import type { FitnessFunction } from './evaluate.js';

/** A worker thread of workerEvaluator: loads the fitness module once, then scores chunks. */
const { url, exportName, context, recurrent } = workerData as { url: string; exportName: string; context: unknown; recurrent: boolean };
const fitness = (await import(url))[exportName] as FitnessFunction;

parentPort!.on('message', ({ id, genomes }: { id: number; genomes: Genome[] }) => {
  try {
    const results = genomes.map((g) => fitness(createNetwork(g, recurrent), g, context));
    parentPort!.postMessage({ id, results });
  } catch (err) {
    const e = err as Error;
    parentPort!.postMessage({ id, error: `${e.name === 'GradpathError' ? 'GradpathError: ' : ''}${e.message}` });
  }
});
