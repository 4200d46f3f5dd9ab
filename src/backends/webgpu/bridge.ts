/**
 * The engine's side of the device thread: a KernelContext that records commands and posts them in
 * batches, and synchronous reads that wait (Atomics.wait) until the device thread has copied a
 * buffer into shared memory. Why a second thread: the engine is synchronous (an op returns a
 * tensor with its values) but a WebGPU read-back is not (mapAsync resolves on the event loop of the
 * thread that owns the device); with the device elsewhere, this thread can block until the values
 * are there. Atomics.wait is allowed in Node's main thread and in browser workers, where the lab
 * runs its chapters.
 */
import { GradpathError } from '../../util/errors.js';
import type { GpuArray, KernelContext, KernelLimits, Word } from './kernel-context.js';
import { CTRL, STATE_DONE, STATE_FAILED, STATE_WAITING, type Command, type Hello } from './protocol.js';

/** How long close() waits for the device thread at the process's exit. */
const CLOSE_TIMEOUT_MS = 10_000;

/** Commands per posted batch: large enough that a training step is a few posts, small enough that the device starts early. */
const BATCH_COMMANDS = 2048;
/** Uploaded bytes that also end a batch (the copies wait in the message until the device thread runs it). */
const BATCH_UPLOAD_BYTES = 64 * 2 ** 20;
/** How long a read waits for the device before reporting it stuck. */
const READ_TIMEOUT_MS = 10 * 60 * 1000;

export interface BridgeCounters {
  dispatches: number;
  batches: number;
  reads: number;
  readBytes: number;
  uploads: number;
  uploadBytes: number;
}

export class DeviceBridge implements KernelContext {
  readonly limits: KernelLimits;
  readonly description: string;
  readonly counters: BridgeCounters = { dispatches: 0, batches: 0, reads: 0, readBytes: 0, uploads: 0, uploadBytes: 0 };
  private batch: Command[] = [];
  private batchUploadBytes = 0;
  private nextId = 1;
  private scratchIds: number[] = [];
  private olderScratch: number[] = [];
  private readonly ctrl: Int32Array;
  private data: Uint8Array;
  /** Set by close(): nothing more goes to the device thread. */
  private closed = false;

  constructor(private readonly post: (batch: Command[]) => void, ctrlBuf: SharedArrayBuffer, dataBuf: SharedArrayBuffer, hello: Extract<Hello, { ok: true }>) {
    this.ctrl = new Int32Array(ctrlBuf);
    this.data = new Uint8Array(dataBuf);
    this.limits = hello.limits;
    this.description = hello.description;
  }

  /** A new device buffer of `bytes` (a multiple of 4); its contents are undefined until written. */
  alloc(bytes: number): number {
    const id = this.nextId++;
    this.push({ op: 'alloc', id, bytes: Math.max(4, bytes) });
    return id;
  }

  /** Frees a buffer; commands recorded before still see it. */
  free(id: number): void {
    this.push({ op: 'free', id });
  }

  /** Copies src (taken now) into buffer `id` at byteOffset, in order with the commands around it. */
  write(id: number, byteOffset: number, src: Float32Array | Int32Array): void {
    if (src.length === 0) return;
    const copy = src.slice().buffer as ArrayBuffer;
    this.counters.uploads++;
    this.counters.uploadBytes += copy.byteLength;
    this.batchUploadBytes += copy.byteLength;
    this.push({ op: 'write', id, byteOffset, data: copy });
  }

  dispatch(wgsl: string, arrays: readonly GpuArray[], uniforms: readonly Word[], workgroups: readonly [number, number?, number?]): void {
    const [x, y = 1, z = 1] = workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    this.counters.dispatches++;
    this.push({ op: 'dispatch', wgsl, arrays: arrays.map(({ buffer, offset, length }) => ({ buffer, offset, length })), uniforms: [...uniforms], workgroups: [x, y, z] });
  }

  scratch(n: number): GpuArray {
    const id = this.alloc(n * 4);
    this.scratchIds.push(id);
    return { buffer: id, offset: 0, length: n };
  }

  /**
   * Posts what is recorded. Scratch arrays are freed one flush later: a batch can end inside a
   * primitive (at BATCH_COMMANDS), between the scratch it made and the dispatches that use it.
   */
  flush(): void {
    if (this.closed) return void (this.batch = []);
    for (const id of this.olderScratch) this.batch.push({ op: 'free', id });
    this.olderScratch = this.scratchIds;
    this.scratchIds = [];
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.batchUploadBytes = 0;
    this.counters.batches++;
    this.post(batch);
  }

  /** Reads bytes [byteOffset, byteOffset + into.byteLength) of buffer `id` into `into`, after everything recorded: blocks until they are there. */
  read(id: number, byteOffset: number, into: Float32Array | Int32Array): void {
    const bytes = into.byteLength;
    if (bytes === 0) return;
    let grown: SharedArrayBuffer | undefined;
    if (bytes > this.data.length) {
      grown = new SharedArrayBuffer(2 ** Math.ceil(Math.log2(bytes)));
      this.data = new Uint8Array(grown);
    }
    this.counters.reads++;
    this.counters.readBytes += bytes;
    this.batch.push({ op: 'read', id, byteOffset, bytes, data: grown });
    this.await();
    new Uint8Array(into.buffer, into.byteOffset, bytes).set(this.data.subarray(0, bytes));
  }

  /**
   * At the process's exit: lets the device thread finish what was posted, destroy the device and
   * go idle, so that Node's termination of it never interrupts a Dawn call. Records nothing after.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.batch.push({ op: 'close' });
    Atomics.store(this.ctrl, CTRL.STATE, STATE_WAITING);
    this.post(this.batch);
    this.batch = [];
    Atomics.wait(this.ctrl, CTRL.STATE, STATE_WAITING, CLOSE_TIMEOUT_MS); // exiting anyway if it does not answer
  }

  /** Waits until the device has run everything recorded; throws the first error it raised. */
  fence(): void {
    this.batch.push({ op: 'fence' });
    this.await();
  }

  private push(c: Command): void {
    this.batch.push(c);
    if (this.batch.length >= BATCH_COMMANDS || this.batchUploadBytes >= BATCH_UPLOAD_BYTES) this.flush();
  }

  /** Posts the batch (ending in a read or fence) and sleeps until the device thread answers. */
  private await(): void {
    Atomics.store(this.ctrl, CTRL.STATE, STATE_WAITING);
    this.flush();
    const r = Atomics.wait(this.ctrl, CTRL.STATE, STATE_WAITING, READ_TIMEOUT_MS);
    if (r === 'timed-out') throw new GradpathError(`webgpu: the device did not answer within ${READ_TIMEOUT_MS / 60000} minutes`);
    if (Atomics.load(this.ctrl, CTRL.STATE) === STATE_FAILED) {
      const n = Atomics.load(this.ctrl, CTRL.ERROR_BYTES);
      const msg = new TextDecoder().decode(this.data.slice(0, n));
      throw new GradpathError(`webgpu: ${msg}`);
    }
    if (Atomics.load(this.ctrl, CTRL.STATE) !== STATE_DONE) throw new GradpathError('webgpu: the device thread answered out of turn');
  }
}

/** The shared blocks a device thread answers through: control words and a data block (grown by reads as needed). */
export function sharedBlocks(): { ctrl: SharedArrayBuffer; data: SharedArrayBuffer } {
  return { ctrl: new SharedArrayBuffer(CTRL.WORDS * 4), data: new SharedArrayBuffer(2 ** 20) };
}

/** Waits for the device thread's Hello (JSON in the data block); `timeoutMs` bounds a device that never comes. */
export function awaitHello(ctrlBuf: SharedArrayBuffer, dataBuf: SharedArrayBuffer, timeoutMs: number): Hello {
  const ctrl = new Int32Array(ctrlBuf);
  if (Atomics.wait(ctrl, CTRL.STATE, STATE_WAITING, timeoutMs) === 'timed-out') {
    return { ok: false, reason: `the WebGPU device thread did not start within ${timeoutMs / 1000} s` };
  }
  const n = Atomics.load(ctrl, CTRL.ERROR_BYTES);
  return JSON.parse(new TextDecoder().decode(new Uint8Array(dataBuf).slice(0, n))) as Hello;
}
