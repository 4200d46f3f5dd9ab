/**
 * Which OpenBLAS kernels to ask for. OpenBLAS picks its kernels from the CPU when it loads, and
 * 0.3.21 (Debian 12) does not know newer CPUs: on one machine kind it fell back to its generic
 * Prescott kernels (15-18 GFLOP/s), and on an AVX-512 AMD EPYC here it picks its AVX2 (Haswell)
 * kernels at half the speed of its AVX-512 (SkylakeX) ones (docs/engine.md, "Choosing the BLAS").
 * The loader asks a probe built with the addon which kernels OpenBLAS chose, and where that is
 * below what the CPU supports it sets OPENBLAS_CORETYPE before the addon (and OpenBLAS) loads.
 */
import { readFileSync } from 'node:fs';

const AVX512_CORES = ['skylakex', 'cooperlake', 'sapphirerapids'];
const AVX2_CORES = ['haswell', 'zen', 'skylake', ...AVX512_CORES];

/** The CPU's feature flags (Linux /proc/cpuinfo); empty where unknown. */
export function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set(line ? line.split(':')[1].trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

/**
 * The OPENBLAS_CORETYPE to set, given the core OpenBLAS chose by itself and the CPU's flags, or
 * null to leave OpenBLAS's choice alone.
 */
export function betterCoretype(chosen: string, flags: Set<string>): string | null {
  const core = chosen.trim().toLowerCase();
  const avx512 = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd'].every((f) => flags.has(f));
  if (avx512 && !AVX512_CORES.includes(core)) return 'SkylakeX';
  if (!avx512 && flags.has('avx2') && flags.has('fma') && !AVX2_CORES.includes(core)) return 'Haswell';
  return null;
}
