/**
 * The messages between the engine's thread and the thread that owns the GPUDevice (worker.ts).
 * The engine posts batches of commands, in order; the device thread runs them in order. A
 * command that needs an answer (read, fence) is answered through shared memory: the device
 * thread writes the result into `SharedReply` and wakes the engine's thread, which waits in
 * Atomics.wait, so a read-back is synchronous for the engine.
 */
import type { GpuArray, KernelLimits, Word } from './kernel-context.js';

export type Command =
  | { op: 'alloc'; id: number; bytes: number }
  | { op: 'free'; id: number }
  /** Host bytes into buffer `id` at byteOffset, ordered after every command before it. */
  | { op: 'write'; id: number; byteOffset: number; data: ArrayBuffer }
  | { op: 'dispatch'; wgsl: string; arrays: GpuArray[]; uniforms: Word[]; workgroups: [number, number, number] }
  /** Bytes [byteOffset, byteOffset + bytes) of buffer `id` into the reply's data (its SharedArrayBuffer given here when it grew). */
  | { op: 'read'; id: number; byteOffset: number; bytes: number; data?: SharedArrayBuffer }
  /** Waits until the GPU has done everything before it and answers with any error it raised. */
  | { op: 'fence' }
  /** The engine's process is exiting: the device thread runs what came before, destroys the device, answers and runs nothing more. */
  | { op: 'close' };

/** What the device thread answers once, when it has a device (or knows there is none). */
export type Hello =
  | { ok: true; description: string; limits: KernelLimits }
  | { ok: false; reason: string };

/** The control words of the shared reply block (Int32Array over SharedArrayBuffer). */
export const CTRL = {
  /** 0 while the engine waits; the device thread stores 1 (done) or 2 (failed) and notifies. */
  STATE: 0,
  /** The length in bytes of a message (an error, or the Hello as JSON) written into the data block. */
  ERROR_BYTES: 1,
  WORDS: 2,
} as const;

export const STATE_WAITING = 0;
export const STATE_DONE = 1;
export const STATE_FAILED = 2;
