/** A flag's three spellings: kebab-case on the command line, camelCase in code, snake_case in nanoGPT's configs. */

/** --max-steps is parsed into the key maxSteps. */
export function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `maxIters`, `max_iters` and `max-iters` all name the flag --max-iters. */
export function kebab(key: string): string {
  return key.replace(/_/g, '-').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
