import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { GradpathError } from '../util/errors.js';

/**
 * The IDX format of MNIST and Fashion-MNIST: a 4-byte magic (two zero bytes, a type code, the
 * number of dims), each dim as a big-endian uint32, then the values in row-major order
 * (big-endian for the multi-byte types). Files are often gzipped (.gz); both forms are read.
 */

const TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: 'uint8', bytes: 1 }, 0x09: { name: 'int8', bytes: 1 }, 0x0b: { name: 'int16', bytes: 2 },
  0x0c: { name: 'int32', bytes: 4 }, 0x0d: { name: 'float32', bytes: 4 }, 0x0e: { name: 'float64', bytes: 8 },
};

export interface IdxArray {
  shape: number[];
  type: string;
  /** uint8 data stays bytes (images, labels); other types become numbers of their kind. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Parses IDX bytes (gunzipped first when they start with gzip's magic); `what` names the source in errors. */
export function parseIdx(bytes: Uint8Array, what: string): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new GradpathError(`${what}: not a valid gzip file (${(err as Error).message}); delete it and fetch it again`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0 || !TYPES[buf[2]] || buf[3] === 0) {
    throw new GradpathError(`${what}: not an IDX file (its first bytes are not an IDX magic number)`);
  }
  const type = TYPES[buf[2]], ndim = buf[3];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4 + 4 * ndim) throw new GradpathError(`${what}: truncated IDX header (${buf.length} bytes for ${ndim} dims)`);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim, expected = start + count * type.bytes;
  if (buf.length !== expected) {
    throw new GradpathError(`${what}: IDX ${type.name} [${shape.join(', ')}] needs ${expected} bytes; the file has ${buf.length} (${buf.length < expected ? 'truncated' : 'trailing bytes'}): delete it and fetch it again`);
  }
  let data: IdxArray['data'];
  switch (type.name) {
    case 'uint8': data = buf.slice(start, expected); break;
    case 'int8': data = new Int8Array(buf.slice(start, expected).buffer); break;
    default: {
      const get = { int16: 'getInt16', int32: 'getInt32', float32: 'getFloat32', float64: 'getFloat64' }[type.name] as 'getInt16' | 'getInt32' | 'getFloat32' | 'getFloat64';
      const Ctor = { int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[type.name as 'int16'];
      const out = new Ctor(count);
      for (let i = 0; i < count; i++) out[i] = view[get](start + i * type.bytes);
      data = out;
    }
  }
  return { shape, type: type.name, data };
}

export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GradpathError(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${(err as Error).message}`);
  }
  return parseIdx(bytes, path);
}

/** IDX bytes for an array (uint8 only: what images and labels are), e.g. for tests and small exports. */
export function encodeIdx(shape: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * shape.length);
  return out;
}
