import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCommand } from './args.js';
import { findRuns, type RunRecord } from '../io/runs.js';
import { resolveDataset, type DatasetSpec } from '../data/resolve.js';
import { NAMES_SPEC } from '../chapters/makemore/data.js';
import { TINY_SHAKESPEARE } from '../chapters/transformers/data.js';
import { GradpathError } from '../util/errors.js';

/** The static build of lab/ (`npm run build:lab` writes it beside the compiled CLI). */
export const LAB_DIR = fileURLToPath(new URL('../../lab/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.jsonl': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.safetensors': 'application/octet-stream',
};

/**
 * Cross-origin isolation: without these two headers a page gets no SharedArrayBuffer, so the
 * wasm kernels cannot share memory with worker threads (the lab then runs on one thread and says so).
 */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };

/**
 * Datasets the pages may ask the server for, when they are on this machine ($GRADPATH_DATA_DIR or
 * the download cache; the server never downloads): makemore's names, the transformers' Shakespeare.
 */
const DATASETS: Record<string, DatasetSpec> = { 'names.txt': NAMES_SPEC, 'tinyshakespeare.txt': TINY_SHAKESPEARE };

/**
 * What the lab may read of a run directory: what the runs viewer shows, and the two checkpoints a
 * `gradpath gpt2 train` run leaves, which the GPT-2 page samples from (read-only, like the rest).
 */
const RUN_FILE = /^(?:[\w.-]+\.(json|jsonl|txt|svg|png)|best\.safetensors|latest\.safetensors)$/;
const CHECKPOINTS = ['best.safetensors', 'latest.safetensors'];

export interface LabServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the built lab and, under /api/runs, the run directories found under runRoots.
 * `isolate: false` leaves out the isolation headers, as a plain static host would (for tests).
 */
export async function startLabServer({ port = 4173, host = '127.0.0.1', runRoots = [] as string[], labDir = LAB_DIR, isolate = true } = {}): Promise<LabServer> {
  for (const root of runRoots) findRuns(root); // a missing folder or a broken metrics.jsonl is refused before serving
  if (!existsSync(join(labDir, 'index.html'))) throw new GradpathError(`gradpath lab: the lab is not built (no ${join(labDir, 'index.html')}); run \`npm run build:lab\` first`);
  const server = createServer((req, res) => {
    try {
      if (isolate) for (const [k, v] of Object.entries(ISOLATION)) res.setHeader(k, v);
      const dataset = /^\/api\/data(?:\/([\w.-]+))?$/.exec(req.url ?? '');
      if (dataset) return void sendDataset(res, dataset[1]).catch((err: Error) => send(res, 500, 'text/plain; charset=utf-8', err.message));
      handle(req, res, labDir, runRoots);
    } catch (err) {
      send(res, err instanceof GradpathError ? 400 : 500, 'text/plain; charset=utf-8', (err as Error).message);
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EADDRINUSE' ? new GradpathError(`gradpath lab: port ${port} on ${host} is in use; pick another with --port`) : err));
    server.listen(port, host, ok);
  });
  const address = server.address();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${typeof address === 'object' && address ? address.port : port}/`;
  return { url, close: () => new Promise((ok) => server.close(() => ok())) };
}

function handle(req: IncomingMessage, res: ServerResponse, labDir: string, runRoots: string[]): void {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET');
  if (path === '/api/runs') return send(res, 200, TYPES['.json'], JSON.stringify(listRuns(runRoots)));
  const runFile = /^\/api\/runs\/(\d+)\/(\d+)\/([^/]+)$/.exec(path);
  if (runFile) return sendRunFile(res, runRoots, Number(runFile[1]), Number(runFile[2]), runFile[3]);
  const file = resolve(labDir, '.' + normalize(path === '/' ? '/index.html' : path));
  if (!file.startsWith(resolve(labDir) + sep) || !existsSync(file) || !statSync(file).isFile()) return send(res, 404, 'text/plain', `not found: ${path}`);
  send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
}

interface ListedRun { root: number; index: number; name: string; kind: string; files: string[] }

function listRuns(runRoots: string[]): ListedRun[] {
  return runRoots.flatMap((root, r) => findRuns(root).map((run, i) => ({
    root: r, index: i, name: runName(root, run), kind: String(run.config.kind ?? ''), files: runFiles(run.path),
  })));
}

function runName(root: string, run: RunRecord): string {
  return run.name === '.' ? relative(process.cwd(), resolve(root)) || '.' : join(relative(process.cwd(), resolve(root)), run.name);
}

function runFiles(dir: string): string[] {
  return ['config.json', 'metrics.jsonl', 'samples.txt', 'curves.svg', ...CHECKPOINTS].filter((f) => isFile(join(dir, f)));
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function sendRunFile(res: ServerResponse, runRoots: string[], root: number, index: number, name: string): void {
  const run = runRoots[root] === undefined ? undefined : findRuns(runRoots[root])[index];
  if (!run || !RUN_FILE.test(name) || !isFile(join(run.path, name))) return send(res, 404, 'text/plain', `no such run file: ${root}/${index}/${name}`);
  send(res, 200, TYPES[extname(name)] ?? 'text/plain', readFileSync(join(run.path, name)));
}

/** /api/data: the names of the datasets on this machine; /api/data/NAME: one of them. */
async function sendDataset(res: ServerResponse, name: string | undefined): Promise<void> {
  if (name === undefined) {
    const names = Object.keys(DATASETS);
    const found = await Promise.all(names.map((n) => resolveDataset(DATASETS[n], { offline: true })));
    return send(res, 200, TYPES['.json'], JSON.stringify(names.filter((_, i) => found[i] !== null)));
  }
  const spec = DATASETS[name];
  const found = spec ? await resolveDataset(spec, { offline: true }) : null;
  if (!found) return send(res, 404, 'text/plain; charset=utf-8', spec ? `${name} is not on this machine: put it in $GRADPATH_DATA_DIR (or run a command that downloads it)` : `no dataset ${name}`);
  send(res, 200, TYPES['.txt'], readFileSync(found.path));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
  res.end(body);
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * In a checkout, the first `gradpath lab` builds the lab (a few seconds of Vite), so `npm install`
 * stays fast and needs no extra step; an installed package ships it built.
 */
function buildIfMissing(): void {
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), config = join(ROOT, 'lab', 'vite.config.ts');
  if (existsSync(join(LAB_DIR, 'index.html')) || !existsSync(vite) || !existsSync(config)) return;
  process.stderr.write('gradpath lab: building the lab (once; `npm run build:lab` rebuilds it)...\n');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', config, '--logLevel', 'error'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new GradpathError(`gradpath lab: building the lab failed (${(r.stderr || '').trim().split('\n')[0]}); run \`npm run build:lab\` to see why`);
}

function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`gradpath lab: could not start ${opener}; open ${url} yourself\n`));
  child.unref();
}

export const command = defineCommand({
  name: 'lab',
  summary: 'Serve the lab: every chapter live in the browser (training in Web Workers), and a viewer for run directories',
  usage: 'gradpath lab [--port N] [--host HOST] [--open] [RUN_DIR ...]',
  description: `
Serves the static build of lab/ (in a checkout the first run builds it; \`npm run build:lab\`
rebuilds it) with the cross-origin isolation headers (COOP/COEP) that let the wasm kernels use
threads, and prints the URL. Each RUN_DIR is a folder of run directories made by the CLI (e.g.
runs/); the lab's runs viewer shows their metrics.jsonl curves side by side. Ctrl-C stops the
server. See docs/lab.md.

Examples:
  gradpath lab
  gradpath lab runs/ --open
  gradpath lab --host 0.0.0.0 --port 8080`,
  variadic: true,
  options: {
    port: { type: 'int', default: 4173, min: 0, placeholder: 'N', help: 'Port to listen on (0: any free port)' },
    host: { type: 'string', default: '127.0.0.1', placeholder: 'HOST', help: 'Address to listen on (0.0.0.0: every interface)' },
    open: { type: 'boolean', help: 'Open the lab in the default browser' },
  },
  async run(opts, positionals) {
    if (opts.port > 65535) throw new GradpathError(`gradpath lab: --port must be at most 65535; got ${opts.port}`);
    try {
      for (const root of positionals) findRuns(root);
    } catch (err) {
      // io/runs names the folder; say which command met it, as `gradpath runs` does
      throw err instanceof GradpathError ? new GradpathError(`gradpath lab: ${err.message}`) : err;
    }
    buildIfMissing();
    const server = await startLabServer({ port: opts.port, host: opts.host, runRoots: positionals });
    const runs = positionals.length ? ` (runs viewer: ${positionals.join(', ')})` : '';
    console.log(`gradpath lab: ${server.url}${runs}`);
    if (opts.open) openBrowser(server.url);
    await new Promise<void>((done) => {
      const stop = () => void server.close().then(done);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
});
