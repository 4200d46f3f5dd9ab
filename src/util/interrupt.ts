/**
 * Ctrl-C handling for long runs: the first SIGINT only raises a flag, so a training loop can
 * finish its step, save a checkpoint and exit cleanly; a second SIGINT exits at once.
 */
let requested = false;
let installed = false;

export function watchInterrupt(): void {
  if (installed) return;
  installed = true;
  const onInterrupt = () => {
    if (requested) process.exit(130);
    requested = true;
    process.stderr.write('\ninterrupt: finishing this step and saving (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onInterrupt);
  // under `gradpath launch`, Ctrl-C reaches every rank as SIGUSR2 (mpirun forwards it; see dist/launcher.ts)
  process.on('SIGUSR2', onInterrupt);
}

export function interruptRequested(): boolean {
  return requested;
}

/**
 * Lets pending events run. A signal handler only runs between event-loop turns, so a training
 * loop must await this once per step, or Ctrl-C is not seen until the loop ends.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** For tests: pretend Ctrl-C was (or was not) pressed. */
export function setInterruptRequested(value: boolean): void {
  requested = value;
}
