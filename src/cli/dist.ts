import { spawnSync } from 'node:child_process';
import { ADDON_PATH, addonProblem } from '../dist/addon.js';
import { buildAddon } from '../dist/build.js';
import { defineCommand } from './args.js';
import { mergeShards } from '../dist/checkpoint-merge.js';
import { formatBytes } from '../dist/plan.js';
import { statSync } from 'node:fs';
import { GradpathError } from '../util/errors.js';

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

const merge = defineCommand({
  name: 'merge',
  summary: 'Merge a run directory\'s sharded checkpoint (any layout) into one checkpoint file',
  usage: 'gradpath dist merge RUN_DIR --out FILE.safetensors [--model-only]',
  description: `Reads RUN_DIR/latest.index.json (the last complete sharded checkpoint of a distributed run),
assembles every global tensor from the ranks' pieces and writes one gradpath checkpoint: the model's
tensors under their Hugging Face-style names (model.h.0.attn.c_attn.weight ...), and the optimizer's
state unless --model-only. What gpt2 sample and chargpt's loaders read; as latest.safetensors a
single process resumes from it.
Example:
  gradpath dist merge runs/gpt2-dp2 --out runs/gpt2-dp2/merged.safetensors`,
  variadic: true, // RUN_DIR
  options: {
    out: { type: 'string', short: 'o', aliases: ['output'], path: 'out-file', placeholder: 'FILE.safetensors', help: 'Where to write the merged checkpoint' },
    'model-only': { type: 'boolean', help: 'Leave the optimizer state out (a smaller file for sampling)' },
    json: { type: 'boolean', help: 'Print a JSON summary' },
  },
  run: (opts, positionals) => {
    if (positionals.length !== 1) throw new GradpathError('gradpath dist merge: give one run directory, e.g. `gradpath dist merge runs/gpt2-dp2 --out merged.safetensors`');
    if (!opts.out) throw new GradpathError('gradpath dist merge: --out FILE.safetensors is required (where the merged checkpoint goes)');
    const result = mergeShards(positionals[0], opts.out, { optimizer: !opts.modelOnly });
    const bytes = statSync(opts.out).size;
    if (opts.json) console.log(JSON.stringify({ ...result, out: opts.out, bytes }));
    else {
      const layout = Object.entries(result.layout).map(([k, v]) => `${k} ${v}`).join(' x ');
      console.log(`gradpath dist merge: step ${result.step} of a ${result.kind} run saved by ${result.world} ranks (${layout}): ${result.tensors} model tensors${result.optimizerTensors ? ` and ${result.optimizerTensors} optimizer tensors` : ''} to ${opts.out} (${formatBytes(bytes)})`);
    }
    return 0;
  },
});

export const command = defineCommand({
  name: 'dist',
  summary: 'Distributed training setup: build the MPI addon, check it; merge a sharded checkpoint',
  usage: 'gradpath dist <build|status|merge>',
  options: {},
  subcommands: [build, status, merge],
});
