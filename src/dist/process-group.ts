/**
 * The process group of a distributed job: MPI initialised once per process, the world
 * communicator, and the rules that make a job end cleanly whatever happens on one rank:
 *
 * - a clean exit finalises MPI (a rank that exits without MPI_Finalize makes mpirun fail the job);
 * - a rank that throws, exits non-zero or exits with operations still pending prints one line
 *   naming itself and what failed, then calls MPI_Abort: the launcher ends every rank at once
 *   (MPI_Finalize would instead wait for ever for ranks blocked in a collective);
 * - an operation unfinished after the timeout (GRADPATH_COMM_TIMEOUT seconds, default 300; the
 *   launcher's --comm-timeout sets it) is handled the same way;
 * - a rank killed from outside is noticed by mpirun, which ends the others.
 */
import { GradpathError } from '../util/errors.js';
import { interruptRequested } from '../util/interrupt.js';
import { loadAddon, type MpiAddon } from './addon.js';
import { Communicator } from './communicator.js';

export const DEFAULT_COMM_TIMEOUT = 300;

export interface ProcessGroup {
  world: Communicator;
  rank: number;
  size: number;
  /** The MPI thread level granted: 'multiple' (a thread per communicator) or 'serialized' (one shared). */
  threadLevel: 'multiple' | 'serialized';
  /** The MPI library, e.g. 'Open MPI v4.1.4'. */
  library: string;
  timeoutSeconds: number;
}

/** Whether this process was started by an MPI launcher (Open MPI's mpirun, MPICH's Hydra, Slurm with PMI/PMIx). */
export function inMpiJob(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OMPI_COMM_WORLD_SIZE ?? env.PMI_SIZE ?? env.PMIX_RANK ?? env.PMI_RANK);
}

/** The collective timeout in seconds: GRADPATH_COMM_TIMEOUT, else 300. */
export function commTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GRADPATH_COMM_TIMEOUT;
  if (raw === undefined || raw === '') return DEFAULT_COMM_TIMEOUT;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new GradpathError(`GRADPATH_COMM_TIMEOUT must be a positive number of seconds; got '${raw}'`);
  return v;
}

let group: ProcessGroup | null = null;
let addon: MpiAddon | null = null;

/** The job's process group, initialising MPI on the first call. */
export function initProcessGroup(): ProcessGroup {
  if (group) return group;
  const timeoutSeconds = commTimeoutSeconds();
  addon = loadAddon();
  // GRADPATH_MPI_THREADS=serialized: one communication thread for every communicator, as with
  // an MPI library that grants no more (the tests use it to exercise that path).
  const threadLevel = addon.init(process.env.GRADPATH_MPI_THREADS === 'serialized' ? 'serialized' : 'multiple');
  const native = addon.world();
  const rank = native.rank;
  const size = native.size;
  const world = new Communicator(native, timeoutSeconds, (what) => abortJob(what));
  group = { world, rank, size, threadLevel, library: addon.libraryVersion().replace(/\s+/g, ' '), timeoutSeconds };
  installExitRules();
  return group;
}

/** The process group when one was initialised, else null. */
export function currentProcessGroup(): ProcessGroup | null {
  return group;
}

/**
 * Ends the whole job from this rank: one line naming the rank and what failed, then MPI_Abort
 * (the launcher then ends every other rank).
 */
export function abortJob(what: string, code = 1): never {
  const who = group ? `rank ${group.rank} of ${group.size}` : 'rank ?';
  process.stderr.write(`gradpath: ${who}: ${what}; ending the job\n`);
  if (addon) addon.abort(code || 1);
  process.exit(code || 1);
}

/** Finalises MPI now (it is also done at a clean exit); operations still pending end the job instead. */
export function destroyProcessGroup(): void {
  if (!group || !addon) return;
  if (!addon.finalize()) abortJob('finished with communication still pending (an operation was never awaited)');
  group = null;
}

/** The first line of an error, and where it was thrown for errors that are bugs. */
export function describeError(err: unknown): string {
  if (err instanceof GradpathError) return err.message;
  if (err instanceof Error) {
    const frame = err.stack?.split('\n').find((l) => l.trim().startsWith('at '));
    const at = frame && /(?:file:\/\/)?([^()\s]+:\d+:\d+)\)?\s*$/.exec(frame)?.[1];
    return `${err.name}: ${err.message.split('\n')[0]}${at ? ` (at ${at})` : ''}`;
  }
  return String(err);
}

function installExitRules(): void {
  process.on('uncaughtException', (err) => abortJob(`failed: ${describeError(err)}`));
  process.on('unhandledRejection', (err) => abortJob(`failed: ${describeError(err)}`));
  process.on('exit', (code) => {
    if (!group || !addon) return;
    // 130 after Ctrl-C: the rank stopped as asked (a training run saved first): finalise, do not abort
    if (code !== 0 && !(code === 130 && interruptRequested())) abortJob(`exited with code ${code}`, code);
    destroyProcessGroup();
  });
}
