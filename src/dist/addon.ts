/**
 * The MPI addon (native/mpi/gradpath_mpi.cc): where `gradpath dist build` puts it, its interface,
 * and loading it with one clear line when it or MPI is missing. It is never built by npm install:
 * the default install stays pure TypeScript + wasm.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { GradpathError } from '../util/errors.js';

/**
 * The built addon, in the repository's build/native/ beside the native backend's, never
 * committed. GRADPATH_MPI_ADDON names another path, for builds against two MPI libraries side by
 * side (e.g. MPICH).
 */
export const ADDON_PATH = process.env.GRADPATH_MPI_ADDON || fileURLToPath(new URL('../../../build/native/gradpath_mpi.node', import.meta.url));

export const INSTALL_HINT = 'install MPI with `apt-get install openmpi-bin libopenmpi-dev`, then run `gradpath dist build`';

/** One communicator of the addon. Every operation is in place on the arrays' memory and queued in order. */
export interface NativeComm {
  readonly rank: number;
  readonly size: number;
  allReduce(buffer: Float32Array, average: boolean): Promise<void>;
  reduceScatter(input: Float32Array, output: Float32Array, average: boolean): Promise<void>;
  allGather(input: Float32Array, output: Float32Array): Promise<void>;
  broadcast(buffer: Float32Array, root: number): Promise<void>;
  send(buffer: Float32Array, dest: number, tag: number): Promise<void>;
  recv(buffer: Float32Array, source: number, tag: number): Promise<void>;
  sendRecv(sendBuffer: Float32Array, dest: number, recvBuffer: Float32Array, source: number, tag: number): Promise<void>;
  barrier(): Promise<void>;
  split(color: number, key: number): Promise<NativeComm | null>;
  free(): Promise<void>;
  /**
   * The benchmark's reference: op (0 all-reduce of a, 1 reduce-scatter a -> b, 2 all-gather b -> a)
   * called iters times back to back on the communication thread; each call's seconds.
   */
  timeCollective(op: 0 | 1 | 2, a: Float32Array, b: Float32Array, iters: number): Promise<Float64Array>;
  /** Sequence number of the operation queued last on this communicator's thread. */
  lastJob(): number;
  /** How many operations that thread has finished (they finish in order). */
  finished(): number;
  /** Blocks this thread until operation `job` has run (its promise settles later); false after `seconds`. */
  wait(job: number, seconds: number): boolean;
}

export interface MpiAddon {
  /** MPI_Init_thread asking for `level` (default 'multiple'); the thread level granted. */
  init(level?: 'multiple' | 'serialized'): 'multiple' | 'serialized';
  world(): NativeComm;
  /** MPI_Finalize after stopping the communication threads; false (nothing done) while operations are pending. */
  finalize(): boolean;
  /** MPI_Abort on the world: the launcher ends every rank. */
  abort(code: number): never;
  /** The most elements per MPI call (default 2^31-1); tests lower it to exercise chunking. */
  setChunkElements(n: number): void;
  libraryVersion(): string;
}

/** Why the addon cannot be used here, or null when it loads. */
export function addonProblem(): string | null {
  try {
    loadAddon();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

let cached: MpiAddon | null = null;

export function loadAddon(): MpiAddon {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) {
    throw new GradpathError(`gradpath: the MPI addon is not built (${ADDON_PATH} is missing); ${INSTALL_HINT}`);
  }
  try {
    cached = createRequire(import.meta.url)(ADDON_PATH) as MpiAddon;
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    throw new GradpathError(`gradpath: the MPI addon does not load (${why}); ${INSTALL_HINT}`);
  }
  return cached;
}
