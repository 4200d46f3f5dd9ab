/**
 * Reading and writing the safetensors format (https://github.com/huggingface/safetensors):
 *
 *   [8 bytes: header length N, little-endian u64]
 *   [N bytes: UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}]
 *   [raw little-endian tensor data; offsets are relative to its start]
 *
 * We write F32 and I32 tensors, sorted by name, contiguous, with the header padded by spaces
 * to a multiple of 8 bytes. We read F32, F16, BF16, I32, I64, U16 and U8, converting everything to
 * Float32Array (floats) or Int32Array (integers). Every offset and size is checked, so a truncated
 * or corrupt file is an error naming the file, never garbage weights.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { GradpathError } from '../util/errors.js';

export type DType = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U16' | 'U8';

/** A tensor as it goes into a file: a shape and its row-major data. */
export interface TensorData {
  shape: number[];
  data: Float32Array | Int32Array;
}

/** A tensor as it comes out of a file: `dtype` is the type stored there, `data` its converted values. */
export interface RawTensor extends TensorData {
  dtype: DType;
}

export interface DecodedSafetensors {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

const BYTES_PER_ELEMENT: Record<DType, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, U16: 2, U8: 1 };
const METADATA_KEY = '__metadata__';
/** The reference implementation refuses headers above 100 MB; so do we, before parsing one. */
const MAX_HEADER_BYTES = 100_000_000;

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function requireLittleEndianHost(): void {
  if (!HOST_IS_LITTLE_ENDIAN) throw new Error('safetensors: big-endian hosts are not supported');
}

function numElements(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The bytes of a safetensors file as chunks: the length-prefixed header, then each tensor's own
 * bytes (views, not copies), in sorted-name order.
 */
function safetensorsChunks(tensors: Record<string, TensorData>, metadata?: Record<string, string>): Uint8Array[] {
  requireLittleEndianHost();
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new GradpathError(`safetensors metadata '${k}' must be a string, got ${typeof v}`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw new GradpathError(`'${METADATA_KEY}' cannot be used as a tensor name`);
    const { shape, data } = tensors[name];
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new GradpathError(`tensor '${name}' has an invalid shape [${shape.join(', ')}]`);
    }
    if (numElements(shape) !== data.length) {
      throw new GradpathError(`tensor '${name}' has shape [${shape.join(', ')}] but ${data.length} values`);
    }
    if (!(data instanceof Float32Array || data instanceof Int32Array)) {
      throw new GradpathError(`tensor '${name}' must hold a Float32Array or Int32Array`);
    }
    const dtype = data instanceof Float32Array ? 'F32' : 'I32';
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }

  let json = JSON.stringify(header);
  const unpadded = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - (unpadded % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + headerBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  head.set(headerBytes, 8);
  return [head, ...names.map((name) => {
    const { data } = tensors[name];
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  })];
}

/** Serialises `tensors` (written in sorted-name order) and optional string metadata. */
export function encodeSafetensors(tensors: Record<string, TensorData>, metadata?: Record<string, string>): Uint8Array {
  const chunks = safetensorsChunks(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors file held in memory. `source` (usually the file path) starts every error message.
 * Returned arrays are fresh copies, so they are aligned and independent of `bytes`.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): DecodedSafetensors {
  requireLittleEndianHost();
  const fail = (problem: string): never => {
    throw new GradpathError(`${source}: ${problem}`);
  };

  if (bytes.length < 8) fail(`not a safetensors file (only ${bytes.length} bytes)`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(`truncated or not a safetensors file (header claims ${headerLength} bytes, file has ${bytes.length})`);
  }
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header of ${headerLength} bytes is too large`);
  const dataStart = 8 + Number(headerLength);
  const dataLength = bytes.length - dataStart;

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch {
    fail('header is not valid JSON (corrupt or not a safetensors file)');
  }
  if (!isPlainObject(header)) fail('header is not a JSON object');
  const fields = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  if (fields[METADATA_KEY] !== undefined) {
    const raw = fields[METADATA_KEY];
    if (!isPlainObject(raw)) fail(`${METADATA_KEY} is not an object`);
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`${METADATA_KEY} entry '${k}' is not a string`);
      metadata[k] = v as string;
    }
  }

  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(fields)) {
    if (name === METADATA_KEY) continue;
    entries.push(parseEntry(name, info, dataLength, fail));
  }

  // Tensors must tile the data region exactly: sorted by offset, each starts where the last ended.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of byOffset) {
    if (e.begin < expected) fail(`tensor '${e.name}' overlaps another tensor (offset ${e.begin}, expected ${expected})`);
    if (e.begin > expected) fail(`gap before tensor '${e.name}' (offset ${e.begin}, expected ${expected})`);
    expected = e.end;
  }
  if (expected !== dataLength) fail(`${dataLength - expected} unexpected bytes after the last tensor`);

  const tensors = new Map<string, RawTensor>();
  for (const e of entries) {
    const data = convert(e, bytes.subarray(dataStart + e.begin, dataStart + e.end), fail);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseEntry(name: string, info: unknown, dataLength: number, fail: (problem: string) => never): HeaderEntry {
  if (!isPlainObject(info)) fail(`entry for tensor '${name}' is not an object`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(BYTES_PER_ELEMENT, dtype)) {
    fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)}`);
  }
  const isCount = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  const dims = shape as number[];
  const size = numElements(dims) * BYTES_PER_ELEMENT[dtype as DType];
  if (end - begin !== size) {
    fail(`tensor '${name}' of shape [${dims.join(', ')}] and dtype ${dtype} needs ${size} bytes but its offsets span ${end - begin}`);
  }
  if (end > dataLength) fail(`truncated: tensor '${name}' ends at byte ${end} of the data but the data has only ${dataLength}`);
  return { name, dtype: dtype as DType, shape: dims, begin, end };
}

/** Copies `src` (which may be unaligned) into a fresh typed array of the given constructor. */
function copyOut<T extends Float32Array | Int32Array | Uint16Array | BigInt64Array>(
  Ctor: { new (n: number): T; BYTES_PER_ELEMENT: number },
  src: Uint8Array,
): T {
  const out = new Ctor(src.length / Ctor.BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer).set(src);
  return out;
}

function convert(e: HeaderEntry, src: Uint8Array, fail: (problem: string) => never): Float32Array | Int32Array {
  switch (e.dtype) {
    case 'F32':
      return copyOut(Float32Array, src);
    case 'I32':
      return copyOut(Int32Array, src);
    case 'F16': {
      const halves = copyOut(Uint16Array, src);
      const table = f16Table();
      const out = new Float32Array(halves.length);
      for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
      return out;
    }
    case 'BF16': {
      const halves = copyOut(Uint16Array, src);
      const bits = new Uint32Array(halves.length);
      for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'I64': {
      const wide = copyOut(BigInt64Array, src);
      const out = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        const v = wide[i];
        if (v < -2147483648n || v > 2147483647n) fail(`tensor '${e.name}' holds ${v} at index ${i}, which does not fit in 32 bits`);
        out[i] = Number(v);
      }
      return out;
    }
    case 'U16':
      return Int32Array.from(copyOut(Uint16Array, src));
    case 'U8':
      return Int32Array.from(src);
  }
}

/** Converts IEEE 754 half-precision bits to a number, including subnormals, infinities and NaN. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero or subnormal
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Converts bfloat16 bits (the top half of a float32) to a number. */
export function bf16BitsToNumber(h: number): number {
  return new Float32Array(new Uint32Array([(h & 0xffff) << 16]).buffer)[0];
}

let f16Lookup: Float32Array | undefined;
function f16Table(): Float32Array {
  if (!f16Lookup) {
    f16Lookup = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Lookup[h] = f16BitsToNumber(h);
  }
  return f16Lookup;
}

/** Writes `tensors` to `path` atomically: readers see the old file or the complete new one. */
export function saveSafetensors(path: string, tensors: Record<string, TensorData>, metadata?: Record<string, string>): void {
  const chunks = safetensorsChunks(tensors, metadata); // each tensor's bytes as they are: no copy of a 1.5 GB checkpoint
  try {
    writeFileAtomic(path, chunks);
  } catch (err) {
    throw new GradpathError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

/** Reads and validates the safetensors file at `path`. */
export function loadSafetensors(path: string): DecodedSafetensors {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GradpathError(`file ${path} does not exist`);
    if (code === 'EISDIR') throw new GradpathError(`${path} is a directory, not a safetensors file`);
    throw new GradpathError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return decodeSafetensors(bytes, path);
}

/** A safetensors file's JSON header, read without the tensor data (a multi-GB file stays on disk). */
function readHeader(path: string): { header: Record<string, unknown>; dataLength: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GradpathError(code === 'ENOENT' ? `file ${path} does not exist` : `cannot read ${path}: ${(err as Error).message}`);
  }
  const bad = (why: string) => new GradpathError(`${path}: not a safetensors file, or a corrupt one (${why})`);
  try {
    const size = fstatSync(fd).size;
    const len = Buffer.alloc(8);
    if (readSync(fd, len, 0, 8, 0) < 8) throw bad(`only ${size} bytes`);
    const n = Number(len.readBigUInt64LE(0));
    if (!(n > 1 && n <= Math.min(MAX_HEADER_BYTES, size - 8))) throw bad(`its header length ${n} does not fit a file of ${size} bytes`);
    const bytes = Buffer.alloc(n);
    readSync(fd, bytes, 0, n, 8);
    let header: unknown;
    try {
      header = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw bad('its header is not JSON');
    }
    if (!isPlainObject(header)) throw bad('its header is not a JSON object');
    return { header: header as Record<string, unknown>, dataLength: size - 8 - n };
  } finally {
    closeSync(fd);
  }
}

/** The `__metadata__` of a safetensors file, reading only its header. */
export function safetensorsMetadata(path: string): Record<string, string> {
  const meta = readHeader(path).header[METADATA_KEY];
  return isPlainObject(meta) ? (meta as Record<string, string>) : {};
}

/**
 * Checks, from the header alone, that a safetensors file is whole: every tensor's bytes lie
 * inside the file and the data ends where the last tensor does (a cut or padded file fails).
 * Cheap enough to run before a long job that would load the file later (--resume).
 */
export function checkSafetensorsFile(path: string): void {
  const { header, dataLength } = readHeader(path);
  let end = 0;
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    const offsets = isPlainObject(info) ? (info as { data_offsets?: unknown }).data_offsets : undefined;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((x) => Number.isInteger(x) && x >= 0)) {
      throw new GradpathError(`${path}: corrupt safetensors file (tensor '${name}' has no valid data_offsets)`);
    }
    end = Math.max(end, offsets[1] as number);
  }
  if (end !== dataLength) throw new GradpathError(`${path}: corrupt safetensors file (its tensors need ${end} bytes of data, the file holds ${dataLength}: ${end > dataLength ? 'truncated' : 'trailing bytes'})`);
}
