/**
 * Collective bandwidth as nccl-tests defines it, so numbers compare with published ones:
 * algorithm bandwidth = bytes / time, where bytes is the whole array (the all-reduce buffer,
 * the reduce-scatter input, the all-gather output); bus bandwidth = algbw x the fraction of it
 * each rank's link must carry with an optimal algorithm: 2(n-1)/n for all-reduce (a
 * reduce-scatter then an all-gather), (n-1)/n for reduce-scatter and all-gather.
 */
import { GradpathError } from '../util/errors.js';

export type Collective = 'allreduce' | 'reducescatter' | 'allgather';
export const COLLECTIVES: readonly Collective[] = ['allreduce', 'reducescatter', 'allgather'];

export function busBandwidthFactor(op: Collective, ranks: number): number {
  return op === 'allreduce' ? (2 * (ranks - 1)) / ranks : (ranks - 1) / ranks;
}

/** Bytes from '4KB', '512MB', '1GB' (powers of 1024) or a plain number of bytes. */
export function parseBytes(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]?)i?B?\s*$/i.exec(text);
  if (!m) throw new GradpathError(`${flag} expects a size like 4KB, 64MB or 1GB; got '${text}'`);
  const scale = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.round(Number(m[1]) * scale);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30 && bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30} GB`;
  if (bytes >= 2 ** 20 && bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MB`;
  if (bytes >= 2 ** 10 && bytes % 2 ** 10 === 0) return `${bytes / 2 ** 10} KB`;
  return `${bytes} B`;
}
