import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mpirunInvocation, relabel, summarizeFailure } from '../../src/dist/launcher.js';
import { busBandwidthFactor, formatBytes, parseBytes } from '../../src/dist/bandwidth.js';
import { GradpathError } from '../../src/util/errors.js';

const program = ['node', 'bin/gradpath.js', 'bench', 'allreduce'];

test('launch: oversubscribes only past the cores; root variables only as root; one wasm thread per rank', () => {
  const two = mpirunInvocation({ ranks: 2, program }, { cores: 2, root: false, env: {} });
  assert.ok(!two.args.includes('--oversubscribe'));
  assert.equal(two.env.OMPI_ALLOW_RUN_AS_ROOT, undefined);
  assert.equal(two.env.GRADPATH_THREADS, '1');
  assert.equal(two.env.OMPI_MCA_mpi_yield_when_idle, '1', 'waiting communication threads yield their core');
  assert.deepEqual(two.args.slice(-program.length), program);
  assert.ok(two.args.includes('--tag-output'));

  const four = mpirunInvocation({ ranks: 4, program, commTimeout: 7, tcp: true }, { cores: 2, root: true, env: { GRADPATH_THREADS: '2' } });
  assert.ok(four.args.includes('--oversubscribe'));
  assert.equal(four.env.OMPI_ALLOW_RUN_AS_ROOT, '1');
  assert.equal(four.env.OMPI_ALLOW_RUN_AS_ROOT_CONFIRM, '1');
  assert.equal(four.env.GRADPATH_THREADS, '2', 'a GRADPATH_THREADS already set is kept');
  assert.equal(mpirunInvocation({ ranks: 2, program }, { cores: 2, root: false, env: { OMPI_MCA_mpi_yield_when_idle: '0' } }).env.OMPI_MCA_mpi_yield_when_idle, '0', 'a setting of its own is kept');
  assert.equal(four.env.GRADPATH_COMM_TIMEOUT, '7');
  assert.equal(four.env.OMPI_MCA_btl, 'tcp,self');
  // Variables are exported to ranks on other hosts too.
  assert.ok(four.args.join(' ').includes('-x GRADPATH_COMM_TIMEOUT -x GRADPATH_THREADS'));

  const hosts = mpirunInvocation({ ranks: 8, program, hostfile: 'hosts', threads: 3 }, { cores: 2, root: false, env: {} });
  assert.ok(!hosts.args.includes('--oversubscribe'), 'with a hostfile the slots are the hosts\'');
  assert.deepEqual(hosts.args.slice(hosts.args.indexOf('--hostfile'), hosts.args.indexOf('--hostfile') + 2), ['--hostfile', 'hosts']);
  assert.equal(hosts.env.GRADPATH_THREADS, '3');
});

test('launch: output lines get their rank unless they name it already', () => {
  assert.deepEqual(relabel('[1,3]<stdout>:step 10 loss 2.5'), { rank: 3, stream: 'stdout', text: '[rank 3] step 10 loss 2.5' });
  assert.deepEqual(relabel('[1,0]<stderr>:'), { rank: 0, stream: 'stderr', text: '[rank 0] ' });
  assert.equal(relabel('[1,0]<stdout>:| 2 MB | 12.63 [1,0]<stdout>:ms |')!.text, '[rank 0] | 2 MB | 12.63 ms |', 'a tag inside a long line (mpirun tags chunks)');
  assert.equal(relabel('[1,1]<stdout>:rank 1: 110 checks passed')!.text, 'rank 1: 110 checks passed');
  assert.equal(relabel('[1,1]<stderr>:gradpath: rank 1 of 2: failed: x')!.text, 'gradpath: rank 1 of 2: failed: x');
  assert.equal(relabel('--------------------------------------------------------------------------'), null, "mpirun's own line");
});

test("launch: mpirun's failure reports become one line", () => {
  const killed = [
    '--------------------------------------------------------------------------',
    'mpirun noticed that process rank 1 with PID 4242 on node vm exited on signal 9 (Killed).',
    '--------------------------------------------------------------------------',
  ];
  assert.equal(summarizeFailure(killed, new Set()), 'gradpath launch: rank 1 (pid 4242 on vm) was killed by signal 9 (Killed); every rank was ended');
  const aborted = ['MPI_ABORT was invoked on rank 2 in communicator MPI_COMM_WORLD', 'with errorcode 3.', '', 'NOTE: invoking MPI_ABORT causes Open MPI to kill all MPI processes.'];
  assert.equal(summarizeFailure(aborted, new Set()), 'gradpath launch: rank 2 called MPI_Abort (error code 3); every rank was ended');
  assert.equal(summarizeFailure(aborted, new Set([2])), '', 'the rank said what failed already');
  const exited = ['Primary job  terminated normally, but 1 process returned', 'a non-zero exit code. Per user-direction, the job has been aborted.',
    'mpirun detected that one or more processes exited with non-zero status, thus causing', 'the job to be terminated. The first process to do so was:', '',
    '  Process name: [[5017,1],1]', '  Exit code:    2'];
  assert.equal(summarizeFailure(exited, new Set()), 'gradpath launch: rank 1 exited with code 2; every rank was ended');
  assert.equal(summarizeFailure(['something else entirely'], new Set()), null);
});

test('bandwidth: nccl-tests bus bandwidth factors and sizes', () => {
  assert.equal(busBandwidthFactor('allreduce', 2), 1);
  assert.equal(busBandwidthFactor('allreduce', 4), 1.5);
  assert.equal(busBandwidthFactor('reducescatter', 4), 0.75);
  assert.equal(busBandwidthFactor('allgather', 2), 0.5);
  assert.equal(parseBytes('4KB', '--min-size'), 4096);
  assert.equal(parseBytes('512MB', '--max-size'), 512 * 2 ** 20);
  assert.equal(parseBytes('1.5GiB', '--max-size'), 1.5 * 2 ** 30);
  assert.equal(parseBytes('1000', '--max-size'), 1000);
  assert.throws(() => parseBytes('lots', '--max-size'), GradpathError);
  assert.equal(formatBytes(512 * 2 ** 20), '512 MB');
  assert.equal(formatBytes(4096), '4 KB');
});
