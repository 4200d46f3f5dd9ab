/**
 * Training checkpoints: one safetensors file holding
 *   - the model's state dict, each tensor named `model.<PyTorch-style name>` (e.g. `model.h.0.attn.c_attn.weight`),
 *   - the optimizer's state (latest.safetensors only), each tensor named `optim.<buffer>.<i>`, i the
 *     parameter's index in the optimizer's groups (e.g. `optim.exp_avg.0`, `optim.exp_avg_sq.0`), and `optim.step`,
 *   - `__metadata__.gradpath`: JSON of {format, version, kind, step, rng, config, extra}.
 * Saving is atomic, so an interrupted save leaves the previous checkpoint intact.
 */
import { existsSync } from 'node:fs';
import { GradpathError } from '../util/errors.js';
import { decodeSafetensors, loadSafetensors, saveSafetensors, type DecodedSafetensors, type TensorData } from './safetensors.js';

export interface StateDict {
  [name: string]: { shape: number[]; data: Float32Array | Int32Array };
}

export interface Checkpoint {
  model: StateDict;
  optimizer?: StateDict;
  step: number;
  rng?: number[];
  /** What the model is, e.g. 'makemore-transformer'; a resume checks it. */
  kind: string;
  config: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

const FORMAT = 'gradpath-checkpoint';
const VERSION = 1;
const METADATA_KEY = 'gradpath';
const MODEL_PREFIX = 'model.';
const OPTIM_PREFIX = 'optim.';

interface CheckpointMeta {
  format: typeof FORMAT;
  version: number;
  kind: string;
  step: number;
  rng?: number[];
  config: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/** Writes `ckpt` to `path` atomically. */
export function saveCheckpoint(path: string, ckpt: Checkpoint): void {
  if (!Number.isSafeInteger(ckpt.step) || ckpt.step < 0) throw new GradpathError(`checkpoint step must be a non-negative integer, got ${ckpt.step}`);
  const tensors: Record<string, TensorData> = {};
  for (const [name, t] of Object.entries(ckpt.model)) tensors[MODEL_PREFIX + name] = t;
  for (const [name, t] of Object.entries(ckpt.optimizer ?? {})) tensors[OPTIM_PREFIX + name] = t;
  const meta: CheckpointMeta = {
    format: FORMAT,
    version: VERSION,
    kind: ckpt.kind,
    step: ckpt.step,
    rng: ckpt.rng,
    config: ckpt.config,
    extra: ckpt.extra,
  };
  saveSafetensors(path, tensors, { [METADATA_KEY]: JSON.stringify(meta) });
}

/**
 * Reads the checkpoint at `path`. With `expect.kind`, a checkpoint of another kind of model is an error.
 * Every problem (missing, corrupt, not a checkpoint, wrong kind) is a one-line GradpathError naming the file.
 */
export function loadCheckpoint(path: string, expect?: { kind?: string }): Checkpoint {
  if (!existsSync(path)) throw new GradpathError(`no checkpoint at ${path}; train first or drop --resume`);
  return checkpointFrom(loadSafetensors(path), path, expect);
}

/** A checkpoint from its bytes (e.g. fetched by the lab in a browser); `source` names it in errors. */
export function decodeCheckpoint(bytes: Uint8Array, source: string, expect?: { kind?: string }): Checkpoint {
  return checkpointFrom(decodeSafetensors(bytes, source), source, expect);
}

function checkpointFrom({ tensors, metadata }: DecodedSafetensors, path: string, expect?: { kind?: string }): Checkpoint {

  const notOurs: (why: string) => never = (why) => {
    throw new GradpathError(`${path} is not a gradpath checkpoint (${why})`);
  };
  const raw = metadata[METADATA_KEY];
  if (raw === undefined) notOurs('no gradpath metadata');
  let meta: Partial<CheckpointMeta>;
  try {
    meta = JSON.parse(raw);
  } catch {
    return notOurs('its metadata is not valid JSON');
  }
  if (typeof meta !== 'object' || meta === null || meta.format !== FORMAT) notOurs('wrong format tag');
  if (meta.version !== VERSION) {
    throw new GradpathError(`checkpoint ${path} has format version ${meta.version}; this gradpath reads version ${VERSION}`);
  }
  if (typeof meta.kind !== 'string') notOurs('no model kind');
  if (typeof meta.step !== 'number' || !Number.isSafeInteger(meta.step) || meta.step < 0) notOurs('invalid step');
  if (!isRecord(meta.config)) notOurs('invalid config');
  if (meta.extra !== undefined && !isRecord(meta.extra)) notOurs('invalid extra');
  if (meta.rng !== undefined && !(Array.isArray(meta.rng) && meta.rng.every((x) => typeof x === 'number'))) notOurs('invalid rng state');

  if (expect?.kind !== undefined && meta.kind !== expect.kind) {
    throw new GradpathError(`checkpoint ${path} holds a ${meta.kind} model, not ${expect.kind}`);
  }

  const model: StateDict = {};
  const optimizer: StateDict = {};
  for (const [name, { shape, data }] of tensors) {
    if (name.startsWith(MODEL_PREFIX)) model[name.slice(MODEL_PREFIX.length)] = { shape, data };
    else if (name.startsWith(OPTIM_PREFIX)) optimizer[name.slice(OPTIM_PREFIX.length)] = { shape, data };
    else notOurs(`unexpected tensor '${name}'`);
  }

  const ckpt: Checkpoint = { model, step: meta.step, kind: meta.kind, config: meta.config };
  if (Object.keys(optimizer).length > 0) ckpt.optimizer = optimizer;
  if (meta.rng !== undefined) ckpt.rng = meta.rng;
  if (meta.extra !== undefined) ckpt.extra = meta.extra;
  return ckpt;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Compares the configuration a checkpoint was trained with against the current one, key by key,
 * and describes the first difference (e.g. "nEmbd is 64 in the checkpoint but 128 now"), or returns null.
 * Values are compared by their JSON form, so arrays and nested objects compare by content.
 */
export function compareConfig(
  saved: Record<string, unknown>,
  current: Record<string, unknown>,
  keys: readonly string[],
): string | null {
  for (const key of keys) {
    const a = describe(saved[key]);
    const b = describe(current[key]);
    if (a !== b) return `${key} is ${a} in the checkpoint but ${b} now`;
  }
  return null;
}

function describe(v: unknown): string {
  return v === undefined ? 'unset' : JSON.stringify(v);
}
