import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { encodePng, pngDataUri } from '../../src/util/png.js';

test('encodePng writes a PNG a decoder reads back: signature, IHDR, rows behind filter byte 0', () => {
  const w = 3, h = 2, rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => i * 10);
  const png = encodePng(w, h, rgb);
  assert.deepEqual(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset);
  assert.equal(new TextDecoder().decode(png.subarray(12, 16)), 'IHDR');
  assert.equal(view.getUint32(16), w);
  assert.equal(view.getUint32(20), h);
  const idatLen = view.getUint32(33);
  assert.equal(new TextDecoder().decode(png.subarray(37, 41)), 'IDAT');
  const raw = inflateSync(png.subarray(41, 41 + idatLen));
  assert.deepEqual(Array.from(raw), [0, ...rgb.subarray(0, 9), 0, ...rgb.subarray(9)]);
  // the CRC of IHDR (type + data), a known value for this header computed independently
  assert.equal(view.getUint32(29) >>> 0, crc(png.subarray(12, 29)));
  assert.match(pngDataUri(png), /^data:image\/png;base64,iVBORw0KGgo/);
  assert.throws(() => encodePng(2, 2, new Uint8Array(5)));
});

/** CRC-32 bit by bit (no table), as a second implementation to check the encoder's against. */
function crc(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
