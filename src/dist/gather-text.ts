/**
 * Every rank's string, in rank order (collective: every rank of `comm` calls it). The
 * communicator moves Float32Arrays only, so the text travels as character codes (exact in float32
 * below 2^24): one all-gather of the lengths, one of the texts padded to the longest.
 */
import type { Communicator } from './communicator.js';

export async function allGatherText(comm: Communicator, text: string): Promise<string[]> {
  const lengths = new Float32Array(comm.size);
  await comm.allGather(Float32Array.of(text.length), lengths);
  const longest = Math.max(...lengths);
  const mine = new Float32Array(longest);
  for (let i = 0; i < text.length; i++) mine[i] = text.charCodeAt(i);
  const all = new Float32Array(longest * comm.size);
  await comm.allGather(mine, all);
  return Array.from({ length: comm.size }, (_, r) => Array.from(all.subarray(r * longest, r * longest + lengths[r]), (c) => String.fromCharCode(c)).join(''));
}
