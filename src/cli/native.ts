import { defineCommand } from './args.js';
import { GradpathError } from '../util/errors.js';

/**
 * `gradpath native build | status`: builds the native backend (C++ kernels on OpenBLAS through
 * Node-API, native/backend/src) on this machine, or says whether it is built and which OpenBLAS
 * kernels it runs. The build logic lives in scripts/build-native.mjs, which `npm install` also runs.
 */

interface BuildScript {
  buildNative(opts: { log: (line: string) => void }): Promise<string>;
  missingPrerequisite(): string | null;
}

async function buildScript(): Promise<BuildScript> {
  return (await import(new URL('../../../scripts/build-native.mjs', import.meta.url).href)) as BuildScript;
}

async function describe(): Promise<string> {
  const { loadNative } = await import('../backends/native/index.js');
  const { blas, gemm, blasChosenBy, threads } = loadNative().info();
  const by = { environment: 'set by OPENBLAS_CORETYPE in the environment', gradpath: 'chosen by gradpath from the CPU\'s flags', openblas: 'chosen by OpenBLAS' }[blasChosenBy];
  return `native backend: matmul on ${gemm === 'oneDNN' ? 'oneDNN (GRADPATH_GEMM=openblas for OpenBLAS)' : 'OpenBLAS'}, OpenBLAS ${blas} kernels (${by}), ${threads} thread${threads > 1 ? 's' : ''} (GRADPATH_THREADS); the default backend (--backend or GRADPATH_BACKEND choose another)`;
}

const build = defineCommand({
  name: 'build',
  summary: 'Compile the native backend (needs a C++ compiler and OpenBLAS; oneDNN optional) into build/native/',
  description: `Compiles native/backend/src with -O3 -march=native against OpenBLAS (the OpenMP build where
installed) and, where installed, oneDNN (its sgemm then runs the matmuls, unless GRADPATH_GEMM=openblas) into
build/native/gradpath_native.node, then loads it once to check it. Needs
\`apt-get install build-essential libopenblas-dev libopenblas0-openmp\` (Debian/Ubuntu), and
\`libdnnl-dev\` for the oneDNN option. Once built, it is the default backend.`,
  options: {},
  async run() {
    const script = await buildScript();
    const missing = script.missingPrerequisite();
    if (missing) throw new GradpathError(`gradpath native build: ${missing}`);
    try {
      await script.buildNative({ log: (line) => console.log(line) });
    } catch (err) {
      const [first, ...rest] = (err as Error).message.split('\n');
      if (rest.length) console.error(rest.join('\n'));
      throw new GradpathError(`gradpath native build: compiling failed: ${first}`);
    }
    console.log(await describe());
    return 0;
  },
});

const status = defineCommand({
  name: 'status',
  summary: 'Say whether the native backend is built, and which OpenBLAS kernels it uses',
  options: {},
  async run() {
    const { nativeBuilt, NOT_BUILT } = await import('../backends/native/index.js');
    if (!nativeBuilt()) {
      console.log(NOT_BUILT);
      return 1;
    }
    console.log(await describe());
    return 0;
  },
});

export const command = defineCommand({
  name: 'native',
  summary: 'The native CPU backend (C++ and OpenBLAS): build it, or show its status',
  usage: 'gradpath native <build|status>',
  options: {},
  subcommands: [build, status],
});
