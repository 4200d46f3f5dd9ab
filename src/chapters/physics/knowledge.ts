import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RunDir } from '../../io/rundir.js';
import { compareConfig } from '../../io/checkpoint.js';
import { GradpathError } from '../../util/errors.js';
import { loadTrainingState } from '../../train/state.js';
import { checkRunDir } from '../../train/fresh.js';
import type { GPT } from '../../models/gpt.js';
import type { Evaluation } from '../../train/loop.js';
import { augmentName, makeBiographies, makeQA, parseAugment, splitPeople, type Biography } from './bios.js';
import { biographyRow, qaRow } from './data.js';
import { biographyAccuracy, qaAccuracy } from './evaluate.js';
import { addLoRA, buildModel, type ModelSize } from './model.js';
import { makePeople, type Attribute } from './people.js';
import { probeKnowledge, type ProbeTable } from './probing.js';
import { trainStage, type StageSettings } from './train.js';
import { bioVocab } from './vocab.js';

/** Everything that defines one knowledge run (config.json; the training keys are checked on --resume). */
export interface KnowledgeConfig {
  people: number;
  /** Answer values per attribute: each attribute drawn from the first `values` of its list. */
  values: number;
  augment: string;
  /** Mixed training: biographies and the finetune people's questions together from the start, no finetune. */
  mixed: boolean;
  model: ModelSize;
  seed: number;
  qaFraction: number;
  pretrain: StageSettings;
  finetune: StageSettings;
  /** In mixed training, the share of each batch's rows that are questions. */
  mixedQaShare: number;
  probeSteps: number;
  /** A second QA finetune from the pretrained weights with LoRA adapters (this rank) on the attention's q, k, v; 0: none. */
  loraRank: number;
  loraFinetune: StageSettings;
}

export const KIND = 'physics-knowledge';
/** What each stage depends on (checked on --resume): a finished pretraining serves any finetune settings. */
const FIRST_KEYS = ['people', 'values', 'augment', 'mixed', 'model', 'seed', 'qaFraction', 'pretrain', 'mixedQaShare'] as const;
const FINETUNE_KEYS = [...FIRST_KEYS, 'finetune'] as const;
const LORA_KEYS = [...FIRST_KEYS, 'loraRank', 'loraFinetune'] as const;
const ALL_KEYS = [...FINETUNE_KEYS, 'loraRank', 'loraFinetune'] as const;

/** Exact match after a finetune: on the finetuned people, on the others, and on the others per attribute. */
export interface QAResult {
  qaTrain: number;
  qaTest: number;
  qaTestByAttribute: Record<Attribute, number>;
  steps: number;
}

export interface KnowledgeResult {
  label: string;
  config: KnowledgeConfig;
  /** Memorisation: value tokens of the first biographies, all argmax (fraction of person-attributes). */
  bioAcc: number;
  /** QA exact match on the people whose questions were trained on, and on the others (out of distribution). */
  qaTrain: number;
  qaTest: number;
  qaTestByAttribute: Record<Attribute, number>;
  /** The same, after a LoRA finetune from the pretrained weights instead of the full one (when loraRank > 0). */
  lora?: QAResult;
  probes: ProbeTable;
  pretrainSteps: number;
  finetuneSteps: number;
  /** Training time of the stages (their run directories' clocks, continued across --resume). */
  seconds: number;
  interrupted: boolean;
}

/** 'multi5+permute' or 'single mixed'. */
export function runLabel(c: Pick<KnowledgeConfig, 'augment' | 'mixed'>): string {
  return `${augmentName(parseAugment(c.augment))}${c.mixed ? ' mixed' : ''}`;
}

export interface RunHooks {
  resume?: boolean;
  force?: boolean;
  quiet?: boolean;
  log?: (line: string) => void;
  stopRequested?: () => boolean;
}

/** The world of a run: people, biographies, questions and the split, all from the seed. */
export function buildWorld(c: KnowledgeConfig) {
  const vocab = bioVocab();
  const people = makePeople(c.people, c.seed, c.values);
  const bios = makeBiographies(people, parseAugment(c.augment), c.seed + 1);
  const split = splitPeople(people.length, c.qaFraction, c.seed + 2);
  const firstBio: Biography[] = [];
  for (const b of bios) firstBio[b.person] ??= b;
  return { vocab, people, bios, firstBio, split, qaTrain: makeQA(people, split.train), qaTest: makeQA(people, split.test) };
}

/** At most n items, evenly spread (evaluation on a fixed subset: the same one every time). */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

/**
 * One knowledge run in `dir`: pretrain/ (or mixed/), then probes, then finetune/ (not for mixed),
 * then summary.json. Each stage is a run of the training loop with its own checkpoints; a finished
 * stage leaves result.json and is not trained again by --resume.
 */
export async function runKnowledge(c: KnowledgeConfig, dirPath: string, hooks: RunHooks = {}): Promise<KnowledgeResult> {
  const log = hooks.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const label = runLabel(c);
  const root = new RunDir(dirPath);
  if (hooks.resume && root.exists('summary.json')) {
    const s = JSON.parse(readFileSync(root.path('summary.json'), 'utf8')) as KnowledgeResult;
    // a summary without the LoRA finetune (written before it was asked for) is continued stage by stage
    if (!s.interrupted && (c.mixed || c.loraRank === 0 || s.lora)) {
      const diff = compareConfig(s.config as unknown as Record<string, unknown>, c as unknown as Record<string, unknown>, ALL_KEYS);
      if (diff) throw new GradpathError(`${root.dir} holds a finished run with another configuration (${diff}); use another --out, or --force to replace it`);
      return s;
    }
  }
  if (!hooks.resume && !hooks.force && (root.exists('summary.json') || existsSync(join(dirPath, 'pretrain')) || existsSync(join(dirPath, 'mixed')))) {
    checkRunDir(new RunDir(join(dirPath, c.mixed ? 'mixed' : 'pretrain')), {});
  }
  if (hooks.force && !hooks.resume) {
    // a replaced run leaves nothing a later --resume could mistake for its own
    for (const name of ['pretrain', 'mixed', 'finetune', 'finetune-lora']) rmSync(join(dirPath, name), { recursive: true, force: true });
    for (const name of ['summary.json', 'probes.json']) rmSync(root.path(name), { force: true });
  }
  const w = buildWorld(c);
  const padId = w.vocab.id('<eos>');
  const blockSize = Math.max(...w.bios.map((b) => b.words.length + 1), ...w.qaTrain.map((q) => q.prompt.length + q.answer.length + 1));
  const model = buildModel(c.model, w.vocab.size, blockSize, c.seed + 3);
  const evalBios = spread(w.firstBio, 256);
  const evalQaTrain = spread(w.qaTrain, 600), evalQaTest = spread(w.qaTest, 600);
  const config = { ...c } as unknown as Record<string, unknown>;
  const started = Date.now();

  // stage 1: pretraining on every biography (mixed: and the training people's questions)
  const first = c.mixed ? 'mixed' : 'pretrain';
  const firstRun = await stage(first, FIRST_KEYS, {
    model, settings: c.pretrain, rows: w.bios.map((b) => biographyRow(w.vocab, b)), padId, seed: c.seed + 4,
    second: c.mixed ? w.qaTrain.map((q) => qaRow(w.vocab, q)) : undefined, secondShare: c.mixedQaShare,
    evaluate: (): Evaluation => {
      const bio = biographyAccuracy(model, w.vocab, evalBios);
      if (!c.mixed) return { train: { bio_acc: bio } };
      return { train: { bio_acc: bio, qa_acc: qaAccuracy(model, w.vocab, evalQaTrain).acc }, test: { qa_acc: qaAccuracy(model, w.vocab, evalQaTest).acc } };
    },
    best: { split: 'train', metric: 'bio_acc', mode: 'max' },
  });
  if (firstRun.interrupted) return interrupted();

  // the probes read the pretrained model (for mixed: the model after mixed training)
  const probes = readOrMake<ProbeTable>(root, 'probes.json', hooks.resume, () => {
    log(`${label}: probing ${model.config.nLayer + 1} layers (Q: last name token alone; P: before the first value of a biography)`);
    return probeKnowledge(model, w.vocab, w.people, c.values, w.firstBio, w.split, { steps: c.probeSteps, seed: c.seed + 5 });
  });
  const bioAcc = biographyAccuracy(model, w.vocab, evalBios);

  // stage 2: QA finetune on the training people (not in mixed training: its questions were in stage 1)
  let seconds = firstRun.seconds, full: QAResult, lora: QAResult | undefined;
  if (c.mixed) full = { ...measureQA(), steps: 0 };
  else {
    const ft = await finetune('finetune', FINETUNE_KEYS, c.finetune, c.seed + 6);
    if (ft.interrupted) return interrupted();
    full = { ...measureQA(), steps: ft.steps };
    seconds += ft.seconds;
  }
  // stage 3: the same questions through LoRA adapters on the pretrained model (full finetuning's changes undone):
  // a finetune with too few parameters to memorise the answers, which can only learn to extract them
  if (!c.mixed && c.loraRank > 0) {
    loadTrainingState(join(dirPath, first, 'latest.safetensors'), { model, kind: `${KIND}-${first}` });
    addLoRA(model, c.loraRank, c.seed + 7);
    const lf = await finetune('finetune-lora', LORA_KEYS, c.loraFinetune, c.seed + 8);
    if (lf.interrupted) return interrupted();
    lora = { ...measureQA(), steps: lf.steps };
    seconds += lf.seconds;
  }
  const result: KnowledgeResult = {
    label, config: c, bioAcc, qaTrain: full.qaTrain, qaTest: full.qaTest, qaTestByAttribute: full.qaTestByAttribute, ...(lora && { lora }),
    probes, pretrainSteps: firstRun.steps, finetuneSteps: full.steps, seconds, interrupted: false,
  };
  root.writeText('summary.json', JSON.stringify(result, null, 1) + '\n');
  return result;

  function measureQA(): Omit<QAResult, 'steps'> {
    const test = qaAccuracy(model, w.vocab, w.qaTest);
    return { qaTrain: qaAccuracy(model, w.vocab, w.qaTrain).acc, qaTest: test.acc, qaTestByAttribute: test.byAttribute };
  }

  /** A QA finetune stage on the training people's questions, measured on both halves. */
  function finetune(name: string, keys: readonly string[], settings: StageSettings, seed: number) {
    return stage(name, keys, {
      model, settings, rows: w.qaTrain.map((q) => qaRow(w.vocab, q)), padId, seed,
      evaluate: () => ({ train: { qa_acc: qaAccuracy(model, w.vocab, evalQaTrain).acc }, test: { qa_acc: qaAccuracy(model, w.vocab, evalQaTest).acc } }),
      best: { split: 'train', metric: 'qa_acc', mode: 'max' },
    });
  }

  function interrupted(): KnowledgeResult {
    log(`${label}: interrupted; state saved (continue with --resume --out ${dirPath})`);
    return { label, config: c, bioAcc: NaN, qaTrain: NaN, qaTest: NaN, qaTestByAttribute: {} as Record<Attribute, number>, probes: { q: [], p: [], majority: {} }, pretrainSteps: 0, finetuneSteps: 0, seconds: (Date.now() - started) / 1000, interrupted: true };
  }

  /** A stage: trained (or resumed), or, when finished before, its final weights loaded. */
  async function stage(name: string, configKeys: readonly string[], job: Omit<Parameters<typeof trainStage>[0], 'run' | 'kind' | 'config' | 'configKeys' | 'resume' | 'label' | 'log'>): Promise<{ steps: number; interrupted: boolean; seconds: number }> {
    const run = new RunDir(join(dirPath, name));
    const kind = `${KIND}-${name}`;
    if (hooks.resume && run.exists('result.json')) {
      loadTrainingState(run.path('latest.safetensors'), { model: model as GPT, kind, config, configKeys });
      return JSON.parse(readFileSync(run.path('result.json'), 'utf8')) as { steps: number; interrupted: boolean; seconds: number };
    }
    const resume = Boolean(hooks.resume && run.exists('latest.safetensors'));
    if (hooks.resume && !resume) log(`${label} ${name}: nothing to resume in ${run.dir}; starting afresh`);
    const r = await trainStage({ ...job, run, kind, config, configKeys, resume, force: hooks.force, label: `${label} ${name}`, quiet: hooks.quiet, log, stopRequested: hooks.stopRequested });
    const out = { steps: r.steps, interrupted: r.interrupted, seconds: r.seconds, last: r.last };
    if (!r.interrupted) run.writeText('result.json', JSON.stringify(out) + '\n');
    return out;
  }
}

/** A stage's product, kept in the run directory: read back on --resume, else made afresh. */
function readOrMake<T>(dir: RunDir, name: string, resume: boolean | undefined, make: () => T): T {
  if (resume && dir.exists(name)) return JSON.parse(readFileSync(dir.path(name), 'utf8')) as T;
  const v = make();
  dir.writeText(name, JSON.stringify(v) + '\n');
  return v;
}
