/**
 * The one-machine launcher behind `gradpath launch`: runs Open MPI's mpirun with what a laptop or
 * a container needs, relabels every output line with its rank, and turns mpirun's multi-line
 * failure reports into one line naming the rank and what happened.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface LaunchOptions {
  ranks: number;
  /** The program every rank runs (e.g. node and gradpath's bin with a command). */
  program: string[];
  /** Seconds before a pending collective ends the job (sets GRADPATH_COMM_TIMEOUT). */
  commTimeout?: number;
  /** wasm threads per rank (GRADPATH_THREADS); default 1, or GRADPATH_THREADS when set. */
  threads?: number;
  /** Only TCP between ranks (OMPI_MCA_btl=tcp,self), the path between machines. */
  tcp?: boolean;
  /** Hosts to run on (mpirun --hostfile); without it, this machine. */
  hostfile?: string;
  /** Seconds the ranks get after Ctrl-C to finish their step and save before they are ended (default 120). */
  interruptGrace?: number;
}

export interface Machine {
  cores: number;
  root: boolean;
  env: NodeJS.ProcessEnv;
}

export function thisMachine(): Machine {
  return { cores: availableParallelism(), root: process.getuid?.() === 0, env: process.env };
}

/** mpirun's arguments and environment for opts on machine. */
export function mpirunInvocation(opts: LaunchOptions, machine: Machine = thisMachine()): { args: string[]; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = { ...machine.env };
  // Open MPI refuses to run as root unless told twice; containers often run as root.
  if (machine.root) Object.assign(env, { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' });
  // N ranks each with all cores' worth of wasm threads would fight over the cores.
  env.GRADPATH_THREADS = String(opts.threads ?? machine.env.GRADPATH_THREADS ?? 1);
  if (opts.commTimeout !== undefined) env.GRADPATH_COMM_TIMEOUT = String(opts.commTimeout);
  if (opts.tcp) env.OMPI_MCA_btl = 'tcp,self';
  // A rank's communication thread waiting inside MPI polls at full speed unless told to yield;
  // beside its own compute thread it then steals a core. Yielding measured faster on 2 cores:
  // DDP step 1.50x instead of 1.84x of one rank's, pipeline steps 25-30% shorter (docs/distributed.md).
  if (machine.env.OMPI_MCA_mpi_yield_when_idle === undefined) env.OMPI_MCA_mpi_yield_when_idle = '1';
  // --bind-to none: each rank's communication thread must not share one core with its compute.
  const args = ['-np', String(opts.ranks), '--tag-output', '--bind-to', 'none'];
  if (opts.hostfile) args.push('--hostfile', opts.hostfile);
  else if (opts.ranks > machine.cores) args.push('--oversubscribe');
  // Local ranks inherit the environment; -x carries it to other hosts too.
  for (const name of Object.keys(env).filter((k) => k.startsWith('GRADPATH_')).sort()) args.push('-x', name);
  return { args: [...args, ...opts.program], env };
}

const TAGGED = /^\[\d+,(\d+)\]<(stdout|stderr)>:(.*)$/;
/** A line that already names its rank is left as it is. */
const NAMED = /^(\[rank \d+\]|gradpath: rank \d+|rank \d+\b)/;
const RANK_FAULT = /^gradpath: rank (\d+) of \d+: /;

export type Relabelled = { rank: number; stream: 'stdout' | 'stderr'; text: string } | null;

/** A line of mpirun --tag-output as [rank R] text; null for mpirun's own lines. */
export function relabel(line: string): Relabelled {
  const m = TAGGED.exec(line);
  if (!m) return null;
  const rank = Number(m[1]);
  // mpirun tags each chunk it reads, not each line: a long line may carry its tag again inside.
  const tag = line.slice(0, line.length - m[3].length);
  const text = m[3].split(tag).join('');
  return { rank, stream: m[2] as 'stdout' | 'stderr', text: NAMED.test(text) ? text : `[rank ${rank}] ${text}` };
}

/**
 * One line for a failed job from mpirun's own report (null when it says nothing recognisable).
 * ranksThatSaid: ranks that already printed their own fault line (MPI_Abort after a clear message).
 */
export function summarizeFailure(mpirunLines: string[], ranksThatSaid: Set<number>): string | null {
  const text = mpirunLines.join(' ').replace(/\s+/g, ' ');
  let m = /process rank (\d+) with PID (\d+) on node (\S+) exited on signal (\d+) \(([^)]+)\)/.exec(text);
  // mpirun may not know the pid of a rank that died (it prints 0).
  if (m) return `gradpath launch: rank ${m[1]} (${m[2] === '0' ? '' : `pid ${m[2]} `}on ${m[3]}) was killed by signal ${m[4]} (${m[5]}); every rank was ended`;
  m = /MPI_ABORT was invoked on rank (\d+) in communicator (\S+) with errorcode (-?\d+)/.exec(text);
  if (m) {
    if (ranksThatSaid.has(Number(m[1]))) return '';
    return `gradpath launch: rank ${m[1]} called MPI_Abort (error code ${m[3]}); every rank was ended`;
  }
  m = /Process name: \[\[\d+,\d+\],(\d+)\] Exit code: (-?\d+)/.exec(text);
  if (m) return `gradpath launch: rank ${m[1]} exited with code ${m[2]}; every rank was ended`;
  m = /process rank (\d+) with PID (\d+) on node (\S+) exiting improperly/.exec(text);
  if (m) return `gradpath launch: rank ${m[1]} (pid ${m[2]}) exited without finalizing MPI; every rank was ended`;
  return null;
}

export interface LaunchStreams {
  stdout: Writable;
  stderr: Writable;
}

/** Runs the job; resolves to mpirun's exit code. */
export function launch(opts: LaunchOptions, io: LaunchStreams = { stdout: process.stdout, stderr: process.stderr }, mpirun = 'mpirun'): Promise<number> {
  const { args, env } = mpirunInvocation(opts);
  // its own process group: a Ctrl-C in the terminal reaches this launcher only, which asks the ranks to stop (below)
  const child = spawn(mpirun, args, { env, stdio: ['inherit', 'pipe', 'pipe'], detached: true });
  const own: string[] = [];
  const said = new Set<number>();
  const forward = (stream: Readable) =>
    new Promise<void>((resolve) => {
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => {
        const r = relabel(line);
        if (!r) return void own.push(line);
        const f = RANK_FAULT.exec(r.text);
        if (f) said.add(Number(f[1]));
        (r.stream === 'stdout' ? io.stdout : io.stderr).write(`${r.text}\n`);
      });
      lines.on('close', resolve);
    });
  let interrupted: NodeJS.Signals | null = null;
  let grace: NodeJS.Timeout | undefined;
  /**
   * Ctrl-C, the first time: SIGUSR2 to mpirun, which forwards it to every rank (SIGINT it would turn
   * into SIGTERM and, a second later, SIGKILL). A training rank takes it as its own Ctrl-C
   * (util/interrupt.ts): the ranks agree to stop after the same step, save, and exit; a program
   * without a handler ends at once (SIGUSR2's default). Past the grace period, or at a second
   * Ctrl-C or a SIGTERM, mpirun gets the signal itself and ends every rank.
   */
  const forwardSignal = (sig: NodeJS.Signals) => {
    const first = interrupted === null;
    interrupted = sig;
    if (sig === 'SIGINT' && first) {
      io.stderr.write('gradpath launch: interrupt: every rank finishes its step and saves (Ctrl-C again to end them now)\n');
      child.kill('SIGUSR2');
      grace = setTimeout(() => child.kill('SIGINT'), (opts.interruptGrace ?? 120) * 1000);
      grace.unref();
    } else child.kill(sig); // mpirun passes it on and ends every rank
  };
  process.on('SIGINT', forwardSignal);
  process.on('SIGTERM', forwardSignal);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    const streams = Promise.all([forward(child.stdout), forward(child.stderr)]);
    child.on('close', async (code, signal) => {
      await streams;
      process.off('SIGINT', forwardSignal);
      process.off('SIGTERM', forwardSignal);
      clearTimeout(grace);
      const status = code ?? (signal ? 128 + 1 : 1);
      const mine = own.filter((l) => l.trim() !== '');
      if (interrupted) {
        // a rank that saved and stopped exits 130 (the shell's convention for Ctrl-C), and mpirun with it
        const saved = status === 0 || status === 130;
        io.stderr.write(`gradpath launch: interrupted (${interrupted}); ${saved ? 'every rank stopped after its step (a training run saved its state: continue with --resume)' : 'every rank was ended'}\n`);
        return resolve(128 + (interrupted === 'SIGINT' ? 2 : 15));
      }
      if (status !== 0) {
        const summary = summarizeFailure(mine, said);
        // A rank that already said what failed needs no help from mpirun's noise.
        if (summary === null && said.size === 0) for (const l of mine) io.stderr.write(`${l}\n`);
        else if (summary) io.stderr.write(`${summary}\n`);
      } else {
        for (const l of mine) io.stderr.write(`${l}\n`);
      }
      resolve(status);
    });
  });
}
