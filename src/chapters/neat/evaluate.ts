import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { GradpathError } from '../../util/errors.js';
import type { Genome } from './genome.js';
import { createNetwork, type Network } from './network.js';
import type { FitnessResult } from './population.js';

/** The user's task: score one network. `context` is any structured-cloneable data (e.g. a seed). */
export type FitnessFunction<C = unknown> = (network: Network, genome: Genome, context: C) => FitnessResult;

/** A fitness function that worker threads can load: functions cannot cross threads, modules can. */
export interface FitnessModule {
  /** A path (relative to the working directory) or a file: URL of an ES module. */
  module: string;
  /** The name of the exported FitnessFunction. */
  exportName: string;
}

export interface Evaluator {
  evaluate(genomes: Genome[]): Promise<FitnessResult[]>;
  close(): Promise<void>;
}

export function moduleUrl(module: string): string {
  if (module.startsWith('file:')) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

export async function loadFitness(spec: FitnessModule): Promise<FitnessFunction<any>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleUrl(spec.module))) as Record<string, unknown>;
  } catch (err) {
    throw new GradpathError(`neat: cannot load fitness module '${spec.module}': ${(err as Error).message.split('\n')[0]}`);
  }
  const fn = mod[spec.exportName];
  if (typeof fn !== 'function') throw new GradpathError(`neat: fitness module '${spec.module}' has no exported function '${spec.exportName}'`);
  return fn as FitnessFunction<any>;
}

export function serialEvaluator<C>(fitness: FitnessFunction<C>, context: C, recurrent: boolean): Evaluator {
  return {
    async evaluate(genomes) {
      return genomes.map((g) => fitness(createNetwork(g, recurrent), g, context));
    },
    async close() {},
  };
}

interface Reply {
  id: number;
  results?: FitnessResult[];
  error?: string;
}

/**
 * Evaluates a population over `n` worker threads. Results are put back in population order, so
 * (for a deterministic fitness function) the outcome is identical to serial evaluation; only the
 * wall-clock time changes.
 */
export async function workerEvaluator(n: number, spec: FitnessModule, context: unknown, recurrent: boolean): Promise<Evaluator> {
  await loadFitness(spec); // fail early, with a clear message, in the main thread
  const url = moduleUrl(spec.module);
  const workers = Array.from({ length: n }, () => new Worker(new URL('./worker.js', import.meta.url), {
    workerData: { url, exportName: spec.exportName, context, recurrent },
  }));
  let nextId = 0;
  const call = (w: Worker, genomes: Genome[]) =>
    new Promise<FitnessResult[]>((resolvePromise, reject) => {
      const id = nextId++;
      const onMessage = (r: Reply) => {
        if (r.id !== id) return;
        w.off('message', onMessage);
        w.off('error', onError);
        if (r.error !== undefined) reject(r.error.startsWith('GradpathError: ') ? new GradpathError(r.error.slice(15)) : new Error(r.error));
        else resolvePromise(r.results!);
      };
      const onError = (err: Error) => {
        w.off('message', onMessage);
        reject(err);
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.postMessage({ id, genomes });
    });
  return {
    // Small chunks handed out as workers become free: the costly genomes (the good ones, which
    // survive long) sit together in a species, so fixed halves would leave one thread idle.
    // Results are stored by index, so the order and the outcome never depend on the timing.
    async evaluate(genomes) {
      const size = Math.max(1, Math.ceil(genomes.length / (n * 8)));
      const results: FitnessResult[] = new Array(genomes.length);
      let next = 0;
      const drain = async (w: Worker) => {
        while (next < genomes.length) {
          const start = next;
          next += size;
          const chunk = await call(w, genomes.slice(start, start + size));
          chunk.forEach((r, k) => (results[start + k] = r));
        }
      };
      await Promise.all(workers.map(drain));
      return results;
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
