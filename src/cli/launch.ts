import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INSTALL_HINT } from '../dist/addon.js';
import { launch } from '../dist/launcher.js';
import { GradpathError } from '../util/errors.js';
import { defineCommand } from './args.js';

const BIN = fileURLToPath(new URL('../../../bin/gradpath.js', import.meta.url));

/** The program each rank runs: a gradpath command, or a Node script (a path ending in .js/.mjs/.cjs). */
function rankProgram(words: string[]): string[] {
  const cmd = words[0] === 'gradpath' ? words.slice(1) : words;
  if (cmd.length === 0) throw new GradpathError('gradpath launch: no command given; e.g. `gradpath launch -n 2 -- bench allreduce`');
  if (/\.[cm]?js$/.test(cmd[0])) {
    const script = resolve(cmd[0]);
    if (!existsSync(script)) throw new GradpathError(`gradpath launch: script ${cmd[0]} not found`);
    return [process.execPath, script, ...cmd.slice(1)];
  }
  return [process.execPath, BIN, ...cmd];
}

export const command = defineCommand({
  name: 'launch',
  summary: 'Run a gradpath command on N processes of this machine under mpirun (one rank each)',
  usage: 'gradpath launch -n N [options] -- <gradpath command and its flags>',
  variadic: true, // everything after -- is the command each rank runs
  description: `Runs Open MPI's mpirun with what a laptop or container needs: --oversubscribe when N exceeds
the cores, the run-as-root variables when root, GRADPATH_THREADS=1 per rank unless set. Every output
line is prefixed with its rank. When a rank throws, is killed or a collective hangs past
--comm-timeout, every rank is ended and one line says which rank and what happened.
Examples:
  gradpath launch -n 2 -- bench allreduce
  gradpath launch -n 2 --tcp -- bench allreduce --max-size 64MB
Needs: apt-get install openmpi-bin libopenmpi-dev, then gradpath dist build. On a cluster, call mpirun
(or srun) directly: mpirun -np N --hostfile hosts npx gradpath <command>.`,
  options: {
    n: { type: 'int', short: 'n', min: 1, help: 'Number of ranks (processes)', placeholder: 'N' },
    'comm-timeout': { type: 'float', min: 0.001, help: 'Seconds a collective may wait before the job is ended (GRADPATH_COMM_TIMEOUT; default 300)', placeholder: 'S' },
    threads: { type: 'int', min: 1, help: 'wasm threads per rank (GRADPATH_THREADS; default 1)', placeholder: 'N' },
    tcp: { type: 'boolean', help: 'Talk over TCP only (OMPI_MCA_btl=tcp,self), as between machines' },
    hostfile: { type: 'string', help: 'mpirun hostfile, to spread the ranks over machines', placeholder: 'FILE' },
  },
  run: async (opts, positionals) => {
    if (opts.n === undefined) throw new GradpathError('gradpath launch: -n N is required (the number of ranks)');
    const program = rankProgram(positionals);
    const probe = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
    if (probe.error) throw new GradpathError(`gradpath launch: mpirun was not found; ${INSTALL_HINT}`);
    return launch({ ranks: opts.n, program, commTimeout: opts.commTimeout, threads: opts.threads, tcp: opts.tcp, hostfile: opts.hostfile });
  },
});
