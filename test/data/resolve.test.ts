import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, resolveDataset, sha256File, type DatasetSpec } from '../../src/data/resolve.js';
import { GradpathError } from '../../src/util/errors.js';

const CONTENT = 'emma\nolivia\nava\n';
const GOOD_SHA = createHash('sha256').update(CONTENT).digest('hex');
const ENV_KEYS = ['GRADPATH_DATA_DIR', 'GRADPATH_CACHE_DIR', 'GRADPATH_OFFLINE', 'XDG_CACHE_HOME', 'HOME'];

/** Runs `fn` in a fresh temp dir with the dataset env vars cleared (cache pointed inside it), then restores them. */
async function sandbox(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const saved = ENV_KEYS.map((k) => [k, process.env[k]] as const);
  const dir = mkdtempSync(join(tmpdir(), 'gradpath-resolve-'));
  try {
    for (const k of ENV_KEYS) delete process.env[k];
    process.env.GRADPATH_CACHE_DIR = join(dir, 'cache');
    process.env.HOME = join(dir, 'home');
    await fn(dir);
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A local HTTP server: /names.txt serves CONTENT, /slow never answers, anything else is a 404. */
async function withServer(fn: (base: string, requests: string[]) => Promise<void>): Promise<void> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/names.txt') res.end(CONTENT);
    else if (req.url === '/slow') return; // hang until the client gives up
    else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await fn(`http://127.0.0.1:${port}`, requests);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A port nothing listens on: bound once, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function spec(url = 'http://127.0.0.1:9/names.txt', sha256 = GOOD_SHA): DatasetSpec {
  return { fileName: 'names.txt', sha256, url, description: 'the names dataset' };
}

function logger(): { log: (msg: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { log: (msg) => lines.push(msg), lines };
}

test('sha256File hashes known content, in chunks for large files', async () => {
  await sandbox((dir) => {
    writeFileSync(join(dir, 'abc'), 'abc');
    assert.equal(sha256File(join(dir, 'abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const big = Buffer.alloc(3 * (1 << 20) + 17, 7);
    writeFileSync(join(dir, 'big'), big);
    assert.equal(sha256File(join(dir, 'big')), createHash('sha256').update(big).digest('hex'));
  });
});

test('cacheDir: GRADPATH_CACHE_DIR, then XDG_CACHE_HOME/gradpath, then ~/.cache/gradpath', async () => {
  await sandbox((dir) => {
    assert.equal(cacheDir(), join(dir, 'cache'));
    delete process.env.GRADPATH_CACHE_DIR;
    process.env.XDG_CACHE_HOME = join(dir, 'xdg');
    assert.equal(cacheDir(), join(dir, 'xdg', 'gradpath'));
    delete process.env.XDG_CACHE_HOME;
    assert.equal(cacheDir(), join(dir, 'home', '.cache', 'gradpath'));
  });
});

test('the -i flag wins, is not checksummed, and must exist', async () => {
  await sandbox(async (dir) => {
    const mine = join(dir, 'mine.txt');
    writeFileSync(mine, 'my own names\n');
    process.env.GRADPATH_DATA_DIR = dir;
    writeFileSync(join(dir, 'names.txt'), CONTENT);
    assert.deepEqual(await resolveDataset(spec(), { path: mine }), { path: mine, source: 'flag' });

    const missing = join(dir, 'missing.txt');
    await assert.rejects(resolveDataset(spec(), { path: missing }), (e: Error) => e instanceof GradpathError && e.message === `input file ${missing} does not exist`);
    await assert.rejects(resolveDataset(spec(), { path: dir }), GradpathError);
  });
});

test('GRADPATH_DATA_DIR is used when the file is there; a checksum mismatch only warns', async () => {
  await sandbox(async (dir) => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    process.env.GRADPATH_DATA_DIR = dataDir;
    const path = join(dataDir, 'names.txt');
    const { log, lines } = logger();

    writeFileSync(path, CONTENT);
    assert.deepEqual(await resolveDataset(spec(), { log }), { path, source: 'env' });
    assert.deepEqual(lines, []);

    writeFileSync(path, 'a different version\n');
    assert.deepEqual(await resolveDataset(spec(), { log }), { path, source: 'env' });
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^warning: .*names\.txt does not match the sha256 of the names dataset; using it anyway$/);
  });
});

test('without the file in GRADPATH_DATA_DIR, a verified cached copy is used', async () => {
  await sandbox(async (dir) => {
    process.env.GRADPATH_DATA_DIR = join(dir, 'empty');
    const cached = join(dir, 'cache', 'names.txt');
    mkdirSync(join(dir, 'cache'));
    writeFileSync(cached, CONTENT);
    const { log, lines } = logger();
    assert.deepEqual(await resolveDataset(spec(), { log, offline: true }), { path: cached, source: 'cache' });
    assert.deepEqual(lines, []);
  });
});

test('a cached file with a bad checksum is deleted; offline then gives null', async () => {
  await withServer(async (base, requests) => {
    await sandbox(async (dir) => {
      const cached = join(dir, 'cache', 'names.txt');
      mkdirSync(join(dir, 'cache'));
      writeFileSync(cached, 'half a downl');
      const { log, lines } = logger();
      assert.equal(await resolveDataset(spec(`${base}/names.txt`), { log, offline: true }), null);
      assert.equal(existsSync(cached), false);
      assert.match(lines[0], /^removing .*names\.txt: sha256 mismatch/);
      assert.match(lines[1], /^offline: not downloading/);
      assert.deepEqual(requests, []);
    });
  });
});

test('GRADPATH_OFFLINE=1 skips the download', async () => {
  await withServer(async (base, requests) => {
    await sandbox(async () => {
      process.env.GRADPATH_OFFLINE = '1';
      assert.equal(await resolveDataset(spec(`${base}/names.txt`)), null);
      assert.deepEqual(requests, []);
    });
  });
});

test('a download with the right checksum is cached and then found in the cache', async () => {
  await withServer(async (base, requests) => {
    await sandbox(async (dir) => {
      const { log, lines } = logger();
      const cached = join(dir, 'cache', 'names.txt');
      assert.deepEqual(await resolveDataset(spec(`${base}/names.txt`), { log }), { path: cached, source: 'download' });
      assert.equal(readFileSync(cached, 'utf8'), CONTENT);
      assert.deepEqual(readdirSync(join(dir, 'cache')), ['names.txt']);
      assert.deepEqual(lines, [`downloading the names dataset from ${base}/names.txt`]);

      assert.deepEqual(await resolveDataset(spec(`${base}/names.txt`)), { path: cached, source: 'cache' });
      assert.deepEqual(requests, ['/names.txt']);
    });
  });
});

test('a download with the wrong checksum is rejected and not cached', async () => {
  await withServer(async (base) => {
    await sandbox(async (dir) => {
      const { log, lines } = logger();
      assert.equal(await resolveDataset(spec(`${base}/names.txt`, 'ab'.repeat(32)), { log }), null);
      assert.equal(existsSync(join(dir, 'cache', 'names.txt')), false);
      assert.deepEqual(existsSync(join(dir, 'cache')) ? readdirSync(join(dir, 'cache')) : [], []);
      assert.equal(lines.length, 2);
      assert.match(lines[1], new RegExp(`^download of .* failed: sha256 is ${GOOD_SHA}, expected ${'ab'.repeat(32)}$`));
    });
  });
});

test('HTTP errors, refused connections and timeouts give null with one line why', async () => {
  const closedPort = await freePort();
  await withServer(async (base) => {
    await sandbox(async () => {
      const cases: [string, RegExp][] = [
        [`${base}/missing.txt`, /failed: HTTP 404 Not Found$/],
        [`http://127.0.0.1:${closedPort}/names.txt`, /failed: ECONNREFUSED$/],
        [`${base}/slow`, /failed: timed out$/],
      ];
      for (const [url, why] of cases) {
        const { log, lines } = logger();
        assert.equal(await resolveDataset(spec(url), { log, timeoutMs: 300 }), null, url);
        assert.equal(lines.length, 2, url);
        assert.match(lines[1], why);
      }
    });
  });
});
