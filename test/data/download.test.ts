import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadVerified, isOffline } from '../../src/data/download.js';

// 3 MB in many chunks: the file is streamed to disk, not assembled from one buffer
const BODY = Buffer.alloc(3 << 20, 0).map((_, i) => (i * 7) & 255);
const SHA = createHash('sha256').update(BODY).digest('hex');

async function serve(fn: (base: string) => Promise<void>): Promise<void> {
  const server = createServer((req, res) => {
    if (req.url === '/file' || req.url === '/etag') {
      if (req.url === '/etag') res.setHeader('X-Linked-Etag', `"${SHA}"`);
      for (let i = 0; i < BODY.length; i += 65536) res.write(BODY.subarray(i, i + 65536));
      res.end();
    } else if (req.url === '/bad-etag') {
      res.setHeader('X-Linked-Etag', `"${'0'.repeat(64)}"`);
      res.end(BODY);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

test('downloadVerified streams a file into place only when its sha256 matches', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-dl-'));
  try {
    await serve(async (base) => {
      const a = join(dir, 'sub', 'a.bin');
      await downloadVerified(`${base}/file`, a, { sha256: SHA });
      assert.ok(readFileSync(a).equals(BODY));
      const b = join(dir, 'b.bin');
      await downloadVerified(`${base}/etag`, b, { sha256From: (res) => res.headers.get('x-linked-etag')!.replace(/"/g, '') });
      assert.ok(readFileSync(b).equals(BODY));
      const c = join(dir, 'c.bin');
      await assert.rejects(downloadVerified(`${base}/file`, c, { sha256: 'f'.repeat(64) }), /sha256 is [0-9a-f]{64}, expected f{64}/);
      await assert.rejects(downloadVerified(`${base}/bad-etag`, c, { sha256From: (res) => res.headers.get('x-linked-etag')!.replace(/"/g, '') }), /expected 0{64}/);
      await assert.rejects(downloadVerified(`${base}/missing`, c), /HTTP 404/);
      assert.equal(existsSync(c), false);
      assert.deepEqual(readdirSync(dir).sort(), ['b.bin', 'sub'], 'no partial files left behind');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GRADPATH_OFFLINE: any value but empty, 0 or false', () => {
  const saved = process.env.GRADPATH_OFFLINE;
  try {
    for (const [v, want] of [[undefined, false], ['', false], ['0', false], ['false', false], ['1', true], ['yes', true]] as const) {
      if (v === undefined) delete process.env.GRADPATH_OFFLINE;
      else process.env.GRADPATH_OFFLINE = v;
      assert.equal(isOffline(), want, String(v));
    }
  } finally {
    if (saved === undefined) delete process.env.GRADPATH_OFFLINE;
    else process.env.GRADPATH_OFFLINE = saved;
  }
});
