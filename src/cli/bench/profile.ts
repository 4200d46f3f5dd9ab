import type { Backend } from '../../backends/backend.js';
import { formatTable } from '../../util/format.js';

/**
 * Per-primitive timing for `gradpath bench train --profile`: a backend whose every kernel is
 * the wrapped one's, timed. Matmuls are told apart by shape (a linear layer's and attention's
 * products differ by orders of magnitude), the rest by primitive. What a step spends outside
 * the kernels (autograd, allocation, TypeScript loops) is the step's time less their sum.
 * Each kernel's process CPU time is kept too: on a loaded machine a kernel's wall time counts
 * the time other processes held the cores, its CPU time does not (with one thread it is the
 * kernel's own work; with more it adds up all of them).
 */
export interface KernelTimes {
  /** key -> [calls, wall milliseconds, CPU milliseconds] */
  readonly times: Map<string, [number, number, number]>;
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
  const times = new Map<string, [number, number, number]>();
  const wrapped: Record<string, unknown> = { times };
  for (const [name, fn] of Object.entries(backend)) {
    if (typeof fn !== 'function') {
      wrapped[name] = fn;
      continue;
    }
    wrapped[name] = (...args: unknown[]) => {
      const t0 = performance.now(), c0 = process.cpuUsage();
      try {
        return (fn as (...a: unknown[]) => unknown).apply(backend, args);
      } finally {
        const k = key(name, args);
        const e = times.get(k) ?? [0, 0, 0];
        const c = process.cpuUsage(c0);
        e[0]++;
        e[1] += performance.now() - t0;
        e[2] += (c.user + c.system) / 1000;
        times.set(k, e);
      }
    };
  }
  return wrapped as unknown as Backend & KernelTimes;
}

/** The table: per step, each kernel's calls, wall and CPU milliseconds (largest first), then the time outside kernels. */
export function profileTable(t: KernelTimes, steps: number, stepMs: number, stepCpuMs: number): string {
  const rows = [...t.times].sort((a, b) => b[1][1] - a[1][1]);
  const sum = (i: 1 | 2) => rows.reduce((s, [, e]) => s + e[i], 0) / steps;
  const pct = (ms: number) => `${((100 * ms) / stepMs).toFixed(1)}%`;
  const table = rows.map(([k, [calls, ms, cpu]]) => [k, (calls / steps).toFixed(0), (ms / steps).toFixed(2), pct(ms / steps), (cpu / steps).toFixed(2)]);
  table.push(['(all kernels)', '', sum(1).toFixed(2), pct(sum(1)), sum(2).toFixed(2)]);
  table.push(['(outside kernels: autograd, allocation, TypeScript)', '', (stepMs - sum(1)).toFixed(2), pct(stepMs - sum(1)), (stepCpuMs - sum(2)).toFixed(2)]);
  return formatTable(['kernel', 'calls/step', 'ms/step', 'share of wall', 'CPU ms/step'], table);
}
