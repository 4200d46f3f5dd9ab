/**
 * `gradpath dist build`: compiles native/mpi/gradpath_mpi.cc with the MPI compiler wrapper
 * (mpicxx: Open MPI's or MPICH's) into build/native/, beside the native backend's addon.
 * Headers come from node-addon-api and node-api-headers (header-only packages); nothing is
 * downloaded. The result replaces the old addon atomically.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GradpathError } from '../util/errors.js';
import { ADDON_PATH, INSTALL_HINT } from './addon.js';

export const ADDON_SOURCE = fileURLToPath(new URL('../../../native/mpi/gradpath_mpi.cc', import.meta.url));

export interface BuildResult {
  output: string;
  compiler: string;
  seconds: number;
}

/** The compiler command line (without the compiler itself). */
export function compileArgs(source: string, output: string, includeDirs: string[]): string[] {
  return [
    '-std=c++17', '-O2', '-fPIC', '-shared',
    // Only the C API: the deprecated MPI C++ bindings are not wanted (and slow to compile).
    '-DOMPI_SKIP_MPICXX', '-DMPICH_SKIP_MPICXX',
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-fexceptions',
    ...includeDirs.map((d) => `-I${d}`),
    source, '-o', output,
  ];
}

function headerDirs(): string[] {
  const require = createRequire(import.meta.url);
  try {
    const addonApi = dirname(require.resolve('node-addon-api/package.json'));
    const napiHeaders = (require('node-api-headers') as { include_dir: string }).include_dir;
    return [addonApi, napiHeaders];
  } catch {
    throw new GradpathError('gradpath dist build: the header packages node-addon-api and node-api-headers are missing; run `npm install` in the project first');
  }
}

export function buildAddon(compiler = process.env.MPICXX ?? 'mpicxx'): BuildResult {
  const probe = spawnSync(compiler, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new GradpathError(`gradpath dist build: the MPI C++ compiler '${compiler}' was not found; ${INSTALL_HINT.replace(', then run `gradpath dist build`', '')}`);
  }
  if (!existsSync(ADDON_SOURCE)) throw new GradpathError(`gradpath dist build: the addon source ${ADDON_SOURCE} is missing (a damaged checkout?)`);
  mkdirSync(dirname(ADDON_PATH), { recursive: true });
  const tmp = `${ADDON_PATH}.${process.pid}.tmp`;
  const t0 = performance.now();
  const run = spawnSync(compiler, compileArgs(ADDON_SOURCE, tmp, headerDirs()), { encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (run.error || run.status !== 0) {
    rmSync(tmp, { force: true });
    const first = `${run.stderr ?? ''}`.split('\n').find((l) => /error/i.test(l)) ?? run.error?.message ?? `exit code ${run.status}`;
    throw new GradpathError(`gradpath dist build: compiling the MPI addon failed: ${first.trim()}`);
  }
  renameSync(tmp, ADDON_PATH);
  return { output: ADDON_PATH, compiler, seconds };
}

