import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

/** Paths relative to lab/. */
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** One HTML entry per page; the home page is the learning path. */
export const PAGES = ['index', 'micrograd', 'makemore', 'transformers', 'gpt2', 'grokking', 'physics', 'distributed', 'neat', 'vision', 'runs'];

/** Without these a page gets no SharedArrayBuffer, so the wasm kernels cannot share memory with threads. */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: here('.'),
  base: './', // relative URLs: the static build works from any folder of any host
  // api/runs and api/data as empty lists: on a static host the pages find no runs and no datasets
  // (without a 404 in the console); `gradpath lab` answers those paths itself.
  publicDir: here('public'),
  resolve: {
    // src/ is shared with the CLI; the few node: imports on a page's path are never called in the
    // browser (files, threads and GC hints belong to the CLI), so each resolves to a stub that says so.
    alias: [{ find: /^node:.*$/, replacement: here('src/shims/node.ts') }],
  },
  worker: { format: 'es' },
  build: {
    outDir: here('../dist/lab'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    rollupOptions: { input: Object.fromEntries(PAGES.map((p) => [p, here(`${p}.html`)])) },
  },
  server: { headers: ISOLATION, fs: { allow: [here('..')] } },
  preview: { headers: ISOLATION },
});
