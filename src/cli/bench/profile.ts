import type { Backend } from '../../backends/backend.js';
import { formatTable } from '../../util/format.js';

/**
 * Per-primitive timing for `gradpath bench train --profile`: a backend whose every kernel is
 * the wrapped one's, timed. Matmuls are told apart by shape (a linear layer's and attention's
 * products differ by orders of magnitude), the rest by primitive. What a step spends outside
 * the kernels (autograd, allocation, TypeScript loops) is the step's time less their sum.
 */
export interface KernelTimes {
  /** key -> [calls, milliseconds] */
  readonly times: Map<string, [number, number]>;
}

function key(name: string, args: unknown[]): string {
  if (name === 'matmul') {
    const [, , , batch, m, k, n, ta, tb] = args as [unknown, unknown, unknown, number, number, number, number, boolean, boolean];
    return `matmul ${batch > 1 ? `${batch} x ` : ''}${m}x${k}x${n}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`;
  }
  if (name === 'binary' || name === 'unary' || name === 'reduce') return `${name} ${String(args[0])}`;
  return name;
}

export function profiled(backend: Backend): Backend & KernelTimes {
  const times = new Map<string, [number, number]>();
  const wrapped: Record<string, unknown> = { times };
  for (const [name, fn] of Object.entries(backend)) {
    if (typeof fn !== 'function') {
      wrapped[name] = fn;
      continue;
    }
    wrapped[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return (fn as (...a: unknown[]) => unknown).apply(backend, args);
      } finally {
        const k = key(name, args);
        const e = times.get(k) ?? [0, 0];
        e[0]++;
        e[1] += performance.now() - t0;
        times.set(k, e);
      }
    };
  }
  return wrapped as unknown as Backend & KernelTimes;
}

/** The table: per step, each kernel's calls and milliseconds (largest first), then the time outside kernels. */
export function profileTable(t: KernelTimes, steps: number, stepMs: number): string {
  const rows = [...t.times].sort((a, b) => b[1][1] - a[1][1]);
  const inKernels = rows.reduce((s, [, [, ms]]) => s + ms, 0) / steps;
  const table = rows.map(([k, [calls, ms]]) => [k, (calls / steps).toFixed(0), (ms / steps).toFixed(2), `${((100 * ms) / steps / stepMs).toFixed(1)}%`]);
  table.push(['(all kernels)', '', inKernels.toFixed(2), `${((100 * inKernels) / stepMs).toFixed(1)}%`]);
  table.push(['(outside kernels: autograd, allocation, TypeScript)', '', (stepMs - inKernels).toFixed(2), `${((100 * (stepMs - inKernels)) / stepMs).toFixed(1)}%`]);
  return formatTable(['kernel', 'calls/step', 'ms/step', 'share'], table);
}
