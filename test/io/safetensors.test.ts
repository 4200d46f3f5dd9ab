import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bf16BitsToNumber,
  decodeSafetensors,
  encodeSafetensors,
  f16BitsToNumber,
  loadSafetensors,
  saveSafetensors,
} from '../../src/io/safetensors.js';
import { GradpathError } from '../../src/util/errors.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gradpath-st-'));
}

/** Builds a file by hand from a header (object or raw JSON text) and data bytes, unpadded and unchecked. */
function rawFile(header: object | string, data: ArrayLike<number> = []): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function bytesOf(arr: Uint16Array | BigInt64Array | Float32Array): number[] {
  return [...new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength)];
}

test('round trip: F32, I32, scalars, empty tensors and metadata', () => {
  const tensors = {
    'h.0.attn.c_attn.weight': { shape: [2, 3], data: new Float32Array([1, -2.5, 3e-8, Math.PI, -0, 1e30]) },
    'wpe.weight': { shape: [4], data: new Int32Array([0, -1, 2147483647, -2147483648]) },
    scalar: { shape: [], data: new Float32Array([42]) },
    empty: { shape: [0, 5], data: new Float32Array(0) },
    emptyInt: { shape: [0], data: new Int32Array(0) },
  };
  const bytes = encodeSafetensors(tensors, { format: 'pt', note: 'héllo ✓' });
  const { tensors: back, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, { format: 'pt', note: 'héllo ✓' });
  assert.deepEqual([...back.keys()].sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    const got = back.get(name)!;
    assert.deepEqual(got.shape, t.shape, name);
    assert.equal(got.dtype, t.data instanceof Float32Array ? 'F32' : 'I32');
    assert.equal(got.data.constructor, t.data.constructor);
    assert.deepEqual([...got.data], [...t.data], name);
  }
  assert.ok(Object.is(back.get('h.0.attn.c_attn.weight')!.data[4], -0));
});

test('no metadata decodes to an empty object; no tensors is a valid file', () => {
  const { tensors, metadata } = decodeSafetensors(encodeSafetensors({}));
  assert.equal(tensors.size, 0);
  assert.deepEqual(metadata, {});
});

test('byte-exact layout of a tiny file', () => {
  const bytes = encodeSafetensors({
    b: { shape: [2], data: new Int32Array([1, -1]) },
    a: { shape: [], data: new Float32Array([1.5]) },
  });
  // 107 bytes of JSON (names sorted, offsets contiguous) padded with 5 spaces to 112 = 0x70.
  const json = '{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[2],"data_offsets":[4,12]}}';
  assert.equal(json.length, 107);
  const expected = [
    0x70, 0, 0, 0, 0, 0, 0, 0,
    ...new TextEncoder().encode(json + '     '),
    0x00, 0x00, 0xc0, 0x3f, // 1.5f little-endian
    0x01, 0x00, 0x00, 0x00, // 1
    0xff, 0xff, 0xff, 0xff, // -1
  ];
  assert.equal(bytes.length, 8 + 112 + 12);
  assert.deepEqual([...bytes], expected);
});

test('header is padded to a multiple of 8 for any name length', () => {
  for (let n = 1; n <= 9; n++) {
    const bytes = encodeSafetensors({ ['x'.repeat(n)]: { shape: [1], data: new Float32Array([n]) } });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(headerLength % 8, 0);
    assert.equal(decodeSafetensors(bytes).tensors.get('x'.repeat(n))!.data[0], n);
  }
});

test('F16 bit patterns, including subnormals, infinities and NaN', () => {
  const cases: [number, number][] = [
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504], // largest finite
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x8001, -(2 ** -24)],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  for (const [bits, value] of cases) assert.equal(f16BitsToNumber(bits), value, bits.toString(16));
  assert.ok(Object.is(f16BitsToNumber(0x8000), -0));
  assert.ok(Number.isNaN(f16BitsToNumber(0x7e00)));

  const halves = new Uint16Array([...cases.map(([b]) => b), 0x8000, 0x7e00]);
  const { tensors } = decodeSafetensors(
    rawFile({ h: { dtype: 'F16', shape: [halves.length], data_offsets: [0, halves.byteLength] } }, bytesOf(halves)),
  );
  const t = tensors.get('h')!;
  assert.equal(t.dtype, 'F16');
  assert.ok(t.data instanceof Float32Array);
  assert.deepEqual([...t.data.slice(0, cases.length)], cases.map(([, v]) => Math.fround(v)));
  assert.ok(Object.is(t.data[cases.length], -0));
  assert.ok(Number.isNaN(t.data[cases.length + 1]));
});

test('BF16 bit patterns, including subnormals, infinities and NaN', () => {
  const cases: [number, number][] = [
    [0x0000, 0],
    [0x3f80, 1],
    [0xc000, -2],
    [0x3eab, 0.333984375],
    [0x7f7f, 3.3895313892515355e38], // largest finite
    [0x0080, 2 ** -126], // smallest normal
    [0x0001, 2 ** -133], // smallest subnormal
    [0x7f80, Infinity],
    [0xff80, -Infinity],
  ];
  for (const [bits, value] of cases) assert.equal(bf16BitsToNumber(bits), value, bits.toString(16));
  assert.ok(Number.isNaN(bf16BitsToNumber(0x7fc0)));

  const halves = new Uint16Array(cases.map(([b]) => b));
  const { tensors } = decodeSafetensors(
    rawFile({ b: { dtype: 'BF16', shape: [3, 3], data_offsets: [0, halves.byteLength] } }, bytesOf(halves)),
  );
  assert.deepEqual(tensors.get('b')!.shape, [3, 3]);
  assert.deepEqual([...tensors.get('b')!.data], cases.map(([, v]) => v));
});

test('I64, U16 and U8 decode to Int32Array', () => {
  const wide = new BigInt64Array([0n, -1n, 2147483647n, -2147483648n, 50256n]);
  const u16 = new Uint16Array([0, 65535]);
  const u8 = [0, 255, 7];
  const header = {
    i: { dtype: 'I64', shape: [5], data_offsets: [0, 40] },
    s: { dtype: 'U16', shape: [2], data_offsets: [40, 44] },
    u: { dtype: 'U8', shape: [3], data_offsets: [44, 47] },
  };
  const { tensors } = decodeSafetensors(rawFile(header, [...bytesOf(wide), ...bytesOf(u16), ...u8]));
  assert.ok(tensors.get('i')!.data instanceof Int32Array);
  assert.deepEqual([...tensors.get('i')!.data], [0, -1, 2147483647, -2147483648, 50256]);
  assert.deepEqual([...tensors.get('s')!.data], [0, 65535]);
  assert.ok(tensors.get('u')!.data instanceof Int32Array);
  assert.deepEqual([...tensors.get('u')!.data], u8);
});

test('decoded arrays are aligned copies even when the data is at an odd offset', () => {
  // A U8 tensor first pushes the F32 tensor to an odd byte offset.
  const f = new Float32Array([1, 2]);
  const bytes = rawFile(
    { a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'F32', shape: [2], data_offsets: [1, 9] } },
    [9, ...bytesOf(f)],
  );
  const { tensors } = decodeSafetensors(bytes);
  const b = tensors.get('b')!.data;
  assert.deepEqual([...b], [1, 2]);
  assert.equal(b.byteOffset, 0);
  bytes.fill(0);
  assert.deepEqual([...b], [1, 2], 'independent of the input buffer');
});

test('encode rejects mismatched shapes, reserved names and other array types', () => {
  assert.throws(() => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } }), GradpathError);
  assert.throws(() => encodeSafetensors({ __metadata__: { shape: [], data: new Float32Array(1) } }), GradpathError);
  const f64 = new Float64Array(1) as unknown as Float32Array;
  assert.throws(() => encodeSafetensors({ w: { shape: [1], data: f64 } }), /must hold a Float32Array or Int32Array/);
});

const good = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
const corruptions: [string, Uint8Array, RegExp][] = [
  ['shorter than 8 bytes', new Uint8Array([1, 2, 3]), /not a safetensors file \(only 3 bytes\)/],
  ['header length beyond the file', (() => { const b = rawFile(good, new Uint8Array(8)); b[0] = 0xff; b[5] = 1; return b; })(), /truncated/],
  ['header not JSON', rawFile('{"w": {"dtype": ', new Uint8Array(8)), /not valid JSON/],
  ['header a JSON array', rawFile('[1, 2]'), /not a JSON object/],
  ['header not UTF-8', rawFile('\u0000\u0000', []).map((b, i) => (i >= 8 ? 0xff : b)), /not valid JSON/],
  ['unknown dtype', rawFile({ w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /unsupported dtype "F64"/],
  ['bad shape', rawFile({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, new Uint8Array(8)), /invalid shape/],
  ['bad offsets', rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, new Uint8Array(8)), /invalid data_offsets/],
  ['shape/offset size mismatch', rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes but its offsets span 8/],
  ['data truncated', rawFile(good, new Uint8Array(5)), /truncated: tensor 'w' ends at byte 8 of the data but the data has only 5/],
  [
    'overlapping offsets',
    rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
    /overlaps/,
  ],
  [
    'gap between tensors',
    rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)),
    /gap before tensor 'b'/,
  ],
  ['trailing bytes', rawFile(good, new Uint8Array(12)), /4 unexpected bytes after the last tensor/],
  ['metadata not strings', rawFile({ __metadata__: { step: 3 } }), /__metadata__ entry 'step' is not a string/],
  ['I64 too wide', rawFile({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, bytesOf(new BigInt64Array([1n << 40n]))), /does not fit in 32 bits/],
];

for (const [what, bytes, message] of corruptions) {
  test(`corrupt file: ${what} is a GradpathError naming the file`, () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'model.safetensors');
      writeFileSync(path, bytes);
      assert.throws(
        () => loadSafetensors(path),
        (e: Error) => e instanceof GradpathError && e.message.startsWith(`${path}: `) && message.test(e.message) && !e.message.includes('\n'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('every truncation of a valid file is rejected', () => {
  const bytes = encodeSafetensors(
    { a: { shape: [3], data: new Float32Array([1, 2, 3]) }, b: { shape: [2], data: new Int32Array([4, 5]) } },
    { k: 'v' },
  );
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decodeSafetensors(bytes.subarray(0, n), 'cut.safetensors'), /^GradpathError: cut\.safetensors: /, `cut at ${n}`);
  }
});

test('save is atomic and load reads it back; missing files are named', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'sub', 'w.safetensors');
    saveSafetensors(path, { w: { shape: [2], data: new Float32Array([1, 2]) } }, { a: 'b' });
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['w.safetensors']);
    const { tensors, metadata } = loadSafetensors(path);
    assert.deepEqual([...tensors.get('w')!.data], [1, 2]);
    assert.deepEqual(metadata, { a: 'b' });
    assert.deepEqual(readFileSync(path), Buffer.from(encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } }, { a: 'b' })));

    // tensors written straight from their own storage: views at an offset, and one over 16 MiB (several writes)
    const big = Float32Array.from({ length: 5_000_003 }, (_, i) => i % 1009);
    const view = new Float32Array(new Float32Array([9, 8, 7, 6, 5]).buffer, 4, 3);
    const tensors2 = { big: { shape: [5_000_003], data: big }, view: { shape: [3], data: view }, ints: { shape: [2], data: Int32Array.of(-1, 2) } };
    const path2 = join(dir, 'big.safetensors');
    saveSafetensors(path2, tensors2);
    assert.ok(readFileSync(path2).equals(Buffer.from(encodeSafetensors(tensors2))), 'the streamed file equals the encoded bytes');
    assert.deepEqual([...loadSafetensors(path2).tensors.get('view')!.data], [8, 7, 6]);

    const missing = join(dir, 'nope.safetensors');
    assert.throws(() => loadSafetensors(missing), { name: 'GradpathError', message: `file ${missing} does not exist` });
    assert.throws(() => loadSafetensors(dir), (e: Error) => e instanceof GradpathError && e.message.includes(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
