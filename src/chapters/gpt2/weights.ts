import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GradpathError } from '../../util/errors.js';
import { shapeStr } from '../../engine/shape.js';
import { loadSafetensors, safetensorsMetadata, saveSafetensors, type RawTensor, type TensorData } from '../../io/safetensors.js';
import { loadCheckpoint, type Checkpoint, type StateDict } from '../../io/checkpoint.js';
import { cacheDir } from '../../data/resolve.js';
import { downloadVerified, isOffline } from '../../data/download.js';
import { GPT2, GPT2_PRESETS, type GPT2Config } from './model.js';


/**
 * GPT-2 weights in and out of three layouts:
 *   - Hugging Face `model.safetensors`: our names (maybe with a `transformer.` prefix), but the
 *     four projection matrices are Conv1D weights stored (in, out): transposed from Linear's (out, in);
 *   - llm.c's `gpt2_124M.bin`: a 256-int32 header, then all parameters in a fixed order, each
 *     kind stacked over layers (all ln_1 weights, then all ln_1 biases, ...), vocabulary padded;
 *   - our own training checkpoints (`gradpath gpt2 train` writes them).
 */

/** HF stores these (in, out); a Linear wants (out, in). */
const CONV1D = /\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;
/** HF buffers that are not parameters: the causal mask and a constant; lm_head is tied to wte. */
const IGNORED = /(\.attn\.bias|\.attn\.masked_bias|^lm_head\.weight)$/;

/** (R, C) row-major -> (C, R). */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** Rows [0, rows) of a (R, C) matrix, zero-padded or cut to `rows`. */
function resizeRows(data: Float32Array, cols: number, rows: number): Float32Array {
  const out = new Float32Array(rows * cols);
  out.set(data.length > out.length ? data.subarray(0, out.length) : data);
  return out;
}

/** Every tensor must be there with its expected shape: the error names the tensor and both shapes. */
function loadChecked(model: GPT2, state: StateDict, source: string): void {
  for (const [name, t] of Object.entries(model.stateDict())) {
    const src = state[name];
    if (!src) throw new GradpathError(`${source}: missing tensor '${name}' (the configuration expects shape ${shapeStr(t.shape)})`);
    if (src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
      throw new GradpathError(`${source}: tensor '${name}' has shape ${shapeStr(src.shape)} in the file but the configuration expects ${shapeStr(t.shape)}`);
    }
  }
  const extra = Object.keys(state).filter((k) => !(k in model.stateDict()));
  if (extra.length) throw new GradpathError(`${source}: unexpected tensor '${extra[0]}' for this configuration`);
  model.loadStateDict(state, true);
}

/** The vocabulary and context sizes of a file's wte/wpe; n_head is not in the shapes, so it comes from metadata or the preset with this width. */
function inferConfig(state: StateDict, nHead: number | undefined, vocabSize: number, source: string): GPT2Config {
  const wte = state['wte.weight'], wpe = state['wpe.weight'];
  if (!wte || !wpe) throw new GradpathError(`${source}: no 'wte.weight'/'wpe.weight': not GPT-2 weights`);
  const C = wte.shape[1];
  let L = 0;
  while (state[`h.${L}.ln_1.weight`]) L++;
  const preset = Object.values(GPT2_PRESETS).find((p) => p.nEmbd === C);
  const nh = nHead ?? preset?.nHead;
  if (!nh) throw new GradpathError(`${source}: cannot tell the number of heads for n_embd ${C}; pass --n-head`);
  const rows = wte.shape[0];
  const V = Math.min(vocabSize, rows);
  return { nLayer: L, nHead: nh, nEmbd: C, blockSize: wpe.shape[0], vocabSize: V, paddedVocabSize: rows };
}

// ---------------------------------------------------------------- Hugging Face

/** HF tensors -> our state dict: prefix dropped, buffers skipped, Conv1D weights transposed. */
export function stateFromHF(tensors: Map<string, RawTensor>): StateDict {
  const state: StateDict = {};
  for (const [rawName, t] of tensors) {
    const name = rawName.startsWith('transformer.') ? rawName.slice('transformer.'.length) : rawName;
    if (IGNORED.test(name)) continue;
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    if (CONV1D.test(name)) {
      if (t.shape.length !== 2) throw new GradpathError(`tensor '${rawName}' should be a matrix; got shape ${shapeStr(t.shape)}`);
      const [inF, outF] = t.shape;
      state[name] = { shape: [outF, inF], data: transpose2d(data, inF, outF) }; // (in, out) -> (out, in)
    } else state[name] = { shape: [...t.shape], data };
  }
  return state;
}

/** Our model -> HF's layout (no prefix, Conv1D weights (in, out), vocabulary unpadded). */
export function stateToHF(model: GPT2): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  const { vocabSize, nEmbd } = model.gpt2;
  for (const [name, t] of Object.entries(model.stateDict())) {
    const data = t.values() as Float32Array;
    if (name === 'wte.weight') out[name] = { shape: [vocabSize, nEmbd], data: resizeRows(data, nEmbd, vocabSize) };
    else if (CONV1D.test(name)) {
      const [outF, inF] = t.shape;
      out[name] = { shape: [inF, outF], data: transpose2d(data, outF, inF) };
    } else out[name] = { shape: [...t.shape], data };
  }
  return out;
}

export function saveHF(path: string, model: GPT2): void {
  saveSafetensors(path, stateToHF(model), { format: 'pt', n_head: String(model.gpt2.nHead) });
}

// ---------------------------------------------------------------- llm.c

export const LLMC_MAGIC = 20240326;

/** llm.c's parameter order: `layer` marks kinds stacked over the L layers; `shape` is one layer's piece. */
const LLMC_ORDER: { key: string; layer?: boolean; shape: (c: Required<GPT2Config>) => number[] }[] = [
  { key: 'wte.weight', shape: (c) => [c.paddedVocabSize, c.nEmbd] },
  { key: 'wpe.weight', shape: (c) => [c.blockSize, c.nEmbd] },
  { key: 'ln_1.weight', layer: true, shape: (c) => [c.nEmbd] },
  { key: 'ln_1.bias', layer: true, shape: (c) => [c.nEmbd] },
  { key: 'attn.c_attn.weight', layer: true, shape: (c) => [3 * c.nEmbd, c.nEmbd] },
  { key: 'attn.c_attn.bias', layer: true, shape: (c) => [3 * c.nEmbd] },
  { key: 'attn.c_proj.weight', layer: true, shape: (c) => [c.nEmbd, c.nEmbd] },
  { key: 'attn.c_proj.bias', layer: true, shape: (c) => [c.nEmbd] },
  { key: 'ln_2.weight', layer: true, shape: (c) => [c.nEmbd] },
  { key: 'ln_2.bias', layer: true, shape: (c) => [c.nEmbd] },
  { key: 'mlp.c_fc.weight', layer: true, shape: (c) => [4 * c.nEmbd, c.nEmbd] },
  { key: 'mlp.c_fc.bias', layer: true, shape: (c) => [4 * c.nEmbd] },
  { key: 'mlp.c_proj.weight', layer: true, shape: (c) => [c.nEmbd, 4 * c.nEmbd] },
  { key: 'mlp.c_proj.bias', layer: true, shape: (c) => [c.nEmbd] },
  { key: 'ln_f.weight', shape: (c) => [c.nEmbd] },
  { key: 'ln_f.bias', shape: (c) => [c.nEmbd] },
];

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Reads an llm.c checkpoint (version 3: float32; version 5: bfloat16) into a state dict and its config. */
export function readLLMC(path: string): { state: StateDict; config: Required<GPT2Config>; version: number } {
  const bytes = readBytes(path);
  if (bytes.length < 1024) throw new GradpathError(`${path}: too short for an llm.c checkpoint (${bytes.length} bytes, the header alone is 1024)`);
  const h = new Int32Array(bytes.buffer, bytes.byteOffset, 256);
  if (h[0] !== LLMC_MAGIC) throw new GradpathError(`${path}: bad magic number ${h[0]} (an llm.c checkpoint starts with ${LLMC_MAGIC})`);
  const version = h[1];
  if (version !== 3 && version !== 5) throw new GradpathError(`${path}: llm.c checkpoint version ${version}; this reads 3 (float32) and 5 (bfloat16)`);
  const [maxT, V, L, NH, C, Vp] = [h[2], h[3], h[4], h[5], h[6], h[7]];
  const config: Required<GPT2Config> = { blockSize: maxT, vocabSize: V, nLayer: L, nHead: NH, nEmbd: C, paddedVocabSize: Vp };
  const width = version === 3 ? 4 : 2;
  const total = LLMC_ORDER.reduce((n, p) => n + numel(p.shape(config)) * (p.layer ? L : 1), 0);
  if (bytes.length !== 1024 + total * width) {
    throw new GradpathError(`${path}: ${bytes.length} bytes, but the header (L ${L}, C ${C}, Vp ${Vp}, maxT ${maxT}) needs ${1024 + total * width}: truncated or not this format`);
  }
  // one aligned copy of all parameters (a Buffer's slice() is a view, so copy explicitly)
  const body = new Uint8Array(bytes.length - 1024);
  body.set(bytes.subarray(1024));
  let all: Float32Array;
  if (version === 3) all = new Float32Array(body.buffer);
  else {
    const bf = new Uint16Array(body.buffer);
    const bits = new Uint32Array(bf.length);
    for (let i = 0; i < bf.length; i++) bits[i] = bf[i] << 16; // bfloat16 is the top half of a float32
    all = new Float32Array(bits.buffer);
  }
  const state: StateDict = {};
  let o = 0;
  for (const p of LLMC_ORDER) {
    const shape = p.shape(config), n = numel(shape);
    if (!p.layer) state[p.key] = { shape, data: all.subarray(o, (o += n)) };
    else for (let l = 0; l < L; l++) state[`h.${l}.${p.key}`] = { shape, data: all.subarray(o, (o += n)) };
  }
  return { state, config, version };
}

/** Writes llm.c's layout: version 3 (float32) or 5 (bfloat16, rounded to nearest even). */
export function saveLLMC(path: string, model: GPT2, opts: { bf16?: boolean } = {}): void {
  const c = model.gpt2;
  const Vp = c.paddedVocabSize; // llm.c takes any Vp >= V from the header; its own files use 50304
  const header = new Int32Array(256);
  header.set([LLMC_MAGIC, opts.bf16 ? 5 : 3, c.blockSize, c.vocabSize, c.nLayer, c.nHead, c.nEmbd, Vp]);
  const sd = model.stateDict();
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, new Uint8Array(header.buffer));
    for (const p of LLMC_ORDER) {
      const names = p.layer ? Array.from({ length: c.nLayer }, (_, l) => `h.${l}.${p.key}`) : [p.key];
      for (const name of names) {
        const data = sd[name].values() as Float32Array;
        if (!opts.bf16) writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        else writeSync(fd, new Uint8Array(toBF16(data).buffer));
      }
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function toBF16(x: Float32Array): Uint16Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const b = bits[i];
    out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16; // round to nearest, ties to even
  }
  return out;
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GradpathError(code === 'ENOENT' ? `file ${path} does not exist` : `cannot read ${path}: ${code ?? (err as Error).message}`);
  }
}

// ---------------------------------------------------------------- any of them

export type WeightsFormat = 'hf' | 'llmc' | 'gradpath';

/** Which layout a file is in, from its first bytes. */
export function detectFormat(path: string): WeightsFormat {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(8);
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  if (head.readInt32LE(0) === LLMC_MAGIC) return 'llmc';
  let meta: Record<string, string>;
  try {
    meta = safetensorsMetadata(path);
  } catch {
    throw new GradpathError(`${path}: neither an llm.c checkpoint nor a safetensors file`);
  }
  return meta.gradpath ? 'gradpath' : 'hf';
}

/**
 * Builds a GPT-2 from a weights file in any layout. `expect` (a configuration the user asked
 * for) must then match the file; without it the configuration comes from the file.
 */
export function loadGPT2(path: string, opts: { expect?: GPT2Config; nHead?: number } = {}): { model: GPT2; format: WeightsFormat; config: GPT2Config } {
  if (!existsSync(path)) throw new GradpathError(`file ${path} does not exist`);
  const format = detectFormat(path);
  let state: StateDict, config: GPT2Config;
  if (format === 'llmc') ({ state, config } = readLLMC(path));
  else if (format === 'gradpath') ({ state, config } = gpt2State(loadCheckpoint(path, { kind: 'gpt2' })));
  else {
    const { tensors, metadata } = loadSafetensors(path);
    state = stateFromHF(tensors);
    const nHead = opts.nHead ?? (metadata.n_head ? Number(metadata.n_head) : undefined) ?? readHFConfigHeads(path);
    config = inferConfig(state, nHead, opts.expect?.vocabSize ?? 50257, path);
  }
  const target = opts.expect ? { ...opts.expect } : config;
  // the file's vocabulary padding is a storage detail: fit wte to the model's rows
  const rows = target.paddedVocabSize ?? target.vocabSize, wte = state['wte.weight'];
  if (wte && wte.shape[0] !== rows && wte.shape[0] >= target.vocabSize && rows >= target.vocabSize) {
    state['wte.weight'] = { shape: [rows, wte.shape[1]], data: resizeRows(wte.data as Float32Array, wte.shape[1], rows) };
  }
  const model = new GPT2(target);
  loadChecked(model, state, path);
  return { model, format, config: target };
}

/** The weights and configuration in a `gradpath gpt2 train` checkpoint. */
function gpt2State(ckpt: Checkpoint): { state: StateDict; config: GPT2Config } {
  return { state: ckpt.model, config: (ckpt.config as { model: GPT2Config }).model };
}

/** A GPT-2 from a decoded `gradpath gpt2 train` checkpoint (the lab fetches its bytes; the CLI uses loadGPT2). */
export function gpt2FromCheckpoint(ckpt: Checkpoint, source: string): { model: GPT2; config: GPT2Config } {
  if (ckpt.kind !== 'gpt2') throw new GradpathError(`${source} holds a ${ckpt.kind} model, not gpt2`);
  const { state, config } = gpt2State(ckpt);
  const model = new GPT2(config);
  loadChecked(model, state, source);
  return { model, config };
}

/** n_head from a Hugging Face config.json beside the weights, when there is one. */
function readHFConfigHeads(path: string): number | undefined {
  const cfg = join(dirname(path), 'config.json');
  if (!existsSync(cfg)) return undefined;
  try {
    return (JSON.parse(readFileSync(cfg, 'utf8')) as { n_head?: number }).n_head;
  } catch {
    return undefined;
  }
}

/** Hub names that `--init-from` downloads (Hugging Face's openai-community models). */
export const HUB_MODELS = ['gpt2', 'gpt2-medium', 'gpt2-large', 'gpt2-xl'];

/** A local path as is; a hub name from the cache, or downloaded into it (fails cleanly offline). */
export async function resolveWeights(spec: string, log: (m: string) => void = () => {}): Promise<string> {
  if (existsSync(spec)) return spec;
  const name = spec.replace(/^openai-community\//, '');
  if (!HUB_MODELS.includes(name)) throw new GradpathError(`--init-from ${spec}: no such file, and not a hub model (${HUB_MODELS.join(', ')})`);
  const dir = join(cacheDir(), 'hub', name);
  const file = join(dir, 'model.safetensors');
  if (existsSync(file)) return file;
  if (isOffline()) throw new GradpathError(`--init-from ${spec}: not in the cache (${dir}) and GRADPATH_OFFLINE is set; download model.safetensors yourself and pass its path`);
  const base = `https://huggingface.co/openai-community/${name}/resolve/main`;
  log(`downloading ${base}/model.safetensors into ${dir}`);
  try {
    await downloadVerified(`${base}/config.json`, join(dir, 'config.json'), { timeoutMs: 60_000 });
    // the hub names a large (LFS) file's SHA-256 in X-Linked-Etag: the download is checked against it
    await downloadVerified(`${base}/model.safetensors`, file, { timeoutMs: 3_600_000, sha256From: (res) => (res.headers.get('x-linked-etag') ?? '').replace(/"/g, '') });
  } catch (err) {
    throw new GradpathError(`--init-from ${spec}: cannot download from huggingface.co (${(err as Error).message}); download model.safetensors yourself and pass its path`);
  }
  return file;
}
