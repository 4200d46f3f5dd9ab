/**
 * A pipeline stage's transfers with its neighbours on the pp communicator: activations (b, T, C)
 * forward, their gradients backward. Sends are queued and not waited for (the data is copied
 * first, so the caller may go on and free its tensor); receives block the JavaScript thread until
 * the data is in (the forward and backward that need it are synchronous), and every such wait is
 * recorded as pipeline idle time in the step timeline: the bubble.
 *
 * All transfers use one tag: a stage receives only activations from the previous stage and only
 * gradients from the next, and MPI delivers messages between two ranks in order.
 */
import { Tensor } from '../engine/tensor.js';
import type { Communicator } from './communicator.js';
import { stepTimeline } from './timeline.js';

const TAG = 0;

export class PipelineLink {
  readonly first: boolean;
  readonly last: boolean;
  /** Seconds this link has blocked waiting for a neighbour, since the last take. */
  private idle = 0;
  /** Sends not yet known to be finished (their promises must be awaited before MPI ends). */
  private pending: Promise<void>[] = [];

  constructor(readonly comm: Communicator) {
    this.first = comm.rank === 0;
    this.last = comm.rank === comm.size - 1;
  }

  sendForward(t: Tensor): void {
    this.pending.push(this.comm.send(copyOf(t), this.comm.rank + 1, TAG));
  }

  sendBackward(t: Tensor): void {
    this.pending.push(this.comm.send(copyOf(t), this.comm.rank - 1, TAG));
  }

  /** The previous stage's output, as a leaf that collects its gradient. */
  recvForward(shape: number[], label: string): Tensor {
    const into = new Float32Array(numel(shape));
    this.pending.push(this.comm.recv(into, this.comm.rank - 1, TAG));
    this.block(`recv ${label}`);
    return new Tensor(into, shape).setRequiresGrad();
  }

  recvBackward(shape: number[], label: string): Tensor {
    const into = new Float32Array(numel(shape));
    this.pending.push(this.comm.recv(into, this.comm.rank + 1, TAG));
    this.block(`recv grad ${label}`);
    return new Tensor(into, shape);
  }

  /** Sends t forward and receives the gradient of an earlier output from the next stage. */
  sendForwardRecvBackward(t: Tensor, gradShape: number[], label: string): Tensor {
    const into = new Float32Array(numel(gradShape));
    this.pending.push(this.comm.sendRecv(copyOf(t), this.comm.rank + 1, into, this.comm.rank + 1, TAG));
    this.block(`send, recv grad ${label}`);
    return new Tensor(into, gradShape);
  }

  /** Sends a gradient back and receives the next input from the previous stage. */
  sendBackwardRecvForward(g: Tensor, shape: number[], label: string): Tensor {
    const into = new Float32Array(numel(shape));
    this.pending.push(this.comm.sendRecv(copyOf(g), this.comm.rank - 1, into, this.comm.rank - 1, TAG));
    this.block(`send grad, recv ${label}`);
    return new Tensor(into, shape).setRequiresGrad();
  }

  /** Blocks until everything queued has run (the sends too), counting the wait as idle. */
  drain(label: string): void {
    this.block(label);
  }

  /** Keeps an operation's promise with the transfers' (awaited by settle). */
  track(p: Promise<void>): void {
    this.pending.push(p);
  }

  /** Idle seconds since the last call. */
  takeIdle(): number {
    const s = this.idle;
    this.idle = 0;
    return s;
  }

  /** Awaits the finished transfers' promises (they settle on the event loop after a blocking wait). */
  async settle(): Promise<void> {
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
  }

  private block(label: string): void {
    const t0 = performance.now();
    stepTimeline().waitSync('idle', label, () => this.comm.waitAll());
    this.idle += (performance.now() - t0) / 1000;
  }
}

function copyOf(t: Tensor): Float32Array {
  return Float32Array.from(t.floatValues());
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
