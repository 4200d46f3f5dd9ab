/**
 * A communicator: the ranks of one group (the world, or a data/tensor/pipeline-parallel group of
 * the process grid) and the collectives among them, on Float32Arrays in place (no copies; views at
 * any offset and views into the wasm kernels' shared memory work alike).
 *
 * Each call returns a promise at once and is queued on the communicator's one communication
 * thread, so compute can go on while it runs (a gradient bucket all-reduced during backward).
 * Operations run in the order they were called, and every rank must call the collectives of a
 * communicator in the same order, as with any MPI program. An array must not be touched until its
 * promise resolves. An operation still unfinished after the job's timeout ends the whole job
 * (see process-group.ts).
 */
import { GradpathError } from '../util/errors.js';
import type { NativeComm } from './addon.js';

export type ReduceOp = 'sum' | 'avg';

/** What a communicator does when an operation outlives the timeout: ends the job, naming it. */
export type TimeoutHandler = (what: string) => void;

export class Communicator {
  constructor(
    private readonly native: NativeComm,
    private readonly timeoutSeconds: number,
    private readonly onTimeout: TimeoutHandler,
    /** For messages: 'world', 'dp', 'tp' ... */
    readonly name = 'world',
  ) {}

  get rank(): number {
    return this.native.rank;
  }

  get size(): number {
    return this.native.size;
  }

  /** In place: every rank's x becomes the element-wise sum (or mean) over the ranks. */
  allReduce(x: Float32Array, op: ReduceOp = 'sum'): Promise<void> {
    floats(x, 'allReduce');
    return this.track(`allReduce of ${x.length} floats`, this.native.allReduce(x, reduceOp(op)));
  }

  /**
   * input (size * n) -> output (n): rank r gets the sum (or mean) over the ranks of input's block r,
   * input.subarray(r * n, (r + 1) * n). input and output must not overlap.
   */
  reduceScatter(input: Float32Array, output: Float32Array, op: ReduceOp = 'sum'): Promise<void> {
    floats(input, 'reduceScatter');
    floats(output, 'reduceScatter');
    if (input.length !== output.length * this.size) {
      throw new GradpathError(`reduceScatter: input has ${input.length} floats; it must have size * output.length = ${this.size} * ${output.length}`);
    }
    if (overlap(input, output)) throw new GradpathError('reduceScatter: input and output overlap; give the result its own array');
    return this.track(`reduceScatter of ${input.length} floats`, this.native.reduceScatter(input, output, reduceOp(op)));
  }

  /**
   * input (n) -> output (size * n): output's block r is rank r's input. In place when input is
   * output's own block for this rank (output.subarray(rank * n, (rank + 1) * n)); otherwise they
   * must not overlap.
   */
  allGather(input: Float32Array, output: Float32Array): Promise<void> {
    floats(input, 'allGather');
    floats(output, 'allGather');
    if (output.length !== input.length * this.size) {
      throw new GradpathError(`allGather: output has ${output.length} floats; it must have size * input.length = ${this.size} * ${input.length}`);
    }
    const own = input.buffer === output.buffer && input.byteOffset === output.byteOffset + this.rank * input.byteLength;
    if (!own && overlap(input, output)) {
      throw new GradpathError(`allGather: input overlaps output other than as this rank's block (${this.rank}); use output.subarray(rank * n, (rank + 1) * n) or its own array`);
    }
    return this.track(`allGather of ${output.length} floats`, this.native.allGather(input, output));
  }

  /** In place: every rank's x becomes root's x. */
  broadcast(x: Float32Array, root = 0): Promise<void> {
    floats(x, 'broadcast');
    this.peer(root, 'broadcast root');
    return this.track(`broadcast of ${x.length} floats from rank ${root}`, this.native.broadcast(x, root));
  }

  /** Sends x to rank dest, which receives it with recv(_, this rank, tag) into an array of the same length. */
  send(x: Float32Array, dest: number, tag = 0): Promise<void> {
    floats(x, 'send');
    this.peer(dest, 'send destination');
    return this.track(`send of ${x.length} floats to rank ${dest}`, this.native.send(x, dest, checkTag(tag)));
  }

  recv(x: Float32Array, source: number, tag = 0): Promise<void> {
    floats(x, 'recv');
    this.peer(source, 'recv source');
    return this.track(`recv of ${x.length} floats from rank ${source}`, this.native.recv(x, source, checkTag(tag)));
  }

  /**
   * Sends out to dest and receives into from source at once: the way to exchange between ranks
   * (two blocking sends facing each other would wait for ever on large arrays).
   */
  sendRecv(out: Float32Array, dest: number, into: Float32Array, source: number, tag = 0): Promise<void> {
    floats(out, 'sendRecv');
    floats(into, 'sendRecv');
    this.peer(dest, 'sendRecv destination');
    this.peer(source, 'sendRecv source');
    if (overlap(out, into)) throw new GradpathError('sendRecv: the send and receive arrays overlap');
    return this.track(`sendRecv to rank ${dest} from rank ${source}`, this.native.sendRecv(out, dest, into, source, checkTag(tag)));
  }

  barrier(): Promise<void> {
    return this.track('barrier', this.native.barrier());
  }

  /**
   * MPI_Comm_split: ranks that pass the same color form a new communicator, ordered by key
   * (then by rank here). A negative color takes no part and gets null.
   */
  async split(color: number, key = this.rank, name = `${this.name}/${color}`): Promise<Communicator | null> {
    if (!Number.isInteger(color) || !Number.isInteger(key)) throw new GradpathError(`split: color and key must be integers; got ${color}, ${key}`);
    const made = await this.track(`split (color ${color})`, this.native.split(color, key));
    return made ? new Communicator(made, this.timeoutSeconds, this.onTimeout, name) : null;
  }

  /** Frees the communicator (after the operations already queued); not the world. */
  free(): Promise<void> {
    return this.track('free', this.native.free());
  }

  /**
   * For benchmarks: the MPI library's own time for `iters` back-to-back calls of one collective
   * (0 all-reduce of a in place, 1 reduce-scatter a -> b, 2 all-gather b -> a), measured on the
   * communication thread without a promise per call; each call's seconds.
   */
  timeLibrary(op: 0 | 1 | 2, a: Float32Array, b: Float32Array, iters: number): Promise<Float64Array> {
    return this.track(`timed collective ${op}`, this.native.timeCollective(op, a, b, iters));
  }

  /**
   * Blocks the JavaScript thread until every operation queued so far on this communicator has
   * run: their arrays hold the results at once (the promises settle later, on the event loop).
   * For collectives inside a synchronous forward or backward (tensor and sequence parallelism,
   * ZeRO-3's gathers), where awaiting is not possible. Past the timeout the job ends.
   *
   *   comm.allReduce(x); comm.waitAll();   // x is reduced here
   */
  waitAll(): void {
    const job = this.native.lastJob();
    if (!this.native.wait(job, this.timeoutSeconds)) {
      this.onTimeout(`an operation on the ${this.name} communicator did not complete within ${this.timeoutSeconds} s (--comm-timeout)`);
    }
  }

  /** Ends the job when p's operation is still unfinished after the timeout. */
  private track<T>(what: string, p: Promise<T>): Promise<T> {
    const job = this.native.lastJob();
    const timer = setTimeout(() => {
      // The job may have finished while this thread was busy and its promise not yet settled.
      if (this.native.finished() < job) {
        this.onTimeout(`${what} on the ${this.name} communicator did not complete within ${this.timeoutSeconds} s (--comm-timeout)`);
      }
    }, this.timeoutSeconds * 1000);
    timer.unref();
    return p.finally(() => clearTimeout(timer));
  }

  private peer(rank: number, what: string): void {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) {
      throw new GradpathError(`${what} must be a rank in 0..${this.size - 1} of the ${this.name} communicator; got ${rank}`);
    }
  }
}

function floats(x: unknown, op: string): void {
  if (!(x instanceof Float32Array)) throw new GradpathError(`${op}: expects Float32Arrays`);
}

function reduceOp(op: ReduceOp): boolean {
  if (op !== 'sum' && op !== 'avg') throw new GradpathError(`reduce op must be 'sum' or 'avg'; got '${String(op)}'`);
  return op === 'avg';
}

function checkTag(tag: number): number {
  // 32767 is the least upper bound MPI guarantees for tags.
  if (!Number.isInteger(tag) || tag < 0 || tag > 32767) throw new GradpathError(`tag must be an integer in 0..32767; got ${tag}`);
  return tag;
}

function overlap(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
