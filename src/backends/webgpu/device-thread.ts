/**
 * The device side of the bridge, the same in a Node worker thread and a browser Web Worker: it owns
 * the GPUDevice (through the executor), runs the engine's command batches in order, and answers
 * reads and fences through shared memory (see protocol.ts). Commands are queued and run one at a
 * time, so a read that waits for mapAsync holds back the commands posted after it.
 */
import { GpuExecutor } from './executor.js';
import { requestGpuDevice } from './adapter.js';
import { CTRL, STATE_DONE, STATE_FAILED, type Command, type Hello } from './protocol.js';

/**
 * Gets a device, answers with a Hello (JSON in the shared data block: the engine's thread waits for
 * it without an event loop), then runs every batch `onBatch` delivers.
 */
export async function serveDevice(onBatch: (handler: (batch: Command[]) => void) => void, ctrlBuf: SharedArrayBuffer, dataBuf: SharedArrayBuffer): Promise<void> {
  const ctrl = new Int32Array(ctrlBuf);
  let data = new Uint8Array(dataBuf);
  const hello = (h: Hello): void => {
    const bytes = new TextEncoder().encode(JSON.stringify(h));
    data.set(bytes);
    Atomics.store(ctrl, CTRL.ERROR_BYTES, bytes.length);
    Atomics.store(ctrl, CTRL.STATE, STATE_DONE);
    Atomics.notify(ctrl, CTRL.STATE);
  };
  let got: Awaited<ReturnType<typeof requestGpuDevice>>;
  try {
    got = await requestGpuDevice();
  } catch (e) {
    got = { device: null, reason: (e as Error).message.split('\n')[0] };
  }
  if (!got.device) {
    hello({ ok: false, reason: got.reason });
    return;
  }
  const exec = new GpuExecutor(got.device);
  // the first failure of a batch: commands after it still run (buffer bookkeeping stays right), and the next read or fence reports it
  let failure: string | null = null;

  const answer = (ok: boolean): void => {
    if (!ok) {
      const msg = new TextEncoder().encode((failure ?? 'unknown WebGPU failure').slice(0, 4000));
      data.set(msg.subarray(0, Math.min(msg.length, data.length)));
      Atomics.store(ctrl, CTRL.ERROR_BYTES, Math.min(msg.length, data.length));
      failure = null;
    }
    Atomics.store(ctrl, CTRL.STATE, ok ? STATE_DONE : STATE_FAILED);
    Atomics.notify(ctrl, CTRL.STATE);
  };

  const run = async (c: Command): Promise<void> => {
    switch (c.op) {
      case 'alloc': exec.createBuffer(c.id, c.bytes / 4); return;
      case 'free': exec.destroyBuffer(c.id); return;
      case 'write': exec.write(c.id, c.byteOffset / 4, new Int32Array(c.data)); return;
      case 'dispatch': exec.dispatch(c.wgsl, c.arrays, c.uniforms, c.workgroups); return;
      case 'read': {
        if (c.data) data = new Uint8Array(c.data);
        if (failure === null) {
          const into = new Int32Array(c.bytes / 4);
          try {
            await exec.read({ buffer: c.id, offset: c.byteOffset / 4, length: c.bytes / 4 }, into);
            data.set(new Uint8Array(into.buffer));
          } catch (e) {
            failure = (e as Error).message;
          }
        }
        answer(failure === null);
        return;
      }
      case 'close':
        // Node terminates this thread when the engine's process exits: it must then be idle, not
        // inside a Dawn call (an exception thrown into a terminating thread aborts the process)
        closed = true;
        try {
          exec.destroy();
        } catch {
          // the process is exiting either way
        }
        answer(true);
        return;
      case 'fence':
        if (failure === null) {
          try {
            await exec.finish();
          } catch (e) {
            failure = (e as Error).message;
          }
        }
        answer(failure === null);
        return;
    }
  };

  const queue: Command[][] = [];
  let running = false;
  let closed = false;
  const drain = async (): Promise<void> => {
    if (running) return;
    running = true;
    while (queue.length > 0 && !closed) {
      const batch = queue.shift()!;
      for (const c of batch) {
        if (closed) break;
        try {
          await run(c);
        } catch (e) {
          failure ??= (e as Error).message;
        }
      }
      // one submission per batch the engine posted (a few per training step)
      if (closed) break;
      try {
        exec.flush();
      } catch (e) {
        failure ??= (e as Error).message;
      }
    }
    running = false;
  };
  onBatch((batch) => {
    queue.push(batch);
    void drain();
  });
  hello({ ok: true, description: got.description, limits: exec.limits });
}
