/**
 * Where each storage array's current values are: on the host (its typed array) or on the device.
 * The engine's storage stays ordinary typed arrays; an array the GPU has written gets a device
 * buffer (one per ArrayBuffer, so subarrays and views at offsets share it) and is marked
 * device-current: its host copy is stale until sync() reads it back. sync() then hands the array
 * to the host (the host may read and write it), and the next kernel that reads it uploads it again.
 * So there are two states, never "both": an array the host could have changed is never trusted on
 * the device, and the engine's one obligation is to call sync before any host read or write of an
 * array a kernel may have written (Backend.sync, engine/device.ts's syncHost).
 *
 * Arrays the GPU never wrote (user inputs, targets, constants) have no buffer of their own: each
 * kernel that reads one uploads the range it reads into a scratch array.
 */
import type { DeviceBridge } from './bridge.js';
import type { GpuArray } from './kernel-context.js';

type Storage = Float32Array | Int32Array;

interface Resident {
  readonly id: number;
  /** The device buffer holds the current values; the host array is stale. */
  onDevice: boolean;
}

export class Residency {
  private readonly residents = new WeakMap<ArrayBufferLike, Resident>();
  /** Frees a buffer once its host array is garbage. */
  private readonly finalizer: FinalizationRegistry<number>;

  constructor(private readonly bridge: DeviceBridge) {
    this.finalizer = new FinalizationRegistry((id) => bridge.free(id));
  }

  /** `a` for a kernel to read. */
  input(a: Storage): GpuArray {
    const r = this.residents.get(a.buffer);
    if (r?.onDevice) return { buffer: r.id, offset: a.byteOffset / 4, length: a.length };
    const tmp = this.bridge.scratch(a.length);
    this.bridge.write(tmp.buffer, 0, a);
    return tmp;
  }

  /**
   * `a` for a kernel to write (every element, or with `reads` also read: in-place updates). From
   * then on the device holds its values. A host-current array is uploaded first unless the kernel
   * overwrites all of its buffer.
   */
  output(a: Storage, reads = false): GpuArray {
    const buf = a.buffer;
    let r = this.residents.get(buf);
    if (!r) {
      r = { id: this.bridge.alloc(Math.ceil(buf.byteLength / 4) * 4), onDevice: false };
      this.residents.set(buf, r);
      this.finalizer.register(buf, r.id);
    }
    if (!r.onDevice && (reads || a.byteLength !== buf.byteLength)) {
      this.bridge.write(r.id, 0, new Int32Array(buf, 0, buf.byteLength >> 2));
    }
    r.onDevice = true;
    return { buffer: r.id, offset: a.byteOffset / 4, length: a.length };
  }

  /** Whether a kernel has written `a` since the host last had it. */
  onDevice(a: Storage | Float64Array): boolean {
    return this.residents.get(a.buffer)?.onDevice === true;
  }

  /**
   * Makes `a`'s host array current (reading the device copy back unless `overwrite`: the caller
   * will write every element of a, and a is its whole buffer) and hands it to the host.
   */
  sync(a: Storage | Float64Array, overwrite = false): void {
    const r = this.residents.get(a.buffer);
    if (!r?.onDevice) return;
    if (!overwrite || a.byteLength !== a.buffer.byteLength) this.bridge.read(r.id, 0, new Int32Array(a.buffer, 0, a.buffer.byteLength >> 2));
    r.onDevice = false;
  }
}
