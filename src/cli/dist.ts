import { spawnSync } from 'node:child_process';
import { ADDON_PATH, addonProblem } from '../dist/addon.js';
import { buildAddon } from '../dist/build.js';
import { defineCommand } from './args.js';

const build = defineCommand({
  name: 'build',
  summary: 'Compile the MPI communicator addon (native/mpi) with mpicxx into the build output',
  description: `Needs MPI's compiler wrapper: apt-get install openmpi-bin libopenmpi-dev (Open MPI 4.1; MPICH's
mpicxx works too: set MPICXX to choose another wrapper). The addon goes to ${ADDON_PATH}; rerun this
after \`npm ci\` or an MPI upgrade. Then: gradpath launch -n 2 -- bench allreduce`,
  options: {
    json: { type: 'boolean', help: 'Print a JSON summary' },
  },
  run: (opts) => {
    const result = buildAddon();
    const problem = addonProblem();
    if (problem) {
      console.error(problem);
      return 1;
    }
    if (opts.json) console.log(JSON.stringify(result));
    else console.log(`gradpath dist build: built ${result.output} with ${result.compiler} in ${result.seconds.toFixed(1)} s`);
    return 0;
  },
});

const status = defineCommand({
  name: 'status',
  summary: 'Say whether MPI and the addon are ready for distributed runs',
  options: {},
  run: () => {
    const mpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
    const launcher = mpirun.error ? 'missing (apt-get install openmpi-bin libopenmpi-dev)' : `${mpirun.stdout.split('\n')[0]}`;
    const problem = addonProblem();
    console.log(`mpirun: ${launcher}`);
    console.log(`addon:  ${problem ?? `ready (${ADDON_PATH})`}`);
    return mpirun.error || problem ? 1 : 0;
  },
});

export const command = defineCommand({
  name: 'dist',
  summary: 'Distributed training setup: build the MPI addon, check it',
  usage: 'gradpath dist <build|status>',
  options: {},
  subcommands: [build, status],
});
