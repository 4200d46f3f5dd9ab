/** Shared by the MPI tests: whether they can run here, and running a job through `gradpath launch`. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { addonProblem } from '../../src/dist/addon.js';

export const BIN = fileURLToPath(new URL('../../../bin/gradpath.js', import.meta.url));
export const script = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** Why MPI tests cannot run here (printed as the skip reason), or false. */
export function mpiSkip(): string | false {
  if (spawnSync('mpirun', ['--version']).error) return 'mpirun not found (apt-get install openmpi-bin libopenmpi-dev; .ci/run does)';
  const problem = addonProblem();
  if (problem) return `MPI addon unavailable: ${problem}`;
  return false;
}

export interface JobResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `gradpath launch <args>`, killed after limitSeconds. */
export function runLaunch(args: string[], env: NodeJS.ProcessEnv = {}, limitSeconds = 120): Promise<JobResult> {
  return runProcess(process.execPath, [BIN, 'launch', ...args], env, limitSeconds);
}

/** Runs a program with its output collected; sent `signal` (default SIGKILL) after limitSeconds. */
export function runProcess(file: string, args: string[], env: NodeJS.ProcessEnv = {}, limitSeconds = 120, signal: NodeJS.Signals = 'SIGKILL'): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(signal), limitSeconds * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}
