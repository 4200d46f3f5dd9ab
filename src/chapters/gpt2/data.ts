import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GradpathError } from '../../util/errors.js';
import { Tensor } from '../../engine/tensor.js';
import type { Tokenizer } from './bpe.js';
import { EOT } from './gpt2_tokenizer.js';

/**
 * Token shards in llm.c's format: a 256-int32 header (magic 20240520, version 1, token count,
 * the rest zero), then the tokens as uint16 (GPT-2's 50257 ids fit). `prepare` streams text
 * into shards; the loader reads them back in (B, T) batches.
 */
export const SHARD_MAGIC = 20240520;
export const SHARD_VERSION = 1;
const HEADER_BYTES = 256 * 4;

export function writeShard(path: string, tokens: Uint16Array): void {
  const header = new Int32Array(256);
  header.set([SHARD_MAGIC, SHARD_VERSION, tokens.length]);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, new Uint8Array(header.buffer));
    writeSync(fd, new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads and checks a shard: magic, version and length are verified, naming the file. */
export function readShard(path: string): Uint16Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new GradpathError(`token shard ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (bytes.length < HEADER_BYTES) throw new GradpathError(`token shard ${path}: ${bytes.length} bytes, shorter than the 1024-byte header`);
  const h = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + HEADER_BYTES));
  if (h[0] !== SHARD_MAGIC) throw new GradpathError(`token shard ${path}: bad magic number ${h[0]} (expected ${SHARD_MAGIC}); not an llm.c token file`);
  if (h[1] !== SHARD_VERSION) throw new GradpathError(`token shard ${path}: unsupported version ${h[1]} (this reads version ${SHARD_VERSION})`);
  const n = h[2], expected = HEADER_BYTES + 2 * n;
  if (n < 0 || bytes.length !== expected) {
    throw new GradpathError(`token shard ${path}: header says ${n} tokens (${expected} bytes) but the file has ${bytes.length} bytes: ${bytes.length < expected ? 'truncated' : 'trailing data'}`);
  }
  return new Uint16Array(bytes.buffer.slice(bytes.byteOffset + HEADER_BYTES, bytes.byteOffset + expected));
}

/** Shard files of a split in a directory, in order. */
export function shardFiles(dir: string, split: 'train' | 'val'): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new GradpathError(`data directory ${dir} does not exist; make it with \`gradpath gpt2 prepare -i TEXT -o ${dir}\``);
  return readdirSync(dir).filter((f) => f.startsWith(`${split}_`) && f.endsWith('.bin')).sort().map((f) => join(dir, f));
}

/** Collects tokens into fixed-size shards: the first valTokens go to val_000000.bin, the rest to train_*. */
class ShardWriter {
  private buf: Uint16Array;
  private n = 0;
  private split: 'val' | 'train';
  private index = 0;
  readonly files: string[] = [];
  total = 0;
  constructor(private readonly dir: string, private readonly shardTokens: number, private readonly valTokens: number) {
    this.split = valTokens > 0 ? 'val' : 'train';
    this.buf = new Uint16Array(this.capacity());
  }
  private capacity(): number {
    return this.split === 'val' ? this.valTokens : this.shardTokens;
  }
  push(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      this.buf[this.n++] = ids[i];
      if (this.n === this.buf.length) this.flush();
    }
    this.total += ids.length;
  }
  flush(): void {
    if (this.n === 0) return;
    const path = join(this.dir, `${this.split}_${String(this.index).padStart(6, '0')}.bin`);
    writeShard(path, this.buf.subarray(0, this.n));
    this.files.push(path);
    this.n = 0;
    if (this.split === 'val') this.split = 'train'; // one val shard, then train shards from 0
    else this.index++;
    if (this.buf.length !== this.capacity()) this.buf = new Uint16Array(this.capacity());
  }
}

const isWs = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;

/**
 * The last index where text can be cut without changing GPT-2's pre-split: between a
 * non-whitespace character and a whitespace one. No piece of the pattern contains a
 * non-space followed by a space, and whitespace pieces only look ahead, so encoding
 * text[0, i) and text[i, n) separately gives the same tokens as encoding the whole. -1: none.
 */
export function safeCut(text: string): number {
  for (let i = text.length - 1; i > 0; i--) if (isWs(text.charCodeAt(i)) && !isWs(text.charCodeAt(i - 1))) return i;
  return -1;
}

export interface PrepareOptions {
  shardTokens?: number;
  valTokens?: number;
  /** Each blank-line-separated paragraph is a document (llm.c's tinyshakespeare preparation). */
  paragraphs?: boolean;
  /** Bytes read at a time (small in tests to exercise the cutting). */
  chunkBytes?: number;
  log?: (msg: string) => void;
}

/**
 * Tokenizes text files into shards without holding a whole file: read a chunk, decode it
 * (a UTF-8 character may straddle chunks: the streaming decoder keeps it), encode up to the
 * last safe cut, carry the rest. Each file is a document and starts with <|endoftext|>, as
 * llm.c's and build-nanogpt's preprocessing do; `<|endoftext|>` inside a file separates documents too.
 */
export function prepareShards(inputs: string[], outDir: string, tok: Tokenizer, opts: PrepareOptions = {}): { files: string[]; tokens: number } {
  const shardTokens = opts.shardTokens ?? 100_000_000, valTokens = opts.valTokens ?? 32_768;
  if (tok.vocabSize > 65536) throw new GradpathError(`prepare: a vocabulary of ${tok.vocabSize} does not fit uint16 shards`);
  mkdirSync(outDir, { recursive: true });
  for (const f of [...shardFiles(outDir, 'train'), ...shardFiles(outDir, 'val')]) rmSync(f); // no stale shards from an older run
  const out = new ShardWriter(outDir, shardTokens, valTokens);
  const chunk = Buffer.alloc(opts.chunkBytes ?? 1 << 20);
  for (const input of inputs) {
    let fd: number;
    try {
      fd = openSync(input, 'r');
    } catch (err) {
      throw new GradpathError(`prepare: cannot read ${input} (${(err as NodeJS.ErrnoException).code})`);
    }
    const decoder = new TextDecoder('utf-8');
    let pending = '';
    out.push([EOT]);
    try {
      for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) {
        pending += decoder.decode(chunk.subarray(0, n), { stream: true });
        if (opts.paragraphs) {
          // llm.c's tinyshakespeare: every blank-line-separated section is a document, encoded
          // with its "\n\n" and followed by <|endoftext|> (sections found left to right, as split())
          let from = 0;
          for (let at; (at = pending.indexOf('\n\n', from)) >= 0; from = at + 2) {
            out.push(tok.encode(pending.slice(from, at + 2)));
            out.push([EOT]);
          }
          pending = pending.slice(from);
        }
        let cut = safeCut(pending);
        // a giant run without whitespace: cut anyway (at most a token or two differ), not at a surrogate pair
        if (cut < 0 && pending.length > 1 << 26) cut = (pending.charCodeAt(pending.length - 1) & 0xfc00) === 0xd800 ? pending.length - 1 : pending.length;
        if (cut > 0) {
          out.push(tok.encode(pending.slice(0, cut)));
          pending = pending.slice(cut);
        }
      }
      out.push(tok.encode(pending + decoder.decode()));
    } finally {
      closeSync(fd);
    }
    opts.log?.(`${input}: ${out.total} tokens so far`);
  }
  out.flush();
  return { files: out.files, tokens: out.total };
}

export interface LoaderState { shard: number; position: number }

/**
 * Reads (B, T) batches from the shards of one split, in order, wrapping around at the end.
 * Process `rank` of `worldSize` (data parallel) reads every worldSize-th batch: its window
 * starts at rank * B * T and advances by worldSize * B * T, so ranks never overlap.
 */
export class ShardLoader {
  readonly files: string[];
  private tokens: Uint16Array = new Uint16Array(0);
  private state: LoaderState = { shard: 0, position: 0 };

  constructor(dir: string, split: 'train' | 'val', readonly B: number, readonly T: number, readonly rank = 0, readonly worldSize = 1) {
    this.files = shardFiles(dir, split);
    if (this.files.length === 0) throw new GradpathError(`data directory ${dir} has no ${split}_*.bin shards; make them with \`gradpath gpt2 prepare\``);
    if (!(rank >= 0 && rank < worldSize)) throw new GradpathError(`loader: rank ${rank} is not in [0, ${worldSize})`);
    this.reset();
  }

  reset(): void {
    this.setState({ shard: 0, position: this.B * this.T * this.rank });
  }

  getState(): LoaderState {
    return { ...this.state };
  }

  /**
   * The state as rank 0 sees it: where the global batch starts, the same with any number of ranks
   * (what a checkpoint keeps, so a run resumes on another number of ranks).
   */
  sharedState(): LoaderState {
    return { shard: this.state.shard, position: this.state.position - this.B * this.T * this.rank };
  }

  /** Continues from a sharedState(): this rank's rows are its block of the global batch. */
  setSharedState(s: LoaderState): void {
    this.setState({ shard: s.shard, position: s.position + this.B * this.T * this.rank });
  }

  setState(s: LoaderState): void {
    this.tokens = readShard(this.files[s.shard % this.files.length]);
    this.state = { shard: s.shard % this.files.length, position: s.position };
    const need = this.B * this.T * this.worldSize + 1;
    if (this.tokens.length < need) {
      throw new GradpathError(`token shard ${this.files[this.state.shard]} has ${this.tokens.length} tokens, fewer than one batch needs (${need}: B ${this.B} x T ${this.T}${this.worldSize > 1 ? ` x ${this.worldSize} processes` : ''} + 1)`);
    }
  }

  /** x (B, T) and y (B, T) = x shifted by one token. */
  nextBatch(): { x: Tensor; y: Tensor } {
    const { B, T } = this;
    const n = B * T, p = this.state.position;
    const x = new Int32Array(n), y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = this.tokens[p + i];
      y[i] = this.tokens[p + i + 1];
    }
    let next = p + n * this.worldSize;
    if (next + n * this.worldSize + 1 > this.tokens.length) {
      this.setState({ shard: this.state.shard + 1, position: n * this.rank }); // next shard (wrapping)
      next = this.state.position;
    }
    this.state.position = next;
    return { x: new Tensor(x, [B, T]), y: new Tensor(y, [B, T]) };
  }
}
