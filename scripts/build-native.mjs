// Builds the native backend (native/backend/src, C++17 through Node-API, matmul on OpenBLAS)
// into build/native/gradpath_native.node, and the small probe build/native/openblas-core that
// tells the loader which kernels OpenBLAS chose. Nothing prebuilt is committed or downloaded.
//
//   node scripts/build-native.mjs               build; fail with one line if it cannot
//   node scripts/build-native.mjs --if-possible the npm install hook: where a compiler or OpenBLAS
//                                               is missing, print one line and exit 0 (wasm stays)
// `gradpath native build` calls buildNative() below.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const INSTALL_HINT = 'apt-get install build-essential libopenblas-dev libopenblas0-openmp';

function multiarch() {
  try {
    return execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function compiler() {
  for (const cxx of [process.env.CXX, 'c++', 'g++', 'clang++']) {
    if (!cxx) continue;
    try {
      execFileSync(cxx, ['--version'], { stdio: 'ignore' });
      return cxx;
    } catch { /* try the next */ }
  }
  return null;
}

/**
 * OpenBLAS's headers and library. The OpenMP build comes first: its threads are the OpenMP pool
 * our own loops use, so the two never compete for cores (the pthread build keeps its own).
 */
function findOpenBlas() {
  const ma = multiarch();
  const libDirs = [`/usr/lib/${ma}/openblas-openmp`, `/usr/lib/${ma}/openblas-pthread`, `/usr/lib/${ma}`, '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  const incDirs = [`/usr/include/${ma}/openblas-openmp`, `/usr/include/${ma}/openblas-pthread`, '/usr/include/openblas', `/usr/include/${ma}`, '/usr/include', '/usr/local/include'];
  const lib = libDirs.map((d) => join(d, 'libopenblas.so.0')).find((f) => existsSync(f)) ?? libDirs.map((d) => join(d, 'libopenblas.so')).find((f) => existsSync(f));
  const inc = incDirs.find((d) => existsSync(join(d, 'cblas.h')) && existsSync(join(d, 'openblas_config.h')));
  return lib && inc ? { lib, inc, openmp: lib.includes('openmp') } : null;
}

/**
 * oneDNN (optional: `apt-get install libdnnl-dev`): where found, it is compiled in, and the
 * matmuls run on its sgemm (measured faster than OpenBLAS on a training step's shapes:
 * docs/engine.md) unless GRADPATH_GEMM=openblas. GRADPATH_DNNL=0 builds without it.
 */
function findDnnl() {
  if (process.env.GRADPATH_DNNL === '0') return null;
  const ma = multiarch();
  const lib = [`/usr/lib/${ma}/libdnnl.so.2`, `/usr/lib/${ma}/libdnnl.so`, '/usr/lib64/libdnnl.so.2', '/usr/local/lib/libdnnl.so'].find((f) => existsSync(f));
  const inc = ['/usr/include', '/usr/local/include'].find((d) => existsSync(join(d, 'oneapi', 'dnnl', 'dnnl.h')));
  return lib && inc ? { lib, inc } : null;
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}\n${err}`))));
  });
}

/** Why a build cannot start here (one line), or null when it can. */
export function missingPrerequisite() {
  if (process.platform === 'win32') return 'the native backend builds on Linux and macOS only';
  if (!compiler()) return `no C++ compiler found (${INSTALL_HINT})`;
  if (!findOpenBlas()) return `OpenBLAS headers or library not found (${INSTALL_HINT})`;
  return null;
}

/** Compiles and links the addon and the probe. Returns the addon's path; throws on failure. */
export async function buildNative({ log = (line) => console.log(line) } = {}) {
  const missing = missingPrerequisite();
  if (missing) throw new Error(missing);
  const cxx = compiler(), blas = findOpenBlas(), dnnl = findDnnl();
  const require = createRequire(import.meta.url);
  const napiInc = dirname(require.resolve('node-addon-api/package.json'));
  const nodeInc = join(dirname(require.resolve('node-api-headers/package.json')), 'include');
  const src = join(root, 'native', 'backend', 'src');
  const out = join(root, 'build', 'native');
  const obj = join(out, 'obj');
  mkdirSync(obj, { recursive: true });
  // -march=native: the addon is built where it runs (at install), so it may use every vector
  // unit this CPU has (AVX-512 here). -fno-math-errno and -fno-trapping-math let sqrt, floor and friends vectorize.
  const flags = ['-std=c++17', '-O3', '-march=native', '-fPIC', '-fopenmp', '-fno-math-errno', '-fno-trapping-math', '-Wall',
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-fexceptions', `-I${napiInc}`, `-I${nodeInc}`, `-I${blas.inc}`,
    ...(dnnl ? ['-DGP_DNNL', `-I${dnnl.inc}`] : [])];
  const sources = readdirSync(src).filter((f) => f.endsWith('.cc'));
  log(`native: compiling ${sources.length} files with ${cxx} (OpenBLAS ${blas.openmp ? 'OpenMP' : 'pthreads'} build: ${blas.lib}; ${dnnl ? `oneDNN for the matmuls: ${dnnl.lib}` : 'no oneDNN'})`);
  // two at a time: enough on small machines, and the files are small
  const queue = [...sources];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) await run(cxx, [...flags, '-c', join(src, f), '-o', join(obj, f.replace(/\.cc$/, '.o'))]);
  };
  await Promise.all([worker(), worker()]);
  const target = join(out, 'gradpath_native.node');
  const tmp = `${target}.tmp`;
  await run(cxx, ['-shared', '-fopenmp', '-o', tmp, ...sources.map((f) => join(obj, f.replace(/\.cc$/, '.o'))), blas.lib, `-Wl,-rpath,${dirname(blas.lib)}`,
    ...(dnnl ? [dnnl.lib, `-Wl,-rpath,${dirname(dnnl.lib)}`] : [])]);
  renameSync(tmp, target); // a half-written addon never replaces a working one
  const probe = join(out, 'openblas-core');
  await run(cxx, ['-O2', '-x', 'c', join(src, 'probe.c'), '-x', 'none', '-o', `${probe}.tmp`, blas.lib, `-Wl,-rpath,${dirname(blas.lib)}`]);
  renameSync(`${probe}.tmp`, probe);
  rmSync(obj, { recursive: true, force: true });
  writeFileSync(join(out, 'README'), 'Built by `gradpath native build` (scripts/build-native.mjs) from native/backend/src; never committed.\n');
  log(`native: built ${target}`);
  return target;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifPossible = process.argv.includes('--if-possible');
  const missing = missingPrerequisite();
  if (missing) {
    console.log(`gradpath: native backend not built: ${missing}; the wasm backend is used. Build it later with \`gradpath native build\`.`);
    process.exit(ifPossible ? 0 : 1);
  }
  try {
    await buildNative();
  } catch (err) {
    const first = String(err.message).split('\n');
    console.error(`gradpath: native backend build failed: ${first[0]}`);
    if (!ifPossible) console.error(first.slice(1).join('\n'));
    else console.error('gradpath: the wasm backend is used; run `gradpath native build` to see the full error.');
    process.exit(ifPossible ? 0 : 1);
  }
}
