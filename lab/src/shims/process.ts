/**
 * The little of Node's `process` that src/ touches on a page's path (environment switches, a
 * warning line). Imported first by every entry, before any of src/.
 */
const g = globalThis as unknown as { process?: unknown };
g.process ??= {
  env: {},
  platform: 'browser',
  execArgv: [],
  stderr: { write: (s: string) => (console.warn(s.trimEnd()), true), isTTY: false },
  stdout: { write: (s: string) => (console.log(s.trimEnd()), true), isTTY: false },
  on: () => {},
  once: () => {},
  off: () => {},
};
export {};
