/**
 * The Communicator wrapper without MPI: argument checks, and the timeout that ends a job when an
 * operation is still unfinished (a fake native communicator whose operations never finish).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NativeComm } from '../../src/dist/addon.js';
import { Communicator } from '../../src/dist/communicator.js';
import { commTimeoutSeconds, describeError, inMpiJob } from '../../src/dist/process-group.js';
import { GradpathError } from '../../src/util/errors.js';

/** A native communicator of `size` ranks whose operations finish only when `finish()` is called. */
function fakeComm(rank: number, size: number) {
  let queued = 0;
  let finished = 0;
  const waiting: (() => void)[] = [];
  const op = () => {
    queued++;
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const native = {
    rank, size,
    allReduce: op, reduceScatter: op, allGather: op, broadcast: op, send: op, recv: op, sendRecv: op, barrier: op, free: op,
    split: async () => null,
    lastJob: () => queued,
    finished: () => finished,
  } as unknown as NativeComm;
  return { native, finish: () => { finished++; waiting.shift()!(); } };
}

test('communicator: checks shapes, ranks, tags and overlaps before anything is queued', () => {
  const { native } = fakeComm(1, 4);
  const c = new Communicator(native, 300, () => assert.fail('no timeout'));
  const bad = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error) => e instanceof GradpathError && re.test(e.message));
  bad(() => c.allReduce([1, 2] as unknown as Float32Array), /expects Float32Arrays/);
  bad(() => c.allReduce(new Float32Array(2), 'max' as 'sum'), /'sum' or 'avg'/);
  bad(() => c.reduceScatter(new Float32Array(10), new Float32Array(3)), /size \* output.length = 4 \* 3/);
  const big = new Float32Array(16);
  bad(() => c.reduceScatter(big, big.subarray(0, 4)), /overlap/);
  bad(() => c.allGather(new Float32Array(3), new Float32Array(11)), /4 \* 3/);
  bad(() => c.allGather(big.subarray(0, 4), big), /this rank's block \(1\)/);
  c.allGather(big.subarray(4, 8), big); // rank 1's own block: in place
  bad(() => c.broadcast(new Float32Array(1), 4), /rank in 0..3/);
  bad(() => c.send(new Float32Array(1), -1), /rank in 0..3/);
  bad(() => c.recv(new Float32Array(1), 0, 40000), /tag/);
  bad(() => c.sendRecv(big.subarray(0, 4), 2, big.subarray(2, 6), 0), /overlap/);
  assert.equal(c.rank, 1);
  assert.equal(c.size, 4);
});

test('communicator: an operation unfinished after the timeout ends the job, a finished one does not', async () => {
  const { native, finish } = fakeComm(0, 2);
  const timeouts: string[] = [];
  const c = new Communicator(native, 0.05, (what) => timeouts.push(what), 'dp');
  const done = c.allReduce(new Float32Array(5));
  finish();
  await done;
  void c.broadcast(new Float32Array(7), 1);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(timeouts, ['broadcast of 7 floats from rank 1 on the dp communicator did not complete within 0.05 s (--comm-timeout)']);
  finish();
});

test('process group: the timeout comes from GRADPATH_COMM_TIMEOUT; MPI jobs are recognised; errors in one line', () => {
  assert.equal(commTimeoutSeconds({}), 300);
  assert.equal(commTimeoutSeconds({ GRADPATH_COMM_TIMEOUT: '2.5' }), 2.5);
  assert.throws(() => commTimeoutSeconds({ GRADPATH_COMM_TIMEOUT: 'soon' }), GradpathError);
  assert.ok(inMpiJob({ OMPI_COMM_WORLD_SIZE: '2' }));
  assert.ok(inMpiJob({ PMI_SIZE: '2' }));
  assert.ok(!inMpiJob({}));
  assert.equal(describeError(new GradpathError('bad flag')), 'bad flag');
  assert.match(describeError(new TypeError('x is not a function\nmore')), /^TypeError: x is not a function \(at \S+:\d+:\d+\)$/);
});
